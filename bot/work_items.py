"""Inbound work, one typed item per kind, as every adapter hands it to `bot.inbox`.

An item says who asked (platform identity, and the configured person the adapter resolved),
where (channel and thread), what (the kind's own fields, mentions already `@person-id`), and
`via`: the platform's opaque way back to the asker (a Slack response URL, a trigger id).
Items are stored as JSON before the platform is answered and run after; `run` is the one
place that turns an item into a router call. A new kind: a class here, added to `Item` and
to `run`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from handlers import router
from handlers.chat.model import Actor, Place, Ref, Reply
from handlers.desk import Desk

Id = Annotated[str, Field(min_length=1, max_length=200)]  # never defaulted: a request says who


class WorkItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    platform: Id
    workspace: Id  # Slack team, Teams tenant
    user: Id  # the platform's id of the asker
    channel: Id  # the conversation asked in (a Slack DM has one too)
    thread: str | None = None
    name: str = ""  # display name, for people not in the configuration
    person: str | None = None  # the configured person, resolved by the adapter
    locale: str | None = None  # the platform's locale of the asker (`zh-CN`), when known
    via: dict[str, str] = Field(default_factory=dict)

    def actor(self, desk: Desk) -> Actor:
        person = desk.config.person(self.person) if self.person else None
        return Actor(Ref(self.platform, self.workspace, self.user), person, self.name, self.locale)

    def place(self) -> Place:
        return Place(Ref(self.platform, self.workspace, self.channel), self.thread)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Command(WorkItem):
    """A slash command, or a Teams message to the bot: the command words."""

    kind: Literal["command"] = "command"
    text: str


class Mention(WorkItem):
    """An @mention of the bot in a channel: the words after it."""

    kind: Literal["mention"] = "mention"
    text: str


class Press(WorkItem):
    """A button on a card."""

    kind: Literal["action"] = "action"
    action_id: Id
    value: str = ""


class FormSubmission(WorkItem):
    """A form (Slack modal, Teams input card) submitted."""

    kind: Literal["form"] = "form"
    form_id: Id
    values: dict[str, str]


class MessageShortcut(WorkItem):
    """A chat message made into a ticket (Slack message shortcut)."""

    kind: Literal["shortcut"] = "shortcut"
    text: str
    permalink: str | None = None
    author: str = ""  # the platform id of who wrote the message: the ticket's reporter


class Reaction(WorkItem):
    """The team's ticket emoji on a message (Slack `reaction_added`): logged at once. The
    message's text, author and link are read after the ack and filled in before it runs."""

    kind: Literal["reaction"] = "reaction"
    message_ts: Id
    text: str = ""
    author: str = ""
    permalink: str | None = None


Item = Annotated[
    Command | Mention | Press | FormSubmission | MessageShortcut | Reaction,
    Field(discriminator="kind"),
]
_ITEM: TypeAdapter[Item] = TypeAdapter(Item)


def from_json(data: dict[str, Any]) -> Item:
    return _ITEM.validate_python(data)


def run(desk: Desk, item: WorkItem) -> Reply:
    """The neutral call an item stands for."""
    actor, place = item.actor(desk), item.place()
    match item:
        case Command(text=text) | Mention(text=text):
            return router.handle_text(desk, actor, place, text)
        case Press(action_id=action_id, value=value):
            return router.handle_action(desk, actor, place, action_id, value)
        case FormSubmission(form_id=form_id, values=values):
            return router.handle_form(desk, actor, place, form_id, values)
        case MessageShortcut(text=text, permalink=permalink, author=author):
            return router.ticket_from_message(desk, actor, place, text, permalink, author)
        case Reaction(text=text, author=author, permalink=permalink):
            return router.ticket_from_reaction(desk, actor, place, text, author, permalink)
    raise TypeError(f"no use case for {type(item).__name__}")


def key_of(kind: str, *parts: object) -> str:
    """The delivery's unique key: what the platform repeats when it delivers it again."""
    return ":".join([kind, *(str(p) for p in parts)])[:200]


def digest(values: Any) -> str:
    raw = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hashlib.sha256(raw).hexdigest()[:16]
