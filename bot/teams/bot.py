"""The Teams activity handler: commands, card presses, forms, and conversation references.

Every activity refreshes the stored reference of its conversation (the service URL can
move). A command or a press is claimed in `inbound_event` (source "teams") before it runs,
so a redelivered activity does nothing the second time. All database work runs in a thread:
the event loop keeps answering Teams while a use case runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import Activity
from sqlmodel import Session

from bot.teams import identity, render
from bot.teams.connector import activity_from, tune
from handlers import router
from handlers.chat import language
from handlers.chat.model import Actor, Place, Reply
from handlers.chat.texts import phrase
from handlers.desk import Desk
from storage import conversations, inbound, inbound_work
from storage.db import session_scope

log = logging.getLogger(__name__)
SOURCE = "teams"
CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"  # shown to the presser only
T = TypeVar("T")


class DeskBot(TeamsActivityHandler):
    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    async def db(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one transaction, off the event loop."""

        def run() -> T:
            with session_scope(self.desk.engine) as session:
                return work(session)

        return await asyncio.to_thread(run)

    # -- every activity ---------------------------------------------------------------------

    async def on_turn(self, turn_context: TurnContext) -> None:
        tune(turn_context)
        await self.remember(turn_context.activity)
        await super().on_turn(turn_context)

    async def remember(self, activity: Activity) -> None:
        """Store the conversation's reference and the sender; installs land here too."""
        if not activity.conversation or not activity.service_url:
            return
        tenant = identity.tenant_of(activity, self.desk.config)
        base, _ = identity.split_conversation(activity.conversation.id)
        kind = identity.kind_of(activity)
        sender = activity.from_property
        reference = identity.reference_of(activity)
        reference["conversation"]["tenantID"] = tenant
        now = self.desk.now()

        def work(session: Session) -> None:
            conversations.remember_conversation(
                session,
                conversation_id=base,
                tenant_id=tenant,
                kind=kind,
                service_url=activity.service_url,
                reference=reference,
                now=now,
                user_id=sender.id if kind == "personal" and sender and sender.id else None,
            )
            if sender and sender.id and sender.role != "bot":
                conversations.remember_user(
                    session,
                    tenant_id=tenant,
                    user_id=sender.id,
                    aad_object_id=sender.aad_object_id,
                    name=sender.name or "",
                    now=now,
                )

        await self.db(work)

    # -- who is asking ---------------------------------------------------------------------

    async def actor(self, turn_context: TurnContext, tenant: str) -> Actor:
        account = turn_context.activity.from_property
        config = self.desk.config
        person, wants_upn = await self.db(
            lambda s: identity.known_person(s, config, tenant, account)
        )
        if person is None and wants_upn and account.id:
            upn = await self.lookup_upn(turn_context)
            if upn:
                await self.db(
                    lambda s: conversations.remember_user(
                        s, tenant_id=tenant, user_id=account.id, upn=upn, now=self.desk.now()
                    )
                )
                person = config.find_person(identity.PLATFORM, upn)
        return identity.actor_of(account, tenant, person, turn_context.activity.locale)

    async def lookup_upn(self, turn_context: TurnContext) -> str | None:
        """The sender's UPN from Teams, once per user (it is remembered afterwards)."""
        user_id = turn_context.activity.from_property.id
        try:
            member = await TeamsInfo.get_member(turn_context, user_id)
        except Exception as exc:  # the person stays unknown for this message
            log.warning("teams: could not look up the UPN of %s: %s", user_id, exc)
            return None
        return getattr(member, "user_principal_name", None) or getattr(member, "email", None)

    # -- commands --------------------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        value = activity.value if isinstance(activity.value, dict) else None
        if value and value.get(render.KIND) and not (activity.text or "").strip():
            await self.on_submit(turn_context, value)  # an Action.Submit from an older card
            return
        config = self.desk.config
        tenant = identity.tenant_of(activity, config)
        text = await self.db(lambda s: identity.command_text(s, config, tenant, activity))
        actor = await self.actor(turn_context, tenant)
        place = identity.place_of(activity, tenant)
        reply = await self.once(
            activity, lambda: router.handle_text(self.desk, actor, place, text or "help")
        )
        if reply is not None:
            await self.send_reply(turn_context, reply)

    async def once(self, activity: Activity, work: Callable[[], Reply]) -> Reply | None:
        """Run a use case unless this activity was handled before (None then)."""
        event_id = _event_id(activity)
        now = self.desk.now()
        claimed = await self.db(
            lambda s: inbound.claim(s, SOURCE, event_id, now, activity.serialize())
        )
        if not claimed:
            log.info("teams: activity %s already handled; ignored", event_id)
            return None

        def run() -> Reply:
            # the use case's own commit carries the done mark (storage.inbound_work)
            with inbound_work.finishing(SOURCE, event_id, self.desk.now()):
                return work()

        try:
            reply = await asyncio.to_thread(run)
        except Exception:
            # the use case rolled back: let a redelivery of this activity try again
            await self.db(lambda s: inbound.release(s, SOURCE, event_id))
            raise
        # read-only commands (queue, help) wrote nothing: mark them done now
        await self.db(lambda s: inbound.finish(s, SOURCE, event_id, self.desk.now()))
        return reply

    async def send_reply(self, turn_context: TurnContext, reply: Reply) -> None:
        config = self.desk.config
        outgoing: list[dict[str, Any]] = []
        if reply.message is not None:
            outgoing.append(render.activity(config, reply.message))
        if reply.form is not None:
            content = render.form_card(config, reply.form, reply.form_errors)
            outgoing.append(
                render.card_activity(config, content, render.plain(config, reply.form.title))
            )
        for item in outgoing:
            try:
                await turn_context.send_activity(activity_from(item))
            except Exception:  # the change is saved; only this answer is lost
                log.exception("teams: could not send the reply")

    # -- card presses (Action.Execute) -----------------------------------------------------

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        activity = turn_context.activity
        if activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        action = activity.value.get("action") if isinstance(activity.value, dict) else None
        if not isinstance(action, dict) or action.get("type") != "Action.Execute":
            return InvokeResponse(status=400, body=_error("not an Action.Execute invoke"))
        body = await self.execute(turn_context, action.get("data") or {})
        return InvokeResponse(status=200, body=body)

    async def execute(self, turn_context: TurnContext, data: dict[str, Any]) -> dict[str, Any]:
        """The invoke response: the refreshed card, or a message only the presser sees."""
        result = await self.press(turn_context, data)
        if result is None:  # said in the presser's client language (no look-up of who)
            config = self.desk.config
            reader = language.of_reader(config, None, turn_context.activity.locale)
            with language.speaking(reader, config.team.both_names):
                return _message(phrase("teams.already_handled"))
        reply, kind = result
        config = self.desk.config
        if reply.update_card is not None and reply.message is not None and not reply.ephemeral:
            await self.send_reply(turn_context, Reply(reply.message, ephemeral=False))
        if reply.form is not None:
            return _card(render.form_card(config, reply.form, reply.form_errors))
        if reply.update_card is not None:
            return _card(render.card(config, reply.update_card))
        if kind == "form" and reply.ok and reply.message is not None:
            return _card(render.card(config, reply.message))  # the filled form becomes the answer
        if reply.message is not None:
            return _message(render.plain(config, reply.message.fallback))
        return _message("")

    async def press(
        self, turn_context: TurnContext, data: dict[str, Any]
    ) -> tuple[Reply, str] | None:
        """A press or a form submission, through the router; None when seen before."""
        activity = turn_context.activity
        config = self.desk.config
        tenant = identity.tenant_of(activity, config)
        actor = await self.actor(turn_context, tenant)
        place = identity.place_of(activity, tenant)
        kind = str(data.get(render.KIND) or "")
        run = _router_call(self.desk, actor, place, kind, data)
        reply = await self.once(activity, run)
        return None if reply is None else (reply, kind)

    async def on_submit(self, turn_context: TurnContext, value: dict[str, Any]) -> None:
        """Action.Submit arrives as a message; the card is updated by id, answers are public."""
        result = await self.press(turn_context, value)
        if result is None:
            return
        reply, _ = result
        activity = turn_context.activity
        if reply.update_card is not None and activity.reply_to_id:
            content = render.card(self.desk.config, reply.update_card)
            update = activity_from(
                render.card_activity(
                    self.desk.config,
                    content,
                    render.plain(self.desk.config, reply.update_card.fallback),
                )
            )
            update.id = activity.reply_to_id
            try:
                await turn_context.update_activity(update)
            except Exception:
                log.exception("teams: could not update the pressed card")
        await self.send_reply(
            turn_context, Reply(reply.message, form=reply.form, form_errors=reply.form_errors)
        )


def _router_call(
    desk: Desk, actor: Actor, place: Place, kind: str, data: dict[str, Any]
) -> Callable[[], Reply]:
    if kind == "form":
        form_id = str(data.get(render.FORM) or "")
        values = {k: str(v) for k, v in data.items() if not k.startswith("_") and v is not None}
        return lambda: router.handle_form(desk, actor, place, form_id, values)
    action_id = str(data.get(render.ACTION) or "")
    value = str(data.get(render.VALUE) or "")
    return lambda: router.handle_action(desk, actor, place, action_id, value)


def _event_id(activity: Activity) -> str:
    """The activity id, qualified by its conversation (ids are unique per conversation)."""
    base, _ = identity.split_conversation(activity.conversation.id if activity.conversation else "")
    digest = hashlib.sha256(base.encode()).hexdigest()[:16]
    return f"{activity.id}@{digest}"[:200]


def _card(content: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": 200, "type": CARD, "value": content}


def _message(text: str) -> dict[str, Any]:
    return {"statusCode": 200, "type": MESSAGE, "value": text}


def _error(reason: str) -> dict[str, Any]:
    return {
        "statusCode": 400,
        "type": "application/vnd.microsoft.error",
        "value": {"code": "BadRequest", "message": reason},
    }
