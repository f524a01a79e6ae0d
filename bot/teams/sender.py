"""The Teams outbox sender: proactive posts through stored conversation references.

Targets resolve to conversations the bot has heard from (bot.teams.bot stores them):
a logical channel is the configured Teams channel id, a person is their 1:1 chat (created
from the tenant's service URL when there is none yet), a conversation is a `Ref` key.
A top-level post to a channel starts a new thread; `thread_ref` replies under a post;
`replace_ref` edits a post in place. Platform refs: {conversation_id, activity_id, root}.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)
from sqlmodel import Session

from bot.chart_files import image_source
from bot.delivery import Delivery, Failed, Outcome, Retry, Sent, Skipped
from bot.teams import identity, render
from bot.teams.connector import activity_from, outcome_of, status_of, tune
from handlers.chat.model import Ref
from handlers.config.team import TeamConfig
from handlers.desk import Desk
from storage import conversations
from storage.db import session_scope
from storage.models import TeamsConversation

log = logging.getLogger(__name__)
FORBIDDEN = 403  # Teams: the bot is no longer in the conversation (removed, or blocked)


@dataclass(frozen=True)
class Route:
    """Where a delivery goes: a stored reference, or a 1:1 chat still to be created."""

    reference: dict[str, Any]
    conversation_id: str  # the conversation (channel, chat), without ";messageid="
    kind: str
    member_id: str | None = None  # set when the 1:1 chat must be created first


class TeamsSender:
    def __init__(
        self, desk: Desk, adapter: CloudAdapter, app_id: str, public_url: str = ""
    ) -> None:
        self.desk = desk
        self.adapter = adapter
        self.app_id = app_id
        self.public_url = public_url  # where Teams fetches chart images too big to inline

    async def send(self, delivery: Delivery) -> Outcome:
        target = delivery.target
        if target.thread and delivery.thread_ref is None:
            return Retry(f"the post to reply under ({target.thread}) is not delivered yet")
        if target.replace and delivery.replace_ref is None:
            return Retry(f"the post to edit ({target.replace}) is not delivered yet")
        tenant = delivery.scope.partition(":")[2]
        route = await asyncio.to_thread(self._route, delivery, tenant)
        if isinstance(route, Skipped):
            return route
        if isinstance(route, Failed):
            log.error("teams: outbox %s not sent: %s", delivery.row_id, route.error)
            return route
        images = {
            image.chart: await asyncio.to_thread(
                image_source, self.desk.engine, image.chart, self.desk.now(), self.public_url
            )
            for image in delivery.message.images
        }
        activity = render.activity(self.desk.config, delivery.message, images)
        if delivery.replace_ref is not None:
            return await self._edit(route, delivery.replace_ref, activity)
        return await self._post(route, delivery, tenant, activity)

    # -- where to --------------------------------------------------------------------------

    def _route(self, delivery: Delivery, tenant: str) -> Route | Failed | Skipped:
        with session_scope(self.desk.engine) as session:
            return resolve(session, self.desk.config, delivery, tenant)

    # -- how -------------------------------------------------------------------------------

    async def _post(
        self, route: Route, delivery: Delivery, tenant: str, payload: dict[str, Any]
    ) -> Outcome:
        root = (delivery.thread_ref or {}).get("root") if route.kind == "channel" else None
        if route.kind == "channel" and root is None:
            root = delivery.target.reply_to  # an answer in the thread it was asked in
        reference = ConversationReference().deserialize(route.reference)
        reference.conversation.id = identity.thread_id(route.conversation_id, root)
        result: list[Outcome] = []

        async def logic(turn_context: TurnContext) -> None:
            tune(turn_context)
            client = turn_context.turn_state.get(self.adapter.BOT_CONNECTOR_CLIENT_KEY)
            conversation_id = reference.conversation.id
            if route.member_id is not None:
                try:
                    conversation_id = await self._open_chat(client, route, tenant)
                except Exception as exc:  # opening the same 1:1 chat twice is harmless
                    result.append(outcome_of(exc, repeatable=True))
                    return
                reference.conversation.id = conversation_id
            activity = _addressed(payload, reference)
            try:
                response = await client.conversations.send_to_conversation(
                    conversation_id, activity
                )
            except Exception as exc:
                result.append(await self._refused(exc, route, repeatable=False))
                return
            posted = response.id if response else None
            base, _ = identity.split_conversation(conversation_id)
            result.append(
                Sent({"conversation_id": base, "activity_id": posted, "root": root or posted})
            )

        await self.adapter.continue_conversation(reference, logic, self.app_id)
        return result[0] if result else Failed("the Teams turn ended without a result")

    async def _edit(
        self, route: Route, replace_ref: dict[str, Any], payload: dict[str, Any]
    ) -> Outcome:
        base = replace_ref.get("conversation_id") or route.conversation_id
        root, posted = replace_ref.get("root"), replace_ref.get("activity_id")
        reference = ConversationReference().deserialize(route.reference)
        reference.conversation.id = identity.thread_id(base, root if root != posted else None)
        result: list[Outcome] = []

        async def logic(turn_context: TurnContext) -> None:
            tune(turn_context)
            client = turn_context.turn_state.get(self.adapter.BOT_CONNECTOR_CLIENT_KEY)
            update = _addressed(payload, reference)
            update.id = posted
            try:
                await client.conversations.update_activity(
                    reference.conversation.id, posted, update
                )
            except Exception as exc:  # an edit can be repeated
                result.append(await self._refused(exc, route, repeatable=True))
                return
            result.append(Sent(replace_ref))

        await self.adapter.continue_conversation(reference, logic, self.app_id)
        return result[0] if result else Failed("the Teams turn ended without a result")

    async def _refused(self, exc: BaseException, route: Route, repeatable: bool) -> Outcome:
        """What a failed call means; a 403 (the bot was removed from the conversation) also
        marks the conversation inactive, so later posts there are skipped quietly."""
        outcome = outcome_of(exc, repeatable=repeatable)
        status, _ = status_of(exc)
        if status != FORBIDDEN or not route.conversation_id:
            return outcome
        reason = outcome.error if isinstance(outcome, Failed | Retry) else str(exc)
        now = self.desk.now()

        def mark() -> bool:
            with session_scope(self.desk.engine) as session:
                return conversations.mark_inactive(session, route.conversation_id, now, reason)

        if await asyncio.to_thread(mark):
            log.warning(
                "teams: conversation %s refused a post (403); marked inactive, later posts "
                "there are skipped until it is heard from again",
                route.conversation_id,
            )
        return outcome

    async def _open_chat(self, client: Any, route: Route, tenant: str) -> str:
        """Create the 1:1 chat with a person and remember it for the next DM."""
        reference = route.reference
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount().deserialize(reference.get("bot") or {}),
            members=[ChannelAccount(id=route.member_id)],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}},
        )
        created = await client.conversations.create_conversation(parameters)
        chat = dict(reference, conversation={"id": created.id, "tenantID": tenant})
        now = self.desk.now()

        def store() -> None:
            with session_scope(self.desk.engine) as session:
                conversations.remember_conversation(
                    session,
                    conversation_id=created.id,
                    tenant_id=tenant,
                    kind="personal",
                    service_url=reference.get("serviceUrl", ""),
                    reference=chat,
                    now=now,
                    user_id=route.member_id,
                )

        await asyncio.to_thread(store)
        return str(created.id)


def _addressed(payload: dict[str, Any], reference: ConversationReference) -> Activity:
    activity = activity_from(payload)
    return TurnContext.apply_conversation_reference(activity, reference)


# -- resolving a neutral target ------------------------------------------------------------


def channel_id(config: TeamConfig, name: str) -> str | None:
    """The Teams conversation id of a logical channel (queue, managers, l2:<category>)."""
    channel = config.channels.named(name)
    return channel.teams if channel else None


def resolve(
    session: Session, config: TeamConfig, delivery: Delivery, tenant: str
) -> Route | Failed | Skipped:
    target = delivery.target
    if target.kind == "channel":
        conversation = channel_id(config, target.name)
        if not conversation:
            return Failed(f"channel {target.name!r} has no Teams id in the configuration")
        return _known(session, conversation, f"channel {target.name}")
    if target.kind == "conversation":
        return _known(session, Ref.parse(target.name).id, "conversation")
    person = config.person(target.name)
    if person is None or not person.teams:
        return Failed(f"person {target.name!r} has no Teams id in the configuration")
    user = conversations.user(session, tenant, person.teams)
    ids = [i for i in (person.teams, user and user.user_id, user and user.aad_object_id) if i]
    chat = conversations.personal_conversation(session, tenant, ids)
    if chat is not None:
        return _route(chat)
    anchor = conversations.latest_in_tenant(session, tenant)
    if anchor is None:
        return Failed(
            f"cannot DM {person.id}: deskbot has not heard from Teams tenant {tenant} yet "
            "(install the app, or message the bot once)"
        )
    member = user.user_id if user is not None else person.teams
    return Route(anchor.reference, "", "personal", member_id=member)


def _known(session: Session, conversation_id: str, what: str) -> Route | Failed | Skipped:
    row = conversations.conversation(session, identity.split_conversation(conversation_id)[0])
    if row is None:
        return Failed(
            f"{what}: Teams conversation {conversation_id} was never heard from, so there is "
            "no reference to post with; add the app to that team or chat and @mention the bot "
            "there once"
        )
    return _route(row)


def _route(row: TeamsConversation) -> Route | Skipped:
    if row.inactive_since is not None:
        return Skipped(
            f"Teams conversation {row.conversation_id} is inactive since "
            f"{row.inactive_since:%Y-%m-%d %H:%M} UTC ({row.inactive_reason})"
        )
    return Route(row.reference, row.conversation_id, row.kind)
