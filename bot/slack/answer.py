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

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack import modals, render, retries
from bot.slack.incoming import PLATFORM
from bot.work_items import Press, WorkItem, digest
from handlers.chat.model import Message, Post, Ref, Reply, Target
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

    async def __call__(self, item: WorkItem, reply: Reply, live: bool = True) -> None:
        message = reply.message
        if reply.form is not None:
            opened = await self._open(item, reply)
            if not opened and message is None and reply.form.hint:
                # no modal here (an @mention has no trigger): say how to type it instead
                message = Message.text(reply.form.hint)
        if message is not None:
            # a button's answer goes to the presser only; the card itself shows the change
            ephemeral = reply.ephemeral or isinstance(item, Press)
            await self.say(item, message, ephemeral)

    async def _open(self, item: WorkItem, reply: Reply) -> bool:
        trigger = item.via.get("trigger_id")
        if not trigger or reply.form is None:
            return False
        meta = {
            "channel": item.channel,
            "thread": item.thread,
            "response_url": item.via.get("response_url"),
        }
        view = modals.modal(self.desk.config, reply.form, meta)
        try:
            await self.web().views_open(trigger_id=trigger, view=view.to_dict())
        except SlackApiError as exc:  # e.g. expired_trigger_id after a slow recovery
            log.warning("slack views.open failed: %s", exc.response.get("error"))
            return False
        return True

    async def say(self, item: WorkItem, message: Message, ephemeral: bool) -> None:
        url = item.via.get("response_url")
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
        await asyncio.get_running_loop().run_in_executor(None, self._post, item, message, ephemeral)

    def _post(self, item: WorkItem, message: Message, ephemeral: bool) -> None:
        team = item.workspace
        only_for = Ref(PLATFORM, team, item.user).key if ephemeral else None
        target = Target(
            "conversation",
            Ref(PLATFORM, team, item.channel).key,
            reply_to=item.thread,
            only_for=only_for,
        )
        with session_scope(self.desk.engine) as session:
            # keyed by the request: a recovered answer never goes out twice
            key = f"answer:{digest(item.to_json())}"
            self.desk.post(session, PLATFORM, f"{PLATFORM}:{team}", Post(target, message, key))
