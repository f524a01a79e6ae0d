"""The Teams activity handler: commands, card presses, forms, and conversation references.

Every activity refreshes the stored reference of its conversation (the service URL can
move). A command or a press becomes a typed work item (`bot.work_items`) that goes through
the same inbox as Slack's (`bot.inbox`, source "teams"): persisted under the activity id
before it runs, so a redelivery does nothing the second time and work a crash interrupted is
run again at the next start (its answer then posted in the conversation). All database work
runs in a thread: the event loop keeps answering Teams while a use case runs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import Activity
from botbuilder.schema.teams import MessagingExtensionAction, MessagingExtensionActionResponse
from sqlmodel import Session

from bot.delivery import Retry
from bot.inbox import Inbox
from bot.teams import identity, message_action, render
from bot.teams.connector import activity_from, outcome_of, tune
from bot.work_items import Command, FormSubmission, Press, WorkItem
from handlers.chat import language
from handlers.chat.model import Actor, Message, Post, Reply, Target
from handlers.chat.texts import phrase
from handlers.desk import Desk
from storage import conversations
from storage.db import session_scope

log = logging.getLogger(__name__)
CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"  # shown to the presser only
T = TypeVar("T")


class DeskBot(TeamsActivityHandler):
    def __init__(self, desk: Desk, inbox: Inbox) -> None:
        self.desk = desk
        self.inbox = inbox  # source "teams", answering later through bot.teams.later

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

        if _bot_removed(activity):  # not a sign of life: the opposite
            how = " ".join(x for x in (activity.type, activity.action) if x)

            def gone(session: Session) -> None:
                conversations.mark_inactive(session, base, now, f"the bot was removed ({how})")

            await self.db(gone)
            log.info("teams: removed from conversation %s; posts there are skipped", base)
            return

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

    async def asker(self, turn_context: TurnContext, tenant: str) -> dict[str, Any]:
        """Who asked and where, as a work item's fields (the person resolved here, once)."""
        activity = turn_context.activity
        actor = await self.actor(turn_context, tenant)
        place = identity.place_of(activity, tenant)
        return {
            "platform": identity.PLATFORM,
            "workspace": tenant,
            "user": actor.ref.id,
            "name": actor.display_name,
            "person": actor.person.id if actor.person else None,
            "locale": actor.locale,  # the sender's Teams client language (`zh-CN`)
            "channel": place.channel.id,
            "thread": place.thread,
        }

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
        asker = await self.asker(turn_context, tenant)
        key, item = _event_id(activity), Command(**asker, text=text or "help")
        reply = await self.take(key, item)
        if reply is not None:
            await self.send_reply(turn_context, reply)
            await self.inbox.answered(key)

    async def take(self, key: str, item: WorkItem) -> Reply | None:
        """Persist, then run through the inbox; None when this activity was handled before
        (or the database is down: recovery runs it and answers in the conversation)."""
        if not await self.inbox.persist(key, item):
            log.info("teams: activity %s already handled; ignored", key)
            return None
        return await self.inbox.execute(key, item)

    async def send_reply(self, turn_context: TurnContext, reply: Reply) -> None:
        config = self.desk.config
        if reply.message is not None:
            item = render.activity(config, reply.message)
            await self.answer(turn_context, item, later=reply.message)
        if reply.form is not None:
            content = render.form_card(config, reply.form, reply.form_errors)
            item = render.card_activity(config, content, render.plain(config, reply.form.title))
            await self.answer(turn_context, item, later=None)

    async def answer(
        self, turn_context: TurnContext, item: dict[str, Any], later: Message | None
    ) -> None:
        """Send one reply in this turn. One Teams throttled (or surely never got) goes to the
        outbox, which posts it in the same thread after the Retry-After Teams asked for, as
        it does every proactive post; a reply that may have arrived is not sent again."""
        try:
            await turn_context.send_activity(activity_from(item))
            return
        except Exception as exc:  # the change is saved; the answer must not be lost
            outcome = outcome_of(exc, repeatable=False)
        activity = turn_context.activity
        if later is None or not isinstance(outcome, Retry) or not activity.conversation:
            log.error("teams: could not send the reply: %s", outcome.error)
            return
        place = identity.place_of(activity, identity.tenant_of(activity, self.desk.config))
        target = Target("conversation", place.channel.key, reply_to=place.thread)
        post = Post(target, later, f"reply:{_event_id(activity)}")
        when = self.desk.now() + dt.timedelta(seconds=outcome.after or 0)
        await self.db(
            lambda s: self.desk.post(
                s, identity.PLATFORM, place.channel.scope, post, not_before=when
            )
        )
        log.warning("teams: reply not sent (%s); queued in the outbox", outcome.error)

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
        """A press or a form submission, through the inbox; None when seen before."""
        activity = turn_context.activity
        tenant = identity.tenant_of(activity, self.desk.config)
        asker = await self.asker(turn_context, tenant)
        kind = str(data.get(render.KIND) or "")
        key, item = _event_id(activity), _pressed(asker, kind, data)
        reply = await self.take(key, item)
        if reply is not None:
            await self.inbox.answered(key)  # the invoke response or the reply carries it
        return None if reply is None else (reply, kind)

    # -- the message action "Create ticket from message" (bot/teams/message_action.py) ------

    async def on_teams_messaging_extension_fetch_task(  # type: ignore[override]
        self, turn_context: TurnContext, action: MessagingExtensionAction
    ) -> MessagingExtensionActionResponse:
        return await message_action.fetch_task(self, turn_context, action)

    async def on_teams_messaging_extension_submit_action(  # type: ignore[override]
        self, turn_context: TurnContext, action: MessagingExtensionAction
    ) -> MessagingExtensionActionResponse:
        return await message_action.submit(self, turn_context, action)

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


def _pressed(asker: dict[str, Any], kind: str, data: dict[str, Any]) -> WorkItem:
    if kind == "form":
        values = {k: str(v) for k, v in data.items() if not k.startswith("_") and v is not None}
        return FormSubmission(**asker, form_id=str(data.get(render.FORM) or ""), values=values)
    action_id = str(data.get(render.ACTION) or "")
    return Press(**asker, action_id=action_id, value=str(data.get(render.VALUE) or ""))


def _bot_removed(activity: Activity) -> bool:
    """The app uninstalled, or the bot taken out of the conversation's members."""
    if activity.type == "installationUpdate":
        return str(activity.action or "").startswith("remove")
    bot = activity.recipient.id if activity.recipient else None
    removed = activity.members_removed or [] if activity.type == "conversationUpdate" else []
    return bot is not None and any(m.id == bot for m in removed)


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
