"""The neutral chat model: who asked, where, what was asked, and what to say back.

Adapters turn platform payloads into these objects and render `Message` trees for their
platform; the use cases never see a platform type. Every object here serialises to plain
JSON so it can sit in the outbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from handlers.config.team import Person

# Mentions travel inside markdown text as a token no user can type: input is cleaned of these
# two private-use characters (`clean_input`), and each renderer swaps the token for a real
# mention (Slack `<@U…>`, Teams `<at>…</at>`, console `@Name`).
MENTION_OPEN, MENTION_CLOSE = "\ue000", "\ue001"
_MENTION = re.compile(f"{MENTION_OPEN}([a-z][a-z0-9_-]*){MENTION_CLOSE}")


def mention_token(person_id: str) -> str:
    return f"{MENTION_OPEN}{person_id}{MENTION_CLOSE}"


def mentioned_ids(text: str) -> list[str]:
    return list(dict.fromkeys(_MENTION.findall(text)))


def split_mentions(text: str) -> list[str | Mention]:
    """Text pieces and the mentions between them, in order."""
    parts: list[str | Mention] = []
    last = 0
    for match in _MENTION.finditer(text):
        if match.start() > last:
            parts.append(text[last : match.start()])
        parts.append(Mention(match.group(1)))
        last = match.end()
    if last < len(text):
        parts.append(text[last:])
    return parts


def clean_input(text: str) -> str:
    """User text with the mention sentinels removed, so nobody can forge a mention."""
    return text.replace(MENTION_OPEN, "").replace(MENTION_CLOSE, "")


@dataclass(frozen=True)
class Mention:
    person_id: str


# -- identities ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """An opaque platform identity: platform + workspace/tenant + id."""

    platform: str
    workspace: str
    id: str

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.workspace}:{self.id}"

    @classmethod
    def parse(cls, key: str) -> Ref:
        platform, workspace, ident = key.split(":", 2)
        return cls(platform, workspace, ident)

    @property
    def scope(self) -> str:
        """Tickets, people and channels are scoped per platform workspace."""
        return f"{self.platform}:{self.workspace}"


@dataclass(frozen=True)
class Actor:
    """Who is acting: a platform user, and the configured person behind it if known."""

    ref: Ref
    person: Person | None = None
    display_name: str = ""
    locale: str | None = None  # the platform's locale for this user (`zh-CN`), if it says

    @property
    def key(self) -> str:
        """How tickets record this actor: the person id, or the platform identity."""
        return self.person.id if self.person else self.ref.key

    @property
    def name(self) -> str:
        if self.person:
            return self.person.name
        return self.display_name or self.ref.id


# -- messages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    text: str
    type: Literal["header"] = "header"


@dataclass(frozen=True)
class Text:
    """Markdown subset: **bold**, _italic_, [label](url), `- ` lists; mentions as tokens."""

    text: str
    type: Literal["text"] = "text"


@dataclass(frozen=True)
class Fields:
    items: tuple[tuple[str, str], ...]  # (label, markdown value)
    type: Literal["fields"] = "fields"


@dataclass(frozen=True)
class Items:
    items: tuple[str, ...]  # markdown, one per list item
    type: Literal["items"] = "items"


@dataclass(frozen=True)
class Divider:
    type: Literal["divider"] = "divider"


@dataclass(frozen=True)
class Context:
    text: str
    type: Literal["context"] = "context"


@dataclass(frozen=True)
class Button:
    label: str
    action_id: str  # e.g. "ticket.take"
    value: str = ""  # e.g. "T-3"
    style: Literal["primary", "danger"] | None = None
    url: str | None = None  # a link button


@dataclass(frozen=True)
class Actions:
    buttons: tuple[Button, ...]
    type: Literal["actions"] = "actions"


@dataclass(frozen=True)
class Image:
    """A picture (a rendered chart): `chart` is its stored token (`storage.charts`); each
    adapter delivers it its own way (Slack file upload, Teams card image, console file)."""

    chart: str
    alt: str  # what it shows, for screen readers and plain text
    type: Literal["image"] = "image"


Block = Annotated[
    Header | Text | Fields | Items | Divider | Context | Actions | Image,
    Field(discriminator="type"),
]


@dataclass(frozen=True)
class Message:
    blocks: tuple[Block, ...]
    fallback: str  # markdown; every platform also gets it as plain text

    @classmethod
    def text(cls, markdown: str, fallback: str | None = None) -> Message:
        """A message of one markdown text block (the fallback is the text unless given)."""
        return cls((Text(markdown),), markdown if fallback is None else fallback)

    @property
    def mentions(self) -> list[str]:
        """Person ids this message mentions (pings), in order of appearance."""
        return mentioned_ids("\n".join([self.fallback, *_texts(self)]))

    @property
    def images(self) -> list[Image]:
        return [block for block in self.blocks if isinstance(block, Image)]

    @property
    def buttons(self) -> list[Button]:
        return [b for block in self.blocks if isinstance(block, Actions) for b in block.buttons]

    def to_dict(self) -> dict[str, Any]:
        return _MESSAGE.dump_python(self, mode="json")  # type: ignore[no-any-return]

    def to_json(self) -> str:
        """`to_dict` as JSON text, in one step (a card as a dict, then encoded, cost twice)."""
        return _MESSAGE.dump_json(self).decode()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Message:
        return _MESSAGE.validate_python(data)


# Blocks carry a `type` tag, so pydantic can rebuild the tree from JSON (and fast).
_MESSAGE: TypeAdapter[Message] = TypeAdapter(Message)


def _texts(message: Message) -> list[str]:
    out: list[str] = []
    for block in message.blocks:
        if isinstance(block, Header | Text | Context):
            out.append(block.text)
        elif isinstance(block, Fields):
            out.extend(value for _, value in block.items)
        elif isinstance(block, Items):
            out.extend(block.items)
    return out


# -- forms ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: Literal["text", "multiline", "select", "person"] = "text"
    required: bool = False
    choices: tuple[Choice, ...] = ()
    initial: str = ""
    max_length: int | None = None  # the longest value taken (the input stops typing there)


@dataclass(frozen=True)
class Form:
    """A form to fill in: a Slack modal, a Teams input card; the console shows its usage."""

    form_id: str  # e.g. "ticket.new"
    title: str
    submit_label: str
    fields: tuple[FormField, ...]
    hint: str = ""  # markdown: how to do the same with a text command


# -- what comes in, what goes back, where posts go -----------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a request was made: the channel, and the thread if any."""

    channel: Ref
    thread: str | None = None


@dataclass(frozen=True)
class Reply:
    """The answer to the person who asked; `ephemeral` means only they see it."""

    message: Message | None = None
    ephemeral: bool = True
    form: Form | None = None
    form_errors: dict[str, str] = field(default_factory=dict)
    update_card: Message | None = None  # a pressed card, redrawn in place
    ok: bool = True  # false for refusals and bad input


@dataclass(frozen=True)
class Target:
    """A neutral post destination, resolved to a platform target at delivery.

    kind "channel": a logical channel of the configuration (queue, managers, l2:<category>)
    kind "person": a direct message to a configured person
    kind "conversation": a platform conversation as it was heard from (a `Ref` key)
    `thread`: the dedupe key of an earlier outbox post to reply under.
    `replace`: the dedupe key of an earlier outbox post to edit in place (a ticket card).
    `reply_to`: for kind "conversation", the platform's id of the message heard (e.g. a
    Slack ts), to answer in its thread.
    `only_for`: a platform user's `Ref` key; the post is shown to that user only (Slack's
    ephemeral messages). A platform without such posts sends it as a normal post.
    """

    kind: Literal["channel", "person", "conversation"]
    name: str
    thread: str | None = None
    replace: str | None = None
    reply_to: str | None = None
    only_for: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # every field is a string or None: a shallow copy (asdict deep-copies each value)
        return dict(vars(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Target:
        return cls(**data)


@dataclass(frozen=True)
class Post:
    """A message the bot will post, persisted in the outbox with the change behind it."""

    target: Target
    message: Message
    dedupe_key: str | None = None
