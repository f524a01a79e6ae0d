"""The Teams message action "Create ticket from message" (a messaging extension command with
`type: action`, `context: ["message"]`, `fetchTask: true`; see `manifest.py`).

`composeExtension/fetchTask` answers with a task module holding the intake form, pre-filled
from the message: its text, its author as reporter and a link to it. Submitting the form
(`composeExtension/submitAction`) runs the same neutral form path as every other form
(`router.handle_form`): errors show the form again beside their fields, success closes the
task module with the answer. The submission is claimed like any activity: a redelivery
logs no second ticket.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext
from botbuilder.schema import Attachment, ChannelAccount
from botbuilder.schema.teams import (
    MessagingExtensionAction,
    MessagingExtensionActionResponse,
    TaskModuleContinueResponse,
    TaskModuleMessageResponse,
    TaskModuleTaskInfo,
)

from bot.teams import identity, render
from bot.teams.manifest import MESSAGE_ACTION
from handlers import router
from handlers.chat.model import Form

if TYPE_CHECKING:
    from bot.teams.bot import DeskBot

COMMAND_ID = MESSAGE_ACTION
CARD = "application/vnd.microsoft.card.adaptive"
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def message_text(payload: Any) -> str:
    """A message's body as plain text (Teams sends HTML)."""
    body = getattr(payload, "body", None)
    content = getattr(body, "content", "") or ""
    if (getattr(body, "content_type", "") or "").lower() == "html":
        content = html.unescape(_TAG.sub("", _BREAK.sub("\n", content)))
    return "\n".join(line.strip() for line in content.splitlines()).strip()


async def fetch_task(
    bot: DeskBot, turn_context: TurnContext, action: MessagingExtensionAction
) -> MessagingExtensionActionResponse:
    payload = action.message_payload
    config = bot.desk.config
    tenant = identity.tenant_of(turn_context.activity, config)
    actor = await bot.actor(turn_context, tenant)
    place = identity.place_of(turn_context.activity, tenant)
    author = await _author(bot, tenant, payload)
    link = getattr(payload, "link_to_message", None)
    reply = router.ticket_from_message(bot.desk, actor, place, message_text(payload), link, author)
    assert reply.form is not None
    return _form_task(bot, reply.form, {})


async def submit(
    bot: DeskBot, turn_context: TurnContext, action: MessagingExtensionAction
) -> MessagingExtensionActionResponse:
    data = action.data if isinstance(action.data, dict) else {}
    result = await bot.press(turn_context, {**data, render.KIND: "form"})
    if result is None:
        return _done(render.plain(bot.desk.config, ""))
    reply, _ = result
    if reply.form is not None:
        return _form_task(bot, reply.form, reply.form_errors)
    text = reply.message.fallback if reply.message is not None else ""
    return _done(render.plain(bot.desk.config, text))


async def _author(bot: DeskBot, tenant: str, payload: Any) -> str:
    """The message's author as a configured person id if known, else their display name."""
    user = getattr(getattr(payload, "from_property", None), "user", None)
    if user is None:
        return ""
    account = ChannelAccount(id=user.id, aad_object_id=user.id, name=user.display_name)
    person, _ = await bot.db(lambda s: identity.known_person(s, bot.desk.config, tenant, account))
    return person.id if person else (user.display_name or "")


def _form_task(
    bot: DeskBot, form: Form, errors: dict[str, str]
) -> MessagingExtensionActionResponse:
    config = bot.desk.config
    card = render.form_card(config, form, errors)
    # a task module submits with Action.Submit (Universal Actions do not run in dialogs)
    card["actions"] = [
        {k: v for k, v in a.items() if k != "verb"} | {"type": "Action.Submit"}
        for a in card["actions"]
    ]
    info = TaskModuleTaskInfo(
        title=render.plain(config, form.title),
        card=Attachment(content_type=CARD, content=card),
        height="large",
        width="medium",
    )
    return MessagingExtensionActionResponse(task=TaskModuleContinueResponse(value=info))


def _done(text: str) -> MessagingExtensionActionResponse:
    return MessagingExtensionActionResponse(task=TaskModuleMessageResponse(value=text))
