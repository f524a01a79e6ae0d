"""Answering the person who asked: a modal, or a message through the request's response_url.

Slash commands, buttons, shortcuts and modals carry a `response_url` (valid 30 minutes, also
where the bot is not a channel member), so answers go there: ephemeral or in the channel,
never replacing the pressed card. An @mention has none; its answer is an outbox post in the
mention's thread (ephemeral to the asker when the core says so).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack import modals, render, retries
from bot.slack.incoming import PLATFORM
from handlers.chat.model import Message, Post, Ref, Reply, Target, Text
from handlers.desk import Desk
from storage.db import session_scope

log = logging.getLogger(__name__)


class Responder:
    def __init__(
        self,
        desk: Desk,
        web: Callable[[], AsyncWebClient],
        http: Callable[[], aiohttp.ClientSession],
    ) -> None:
        self.desk = desk
        self.web = web
        self.http = http

    async def __call__(self, payload: dict[str, Any], reply: Reply) -> None:
        message = reply.message
        if reply.form is not None:
            opened = await self._open(payload, reply)
            if not opened and message is None and reply.form.hint:
                # no modal here (an @mention has no trigger): say how to type it instead
                message = Message((Text(reply.form.hint),), reply.form.hint)
        if message is not None:
            # a button's answer goes to the presser only; the card itself shows the change
            ephemeral = reply.ephemeral or payload["kind"] == "action"
            await self.say(payload, message, ephemeral)

    async def _open(self, payload: dict[str, Any], reply: Reply) -> bool:
        trigger = payload.get("trigger_id")
        if not trigger or reply.form is None:
            return False
        meta = {
            "channel": payload.get("channel"),
            "thread": payload.get("thread"),
            "response_url": payload.get("response_url"),
        }
        view = modals.modal(self.desk.config, reply.form, meta)
        try:
            await self.web().views_open(trigger_id=trigger, view=view.to_dict())
        except SlackApiError as exc:  # e.g. expired_trigger_id after a slow recovery
            log.warning("slack views.open failed: %s", exc.response.get("error"))
            return False
        return True

    async def say(self, payload: dict[str, Any], message: Message, ephemeral: bool) -> None:
        url = payload.get("response_url")
        if url:
            body = {
                **render.payload(self.desk.config, message),
                "response_type": "ephemeral" if ephemeral else "in_channel",
                "replace_original": False,
            }
            hook = AsyncWebhookClient(
                url,
                session=self.http(),
                timeout=10,
                retry_handlers=retries.handlers(),
            )
            resp = await hook.send_dict(body)
            if resp.status_code != 200:
                log.warning("slack response_url answered %s: %s", resp.status_code, resp.body)
            return
        await asyncio.get_running_loop().run_in_executor(
            None, self._post, payload, message, ephemeral
        )

    def _post(self, payload: dict[str, Any], message: Message, ephemeral: bool) -> None:
        team, user, channel = payload["team"], payload["user"], payload.get("channel")
        if channel:
            only_for = Ref(PLATFORM, team, user).key if ephemeral else None
            target = Target(
                "conversation",
                Ref(PLATFORM, team, channel).key,
                reply_to=payload.get("thread"),
                only_for=only_for,
            )
        else:  # nowhere to answer but the asker's DM
            target = Target("conversation", Ref(PLATFORM, team, user).key)
        with session_scope(self.desk.engine) as session:
            self.desk.post(session, PLATFORM, f"{PLATFORM}:{team}", Post(target, message))
