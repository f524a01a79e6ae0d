"""The Slack outbox sender: a neutral `Target` to a channel id, one Web API call, an outcome.

`Sent` carries `{"channel", "ts"}` so later posts can reply in the thread or edit the card.
Rate limits (429) become `Retry(after=Retry-After)`: the row waits in the outbox while other
channels go on, instead of the whole loop sleeping inside the client. 5xx and connection
errors get one quick retry from slack_sdk's handlers, then `Retry` with the outbox's backoff;
errors that will not change by waiting (channel_not_found, not_in_channel, invalid_auth...)
are `Failed`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery import Delivery, Failed, Outcome, Retry, Sent
from bot.slack import render
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
        if target.only_for:
            user = Ref.parse(target.only_for).id
            resp = await self.client.chat_postEphemeral(
                channel=channel, user=user, thread_ts=thread_ts, **content, **_POST
            )
            return Sent({"channel": channel, "ts": resp.get("message_ts"), "ephemeral": True})
        if d.message.images and len(d.message.images) == len(d.message.blocks):
            return await self._upload(d, channel, thread_ts)
        resp = await self.client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
            **content,
            **_POST,
        )
        return Sent({"channel": resp["channel"], "ts": resp["ts"]})

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
            if target.name.startswith("l2:"):
                channel = self.config.channels.l2.get(target.name[3:])
            else:
                channel = getattr(self.config.channels, target.name, None)
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
