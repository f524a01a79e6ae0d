"""The slack-bolt app behind `POST /slack/events`: slash commands, @mentions, buttons, modals
and the message shortcut, all at one URL, each translated to one neutral router call.

The bolt app runs with `process_before_response=True`: a listener writes the work to the
database, acks, and leaves the run for after the ack (`AFTER_ACK`); the HTTP handler sends
the ack and only then starts it. So the ack never waits for a use case or the Web API, and
nothing acked is lost. A modal submission is the exception: its inline errors must travel
in the ack, so it runs first, within the same time budget.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import incoming, modals, payloads, render
from bot.slack.locales import Locales
from bot.slack.work import Inbox, Payload
from handlers.chat.model import Message, Reply, Text
from handlers.chat.texts import phrase
from handlers.desk import Desk

log = logging.getLogger(__name__)
ROUTE = "/slack/events"
SHORTCUT = "ticket.from_message"  # the message shortcut's callback id (manifest.yaml)
AFTER_ACK = "deskbot_after_ack"
ACK_BUDGET = 2.0  # seconds of work before the ack goes anyway (Slack gives up at 3)
PERMALINK_TIMEOUT = 1.0  # the shortcut's modal must open within the trigger's 3 s


class DeskClock(Clock):
    """Signature freshness (5 minutes) on the desk's clock, which tests can set."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def now(self) -> float:
        return self.desk.now().timestamp()


@dataclass
class Identity:
    """Who the bot is in Slack (auth.test at start); mentions of it are stripped."""

    user_id: str | None = None
    bot_id: str | None = None


class SlackApp:
    def __init__(
        self,
        desk: Desk,
        token: str,
        signing_secret: str,
        api_url: str,
        inbox: Inbox,
        web_client: Callable[[], AsyncWebClient],
    ) -> None:
        self.desk = desk
        self.token = token
        self.inbox = inbox
        self.web = web_client
        self.identity = Identity()
        self.locales = Locales(desk.config, web_client)
        self.verifier = SignatureVerifier(signing_secret, clock=DeskClock(desk))

        # bolt passes arguments by name, so it gets plain functions, not bound methods.
        async def authorize(
            enterprise_id: str | None, team_id: str | None, user_id: str | None
        ) -> AuthorizeResult:
            return self.authorization(enterprise_id, team_id, user_id)

        async def command(ack: Any, body: Any, context: Any) -> Any:
            return await self.on_command(ack, body, context)

        async def mention(event: Any, body: Any, context: Any) -> Any:
            return await self.on_mention(event, body, context)

        async def action(ack: Any, body: Any, action: Any, context: Any) -> Any:
            return await self.on_action(ack, body, action, context)

        async def submission(ack: Any, body: Any, view: Any, context: Any) -> Any:
            return await self.on_view(ack, body, view, context)

        async def shortcut(ack: Any, body: Any, context: Any) -> Any:
            return await self.on_shortcut(ack, body, context)

        self.bolt = AsyncApp(
            signing_secret=signing_secret,
            authorize=authorize,  # single token; no Web API call on the ack path
            client=AsyncWebClient(base_url=api_url),
            process_before_response=True,
            request_verification_enabled=False,  # done in `handle`, before anything else
        )
        self.bolt.command(re.compile(r"^/.+"))(command)
        self.bolt.event("app_mention")(mention)
        self.bolt.action(re.compile(r".*"))(action)
        self.bolt.view_submission(re.compile(r".*"))(submission)
        self.bolt.shortcut(SHORTCUT)(shortcut)

    # -- HTTP ------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = dict(request.headers.items())
        if not self._signed(body, headers):
            return web.json_response({"error": "invalid signature"}, status=401)
        req = AsyncBoltRequest(
            body=body.decode("utf-8"), query=request.query_string, headers=headers
        )
        response = await to_aiohttp_response(await self.bolt.async_dispatch(req))
        job: Callable[[], Coroutine[Any, Any, Any]] | None = req.context.get(AFTER_ACK)
        if job is not None:
            await response.prepare(request)  # the ack is on the wire before the work starts
            await response.write_eof()
            self.inbox.spawn(job())
        return response

    def _signed(self, body: bytes, headers: dict[str, str]) -> bool:
        try:
            return self.verifier.is_valid_request(body, headers)
        except (ValueError, TypeError):  # a timestamp that is not a number
            return False

    def authorization(
        self, enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=self.token,
            bot_id=self.identity.bot_id,
            bot_user_id=self.identity.user_id,
            user_id=user_id,
        )

    async def learn_identity(self) -> None:
        """auth.test until it answers: the bot's user id (its own messages are ignored)."""
        delay = 1.0
        while self.identity.user_id is None:
            try:
                resp = await self.web().auth_test()
                self.identity = Identity(resp.get("user_id"), resp.get("bot_id"))
            except Exception as exc:
                log.warning("slack auth.test failed (%s); retrying in %.0fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 300.0)

    # -- taking work -----------------------------------------------------------------------

    async def _take(
        self, context: Any, key: str, payload: Payload, ack: Any = None
    ) -> BoltResponse | None:
        """Persist, then ack (the caller's `ack`, or bolt's auto-ack for events)."""
        self._locale_known(payload)
        persisting = self.inbox.persist(key, payload)
        try:
            claimed = await asyncio.wait_for(asyncio.shield(persisting), ACK_BUDGET)
        except TimeoutError:
            log.warning("slack %s: database slow; acked before the write finished", key)
            context[AFTER_ACK] = lambda: self.inbox.finish_late(persisting, key, payload)
            if ack is None:  # an event: Slack retries; the unique key drops a repeat
                return BoltResponse(status=503, body="")
            if payload["kind"] == "command":
                with incoming.reading(self.desk.config, payload):
                    slow = self._content(phrase("slack.slow"))
                return await ack(**slow, response_type="ephemeral")
            return await ack()
        except Exception:
            log.exception("slack %s: could not persist", key)
            if ack is None:
                return BoltResponse(status=503, body="")
            with incoming.reading(self.desk.config, payload):
                reply = _reply(phrase("slack.not_saved"))
            context[AFTER_ACK] = lambda: self.inbox.respond(key, payload, reply)
            return await ack()
        if claimed:
            context[AFTER_ACK] = lambda: self._in_users_locale(
                payload, lambda: self.inbox.finish(key, payload)
            )
        return await ack() if ack is not None else None

    def _locale_known(self, payload: Payload) -> None:
        """The user's locale when already known: persisted with the work."""
        if (locale := self.locales.known(payload.get("user", ""))) is not None:
            payload["locale"] = locale

    async def _in_users_locale(self, payload: Payload, job: Callable[[], Any]) -> None:
        """After the ack: ask Slack for the user's locale the first time, then run."""
        if "locale" not in payload:
            locale = await self.locales.fetch(payload.get("user", ""))
            if locale:
                payload["locale"] = locale
        await job()

    def _content(self, markdown: str) -> dict[str, Any]:
        return render.payload(self.desk.config, _reply(markdown).message)  # type: ignore[arg-type]

    # -- listeners -------------------------------------------------------------------------

    async def on_command(self, ack: Any, body: dict[str, Any], context: Any) -> Any:
        key, payload = payloads.command(self.desk.config, body)
        return await self._take(context, key, payload, ack)

    async def on_mention(self, event: dict[str, Any], body: dict[str, Any], context: Any) -> Any:
        bot_user = _bot_user(body) or self.identity.user_id
        taken = payloads.mention(self.desk.config, body, event, bot_user)
        return await self._take(context, *taken) if taken else None

    async def on_action(
        self, ack: Any, body: dict[str, Any], action: dict[str, Any], context: Any
    ) -> Any:
        taken = payloads.action(body, action)
        return await self._take(context, *taken, ack) if taken else await ack()

    async def on_shortcut(self, ack: Any, body: dict[str, Any], context: Any) -> Any:
        key, payload = payloads.shortcut(self.desk.config, body)
        response = await self._take(context, key, payload, ack)
        job = context.get(AFTER_ACK)
        if job is not None and payload["channel"] and payload["message_ts"]:
            context[AFTER_ACK] = lambda: self._with_permalink(payload, job)
        return response

    async def _with_permalink(self, payload: Payload, job: Callable[[], Any]) -> None:
        try:
            resp = await asyncio.wait_for(
                self.web().chat_getPermalink(
                    channel=payload["channel"], message_ts=payload["message_ts"]
                ),
                PERMALINK_TIMEOUT,
            )
            payload["permalink"] = resp.get("permalink")
        except Exception as exc:  # the form opens without the link
            log.warning("slack chat.getPermalink failed: %s", exc)
        await job()

    async def on_view(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], context: Any
    ) -> Any:
        """A modal submitted: run it before the ack, so errors can show inline."""
        started = time.monotonic()
        key, payload = payloads.submission(self.desk.config, body, view)
        self._locale_known(payload)  # no time to ask Slack before this ack
        persisting = self.inbox.persist(key, payload)
        try:
            claimed = await asyncio.wait_for(asyncio.shield(persisting), ACK_BUDGET)
        except TimeoutError:
            context[AFTER_ACK] = lambda: self.inbox.finish_late(persisting, key, payload)
            return await ack()
        except Exception:
            log.exception("slack %s: could not persist", key)
            with incoming.reading(self.desk.config, payload):
                errors = self._not_saved(view)
            return await ack(response_action="errors", errors=errors)
        if not claimed:
            return await ack()  # the same submission again
        running = asyncio.ensure_future(self.inbox.execute(key, payload))
        left = max(0.1, ACK_BUDGET - (time.monotonic() - started))
        try:
            reply = await asyncio.wait_for(asyncio.shield(running), left)
        except TimeoutError:  # close the modal now; the answer follows via response_url
            context[AFTER_ACK] = lambda: self._answer_later(key, payload, running)
            return await ack()
        if reply is not None and reply.form_errors:
            errors = modals.errors(self.desk.config, reply.form_errors, view)
            return await ack(response_action="errors", errors=errors)
        if reply is not None:
            context[AFTER_ACK] = lambda: self.inbox.respond(key, payload, reply)
        return await ack()

    async def _answer_later(self, key: str, payload: Payload, running: asyncio.Future[Any]) -> None:
        reply = await running
        if reply is not None:
            await self.inbox.respond(key, payload, reply)

    def _not_saved(self, view: dict[str, Any]) -> dict[str, str]:
        return modals.errors(self.desk.config, {"": phrase("slack.not_saved")}, view)


def _reply(markdown: str) -> Reply:
    return Reply(Message((Text(markdown),), markdown), ephemeral=True, ok=False)


def _bot_user(body: dict[str, Any]) -> str | None:
    """The bot's user id as the event's own authorizations say it."""
    for auth in body.get("authorizations") or []:
        if auth.get("is_bot") and auth.get("user_id"):
            return str(auth["user_id"])
    return None
