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
import urllib.parse
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.inbox import Inbox, notice, reading
from bot.slack import modals, payloads, reaction, render
from bot.slack.locales import Locales
from bot.work_items import Command, Reaction, WorkItem
from handlers.chat.model import Message
from handlers.chat.texts import phrase
from handlers.desk import Desk

log = logging.getLogger(__name__)
AnyItem = TypeVar("AnyItem", bound=WorkItem)
T = TypeVar("T")
ROUTE = "/slack/events"
SHORTCUT = "ticket.from_message"  # the message shortcut's callback id (manifest.yaml)
COMMAND = re.compile(r"^/.+")  # every slash command of the manifest
AFTER_ACK = "deskbot_after_ack"
AFTER_ACK_KEY = "deskbot_after_ack_key"  # set: AFTER_ACK is the inbox's plain run of that key
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
        inbox.resume = self._finish_in_users_locale  # work read back from the table
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

        async def reacted(event: Any, body: Any, context: Any) -> Any:
            return await self.on_reaction(event, body, context)

        self.bolt = AsyncApp(
            signing_secret=signing_secret,
            authorize=authorize,  # single token; no Web API call on the ack path
            client=AsyncWebClient(base_url=api_url),
            process_before_response=True,
            request_verification_enabled=False,  # done in `handle`, before anything else
        )
        self.bolt.command(COMMAND)(command)
        self.bolt.event("app_mention")(mention)
        self.bolt.action(re.compile(r".*"))(action)
        self.bolt.view_submission(re.compile(r".*"))(submission)
        self.bolt.shortcut(SHORTCUT)(shortcut)
        self.bolt.event("reaction_added")(reacted)
        self.bolt.error(_malformed)

    # -- HTTP ------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        with self.inbox.after_ack.acking():
            return await self._handle(request)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = dict(request.headers.items())
        if not self._signed(body, headers):
            return web.json_response({"error": "invalid signature"}, status=401)
        try:
            text = body.decode("utf-8")
            command = _slash_command(request.content_type, text)
            if command is not None:  # the busiest request: acked without bolt's machinery
                context: dict[str, Any] = {}
                answer = await self.command_ack(command, context)
            else:
                req = AsyncBoltRequest(body=text, query=request.query_string, headers=headers)
                _check_shape(req.body)
                answer = await self.bolt.async_dispatch(req)
                context = req.context
        except Exception as exc:  # a malformed body, signed or not: refused, nothing written
            log.warning("slack: malformed request refused: %s", _reason(exc))
            return web.json_response({"error": "malformed request"}, status=400)
        if answer.status == 404:  # no listener (an event deskbot does not use): Slack wants 2xx
            log.debug("slack: request with no listener acknowledged and ignored")
            return web.Response(status=200)
        response = await to_aiohttp_response(answer)
        job: Callable[[], Coroutine[Any, Any, Any]] | None = context.get(AFTER_ACK)
        if job is not None:
            await response.prepare(request)  # the ack is on the wire before the work starts
            await response.write_eof()
            self.inbox.later(job, context.get(AFTER_ACK_KEY))
        return response

    async def command_ack(self, body: dict[str, Any], context: dict[str, Any]) -> BoltResponse:
        """A slash command over HTTP, straight to its listener with bolt's own `ack`: bolt's
        dispatch (middleware, authorization, argument injection, listener matching) was
        half of the ack's CPU (bench/slack_ack.py) and adds nothing to a command, whose
        listener only reads the body. Everything else still goes through bolt."""
        ack = AsyncAck()
        await self.on_command(ack, body, context)
        return ack.response or BoltResponse(status=200, body="")

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
        self, context: Any, key: str, item: WorkItem, ack: Any = None, plain: bool = True
    ) -> BoltResponse | None:
        """Persist, then ack (the caller's `ack`, or bolt's auto-ack for events). `plain`:
        the work is the plain run (`_finish_in_users_locale`), which the inbox may leave to
        its worker process; a listener that runs something else after the ack says False."""
        item = self._locale_known(item)
        persisting = self.inbox.persist(key, item, plain)
        try:
            claimed = await within(persisting, ACK_BUDGET)
        except TimeoutError:
            log.warning("slack %s: database slow; acked before the write finished", key)
            context[AFTER_ACK] = lambda: self.inbox.finish_late(persisting, key, item, plain)
            if ack is None:  # an event: Slack retries; the unique key drops a repeat
                return BoltResponse(status=503, body="")
            if isinstance(item, Command):
                with reading(self.desk.config, item):
                    slow = self._content(phrase("slack.slow"))
                return await ack(**slow, response_type="ephemeral")
            return await ack()
        except Exception:
            log.exception("slack %s: could not persist", key)
            if ack is None:
                return BoltResponse(status=503, body="")
            reply = notice("slack.not_saved", self.desk.config, item)
            context[AFTER_ACK] = lambda: self.inbox.answer(item, reply, True)
            return await ack()
        if claimed:
            context[AFTER_ACK] = lambda: self._finish_in_users_locale(key, item)
            context[AFTER_ACK_KEY] = key
        return await ack() if ack is not None else None

    def _locale_known(self, item: AnyItem) -> AnyItem:
        """The item with its user's locale when already known: persisted with the work."""
        locale = self.locales.known(item.user)
        return item if locale is None else item.model_copy(update={"locale": locale})

    async def _finish_in_users_locale(self, key: str, item: WorkItem) -> None:
        """After the ack: ask Slack for the user's locale the first time, then run."""
        if item.locale is None and (locale := await self.locales.fetch(item.user)):
            item = item.model_copy(update={"locale": locale})
        await self.inbox.finish(key, item)

    def _content(self, markdown: str) -> dict[str, Any]:
        return render.payload(self.desk.config, Message.text(markdown))

    # -- listeners -------------------------------------------------------------------------

    async def on_command(self, ack: Any, body: dict[str, Any], context: Any) -> Any:
        key, item = payloads.command(self.desk.config, body)
        return await self._take(context, key, item, ack)

    async def on_mention(self, event: dict[str, Any], body: dict[str, Any], context: Any) -> Any:
        bot_user = _bot_user(body) or self.identity.user_id
        taken = payloads.mention(self.desk.config, body, event, bot_user)
        return await self._take(context, *taken) if taken else None

    async def on_action(
        self, ack: Any, body: dict[str, Any], action: dict[str, Any], context: Any
    ) -> Any:
        taken = payloads.action(self.desk.config, body, action)
        return await self._take(context, *taken, ack) if taken else await ack()

    async def on_shortcut(self, ack: Any, body: dict[str, Any], context: Any) -> Any:
        key, item = payloads.shortcut(self.desk.config, body)
        plain = not item.via.get("message_ts")
        response = await self._take(context, key, item, ack, plain)
        if context.get(AFTER_ACK) is not None and item.via.get("message_ts"):
            context[AFTER_ACK] = lambda: self._with_permalink(key, item)
            context.pop(AFTER_ACK_KEY, None)  # not the plain run: a task of its own
        return response

    async def on_reaction(self, event: dict[str, Any], body: dict[str, Any], context: Any) -> Any:
        bot_user = _bot_user(body) or self.identity.user_id
        taken = reaction.taken(self.desk.config, body, event, bot_user)
        if taken is None:
            return None
        key, work = taken
        response = await self._take(context, key, work, plain=False)
        if context.get(AFTER_ACK) is not None:
            context[AFTER_ACK] = lambda: self._read_then_finish(key, work)
            context.pop(AFTER_ACK_KEY, None)  # not the plain run: a task of its own
        return response

    async def _read_then_finish(self, key: str, work: Reaction) -> None:
        try:
            work = await reaction.read_message(self.desk.config, self.web(), work)
        except Exception:  # unreadable (not in the channel): the work says so in the thread
            log.exception("slack: could not read the message reacted to")
        await self.inbox.finish(key, work)

    async def _with_permalink(self, key: str, item: WorkItem) -> None:
        try:
            resp = await asyncio.wait_for(
                self.web().chat_getPermalink(
                    channel=item.channel, message_ts=item.via["message_ts"]
                ),
                PERMALINK_TIMEOUT,
            )
            item = item.model_copy(update={"permalink": resp.get("permalink")})
        except Exception as exc:  # the form opens without the link
            log.warning("slack chat.getPermalink failed: %s", exc)
        await self.inbox.finish(key, item)

    async def on_view(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], context: Any
    ) -> Any:
        """A modal submitted: run it before the ack, so errors can show inline."""
        started = time.monotonic()
        key, item = payloads.submission(self.desk.config, body, view)
        item = self._locale_known(item)  # no time to ask Slack before this ack
        persisting = self.inbox.persist(key, item)
        try:
            claimed = await within(persisting, ACK_BUDGET)
        except TimeoutError:
            context[AFTER_ACK] = lambda: self.inbox.finish_late(persisting, key, item)
            return await ack()
        except Exception:
            log.exception("slack %s: could not persist", key)
            with reading(self.desk.config, item):
                errors = self._not_saved(view)
            return await ack(response_action="errors", errors=errors)
        if not claimed:
            return await ack()  # the same submission again
        running = asyncio.ensure_future(self.inbox.execute(key, item))
        left = max(0.1, ACK_BUDGET - (time.monotonic() - started))
        try:
            reply = await within(running, left)
        except TimeoutError:  # close the modal now; the answer follows via response_url
            context[AFTER_ACK] = lambda: self._answer_later(key, item, running)
            return await ack()
        if reply is not None and reply.form_errors:
            errors = modals.errors(self.desk.config, reply.form_errors, view)
            context[AFTER_ACK] = lambda: self.inbox.answered(key)  # the ack carries it
            return await ack(response_action="errors", errors=errors)
        if reply is not None:
            context[AFTER_ACK] = lambda: self.inbox.respond(key, item, reply)
        return await ack()

    async def _answer_later(self, key: str, item: WorkItem, running: asyncio.Future[Any]) -> None:
        reply = await running
        if reply is not None:
            await self.inbox.respond(key, item, reply)

    def _not_saved(self, view: dict[str, Any]) -> dict[str, str]:
        return modals.errors(self.desk.config, {"": phrase("slack.not_saved")}, view)


async def within(future: asyncio.Future[T], seconds: float) -> T:
    """The future's result, or TimeoutError after `seconds` with the future left running:
    `asyncio.wait`, not `wait_for(shield(...))`, whose extra future, task and callbacks were
    a few per cent of an ack's CPU."""
    done, _ = await asyncio.wait((future,), timeout=seconds)
    if not done:
        raise TimeoutError
    return future.result()


class Malformed(ValueError):
    """A signed request whose body is not what Slack sends."""


def _slash_command(content_type: str, text: str) -> dict[str, str] | None:
    """The fields of a slash command (a form with `command`, as bolt reads it), else None."""
    if content_type != "application/x-www-form-urlencoded" or text.startswith("payload="):
        return None
    fields = dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
    return fields if COMMAND.match(fields.get("command", "")) else None


def _check_shape(body: Any) -> None:
    if not isinstance(body, dict):
        raise Malformed(f"the body is a {type(body).__name__}, not an object")
    if body.get("type") == "event_callback" and not isinstance(body.get("event"), dict):
        raise Malformed("an event_callback without an event object")


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]


async def _malformed(error: Exception) -> BoltResponse:
    """A listener could not read the request (a field missing or of the wrong type): 400,
    one log line; the listeners fail before the inbox writes anything."""
    log.warning("slack: malformed request refused: %s", _reason(error))
    return BoltResponse(status=400, body='{"error": "malformed request"}')


def _bot_user(body: dict[str, Any]) -> str | None:
    """The bot's user id as the event's own authorizations say it."""
    for auth in body.get("authorizations") or []:
        if auth.get("is_bot") and auth.get("user_id"):
            return str(auth["user_id"])
    return None
