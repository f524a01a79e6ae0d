"""`POST /api/messages`: authenticate the Bot Framework request, then run the turn.

Authentication runs first and on its own, so a request without a valid token gets 401
before anything is read into the database. With no `MicrosoftAppId` the adapter runs in
local (emulator) mode: requests are not authenticated, and the server says so at start.
"""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace
from typing import Any

from aiohttp import web
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.config import Settings
from bot.teams import ROUTE
from bot.teams.bot import DeskBot

log = logging.getLogger(__name__)


def auth_configuration(settings: Settings, **overrides: str) -> SimpleNamespace:
    """The SDK's configuration object, from the Bot Framework's own variables.

    `overrides` are further SDK settings (e.g. TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL),
    used by tests to point token validation at a local key server.
    """
    return SimpleNamespace(
        APP_ID=settings.microsoft_app_id,
        APP_PASSWORD=settings.microsoft_app_password,
        APP_TYPE=settings.microsoft_app_type,
        APP_TENANTID=settings.microsoft_app_tenant_id,
        **overrides,
    )


def make_adapter(settings: Settings, **overrides: str) -> CloudAdapter:
    return CloudAdapter(
        ConfigurationBotFrameworkAuthentication(auth_configuration(settings, **overrides))
    )


def handler(adapter: CloudAdapter, bot: DeskBot):  # type: ignore[no-untyped-def]
    async def messages(request: web.Request) -> web.Response:
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.json_response({"error": "expected application/json"}, status=415)
        try:
            body = await request.json()
            activity = Activity().deserialize(body)
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError, TypeError):
            return web.json_response({"error": "the body is not an activity"}, status=400)
        if not isinstance(body, dict) or not activity.type:
            return web.json_response({"error": "the body is not an activity"}, status=400)
        auth_header = request.headers.get("Authorization", "")
        try:
            authenticated = await adapter.bot_framework_authentication.authenticate_request(
                activity, auth_header
            )
        except Exception as exc:  # missing, expired, forged or unverifiable token
            log.warning("teams: rejected a request to %s: %s", ROUTE, exc or type(exc).__name__)
            return web.json_response({"error": "unauthorized"}, status=401)
        problem = malformed(body)
        if problem is not None:  # refused before anything is stored
            log.warning("teams: malformed activity refused: %s", problem)
            return web.json_response({"error": problem}, status=400)
        try:
            invoke = await adapter.process_activity(authenticated, activity, bot.on_turn)
        except (OperationalError, InterfaceError) as exc:  # the database is unavailable
            log.error("teams: database unavailable: %s", type(exc).__name__)
            return web.json_response({"error": "try again later"}, status=503)
        if invoke is not None:
            return web.json_response(invoke.body, status=invoke.status)
        return web.Response(status=200)

    return messages


def malformed(body: dict[str, Any]) -> str | None:
    """What makes an authenticated activity unusable, or None. A message or invoke must say
    who (from.id), where (conversation.id), how to answer (serviceUrl) and which delivery it
    is (id: the key that makes a redelivery a no-op; never de-duplicated under None)."""
    conversation = body.get("conversation")
    if not isinstance(conversation, dict) or not _text(conversation.get("id")):
        return "the activity has no conversation id"
    if body.get("type") not in ("message", "invoke"):
        return None
    sender = body.get("from")
    if not isinstance(sender, dict) or not _text(sender.get("id")):
        return "the activity has no sender (from.id)"
    if not _text(body.get("id")):
        return "the activity has no id"
    if not _text(body.get("serviceUrl")):
        return "the activity has no serviceUrl to answer on"
    entities = body.get("entities") or []
    if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
        return "the activity's entities are not a list of objects"
    for entity in entities:
        if entity.get("type") == "mention" and not (
            isinstance(entity.get("mentioned"), dict) and isinstance(entity.get("text"), str)
        ):
            return "a mention entity without mentioned or text"
    return None


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
