"""The Slack outbox sender: a neutral `Target` to a channel id, one Web API call, an outcome.

`Sent` carries `{"channel", "ts"}` so later posts can reply in the thread or edit the card.
Rate limits (429) become `Retry(after=Retry-After)`: the row waits in the outbox while other
channels go on, instead of the whole loop sleeping inside the client. 5xx get one quick
retry from slack_sdk's handlers, then `Retry` with the outbox's backoff; errors that will not
change by waiting (channel_not_found, not_in_channel, invalid_auth...) are `Failed`.

A broken connection is retried at once only when the request never left (bot/slack/retries).
A post whose answer was lost after it was sent is not repeated blindly: every post carries
its outbox row in its message metadata, and the channel (or thread) is searched for it
first; found, it counts as sent; surely absent, it is sent again; if the search fails too,
the post is given up with that reason rather than risk posting it twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery import Delivery, Failed, Outcome, Retry, Sent
from bot.slack import render, retries
from bot.slack.incoming import PLATFORM
from handlers.chat.model import Ref
from handlers.config.team import TeamConfig

log = logging.getLogger(__name__)

ChartReader = Callable[[str], bytes | None]

# Web API errors worth another try later; anything else is permanent for this post.
TRANSIENT = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "team_added_to_org",
}
_POST = {"parse": "none", "link_names": False}  # nothing typed becomes a mention or a link
MARKER = "deskbot_post"  # the metadata event type that names a post's outbox row
SEARCH_BACK = 3600.0  # how far back a search looks: covers a second look after a restart
SEARCH_LIMIT = 200  # messages read when looking for a post whose answer was lost
SEARCH_AGAIN = 5.0  # seconds before a lost post that was not found is looked for once more
NOT_THERE_YET = "no answer from Slack and the post is not in the channel"
_LOST = (aiohttp.ClientError, TimeoutError, OSError)


class Unroutable(Exception):
    """The target has no Slack address in the configuration."""


class SlackSender:
    def __init__(self, config: TeamConfig, client: Any, charts: ChartReader | None = None) -> None:
        self.config = config
        self._client = client  # an AsyncWebClient, or a callable returning one (lazy session)
        self._dm: dict[str, str] = {}  # Slack user id -> DM channel id
        self._charts = charts  # token -> PNG bytes (None: expired)

    @property
    def client(self) -> AsyncWebClient:
        return self._client() if callable(self._client) else self._client

    async def send(self, delivery: Delivery) -> Outcome:
        try:
            return await self._send(delivery)
        except Unroutable as exc:
            return Failed(str(exc))
        except SlackApiError as exc:
            return _classify(exc)
        except (aiohttp.ClientError, TimeoutError, OSError, SlackRequestError) as exc:
            return Retry(f"{type(exc).__name__}: {exc}")

    async def _send(self, d: Delivery) -> Outcome:
        content = render.payload(self.config, d.message)
        target = d.target
        if target.replace and d.replace_ref:
            ref = d.replace_ref
            await self.client.chat_update(channel=ref["channel"], ts=ref["ts"], **content, **_POST)
            return Sent({"channel": ref["channel"], "ts": ref["ts"]})
        channel = await self._channel(d)
        thread_ts = None
        if d.thread_ref and d.thread_ref.get("channel") == channel:
            thread_ts = d.thread_ref.get("ts")
        elif target.reply_to:
            thread_ts = target.reply_to
        asked_at = time.time()  # Slack's ts are wall-clock seconds
        if target.only_for:
            user = Ref.parse(target.only_for).id
            try:
                resp = await self.client.chat_postEphemeral(
                    channel=channel, user=user, thread_ts=thread_ts, **content, **_POST
                )
            except _LOST as exc:
                if retries.never_sent(exc):
                    raise
                return Failed(_lost(exc, "an ephemeral post cannot be looked for"))
            return Sent({"channel": channel, "ts": resp.get("message_ts"), "ephemeral": True})
        if d.last_error.startswith(NOT_THERE_YET):
            # the last answer was lost and the post was not there then; Slack may have been
            # slow to show it: look once more before sending it again
            try:
                ts = await self._find(channel, thread_ts, d.row_id, asked_at - SEARCH_BACK)
            except (SlackApiError, *_LOST) as exc:
                return Failed(_lost(exc, "and it could not be looked for again"))
            if ts is not None:
                return Sent({"channel": channel, "ts": ts})
        if d.message.images and len(d.message.images) == len(d.message.blocks):
            return await self._upload(d, channel, thread_ts)
        try:
            resp = await self.client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
                metadata={"event_type": MARKER, "event_payload": {"outbox": d.row_id}},
                **content,
                **_POST,
            )
        except _LOST as exc:
            if retries.never_sent(exc):
                raise
            return await self._look_for(d, channel, thread_ts, asked_at, exc)
        return Sent({"channel": resp["channel"], "ts": resp["ts"]})

    async def _look_for(
        self,
        d: Delivery,
        channel: str,
        thread_ts: str | None,
        asked_at: float,
        lost: BaseException,
    ) -> Outcome:
        """The answer to a post was lost after it was sent: did Slack post it?"""
        try:
            ts = await self._find(channel, thread_ts, d.row_id, asked_at - SEARCH_BACK)
        except (SlackApiError, *_LOST) as exc:
            return Failed(_lost(lost, f"and it could not be looked for: {_reason(exc)}"))
        if ts is not None:
            log.info("outbox %s: the answer was lost but the post is there (%s)", d.row_id, ts)
            return Sent({"channel": channel, "ts": ts})
        return Retry(
            f"{NOT_THERE_YET} ({_reason(lost)}); looked for again before it is resent",
            after=SEARCH_AGAIN,
        )

    async def _find(
        self, channel: str, thread_ts: str | None, row_id: int, oldest: float
    ) -> str | None:
        """The ts of the message carrying this outbox row's marker, if Slack has one."""
        search = {"oldest": f"{oldest:.6f}", "include_all_metadata": True, "limit": SEARCH_LIMIT}
        if thread_ts:
            resp = await self.client.conversations_replies(channel=channel, ts=thread_ts, **search)
        else:
            resp = await self.client.conversations_history(channel=channel, **search)
        for message in resp.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == MARKER and payload.get("outbox") == row_id:
                return str(message["ts"])
        return None

    async def _upload(self, d: Delivery, channel: str, thread_ts: str | None) -> Outcome:
        """A picture post (a chart): each image uploaded as a file into the thread
        (`files_upload_v2`: files.getUploadURLExternal, the upload, then
        files.completeUploadExternal, which shares it; scope `files:write`)."""
        uploads = []
        for image in d.message.images:
            png = await asyncio.to_thread(self._charts, image.chart) if self._charts else None
            if png is None:
                return Failed(f"chart {image.chart[:6]}… has expired or is missing")
            uploads.append({"file": png, "filename": "kpis.png", "title": image.alt[:250]})
        await self.client.files_upload_v2(
            file_uploads=uploads, channel=channel, thread_ts=thread_ts, request_file_info=False
        )
        return Sent({"channel": channel, "ts": thread_ts})

    async def _channel(self, d: Delivery) -> str:
        target = d.target
        if target.kind == "channel":
            channel = self.config.channels.named(target.name)
            if channel is None or not channel.slack:
                raise Unroutable(f"channel {target.name!r} has no Slack id in the configuration")
            return channel.slack
        if target.kind == "person":
            person = self.config.person(target.name)
            if person is None or not person.slack:
                raise Unroutable(f"person {target.name!r} has no Slack id in the configuration")
            return await self._open_dm(person.slack)
        ref = Ref.parse(target.name)
        if ref.platform != PLATFORM:
            raise Unroutable(f"{target.name!r} is not a Slack conversation")
        if ref.id[:1] in ("U", "W"):  # a user: their DM with the bot
            return await self._open_dm(ref.id)
        return ref.id

    async def _open_dm(self, user: str) -> str:
        if user not in self._dm:
            resp = await self.client.conversations_open(users=user)
            self._dm[user] = resp["channel"]["id"]
        return self._dm[user]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        data = getattr(exc.response, "data", None)
        return str(data.get("error") if isinstance(data, dict) else exc)
    return f"{type(exc).__name__}: {exc}"


def _lost(exc: BaseException, why: str) -> str:
    return (
        f"no answer from Slack after the post was sent ({_reason(exc)}), {why}; it may have "
        "been posted, so it is not sent again (check the channel, then retry by hand)"
    )


def _classify(exc: SlackApiError) -> Outcome:
    response = exc.response
    status = getattr(response, "status_code", 0) or 0
    data = getattr(response, "data", None)
    error = data.get("error", "") if isinstance(data, dict) else ""
    if status == 429 or error == "ratelimited":
        headers = getattr(response, "headers", {}) or {}
        after = _seconds(headers.get("Retry-After") or headers.get("retry-after"))
        return Retry(f"rate limited ({status})", after=after if after is not None else 1.0)
    if status >= 500 or error in TRANSIENT:
        return Retry(f"slack {status}: {error or 'server error'}")
    return Failed(f"slack {status}: {error or 'error'}")


def _seconds(value: Any) -> float | None:
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None
