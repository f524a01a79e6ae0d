"""Neutral messages as Teams activities: Adaptive Cards, or plain text messages.

A message that is only text (a thread note, a DM) goes out as a text message, HTML-escaped,
with `<at>Name</at>` mentions and mention entities. Anything with structure (a header,
fields, buttons) becomes an Adaptive Card with its mentions in `msteams.entities`.

User text can never turn into markup or a mention: text messages escape HTML, cards escape
the Markdown subset and break any `<tag` apart, and a `<at>` only pings someone when the
renderer itself added the entity for a configured person. People without a Teams id are
written as plain names.

Plain dicts only: the SDK turns them into activities in `bot.teams.bot`, so this module is
what the console's `:json teams` shows.
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from bot import markdown
from handlers.chat.model import (
    Actions,
    Button,
    Context,
    Divider,
    Fields,
    Form,
    Header,
    Image,
    Items,
    Message,
    Text,
)
from handlers.config.team import Person, TeamConfig

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.5"  # Action.Execute (Universal Actions) needs 1.4 or later
# `data` keys of our card actions; input ids of a form never start with an underscore.
KIND, ACTION, VALUE, FORM = "_deskbot", "_action", "_value", "_form"

_AC_SPECIAL = re.compile(r"([\\*_\[\]`~])")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_SAFE_URL = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)


@dataclass
class Mentions:
    """The mention entities a rendered message needs, one per person."""

    config: TeamConfig
    entities: list[dict[str, Any]] = field(default_factory=list)

    def tag(self, person_id: str) -> str | None:
        """`<at>Name</at>` for a person Teams can ping, recording its entity; else None."""
        person = self.config.person(person_id)
        if person is None or not person.teams:
            return None
        text = f"<at>{_mention_name(person)}</at>"
        if all(e["text"] != text for e in self.entities):
            self.entities.append(
                {
                    "type": "mention",
                    "text": text,
                    "mentioned": {"id": person.teams, "name": person.name},
                }
            )
        return text

    def name(self, person_id: str) -> str:
        person = self.config.person(person_id)
        return person.name if person else person_id


def _mention_name(person: Person) -> str:
    # the text between <at> tags must match the entity exactly: keep it free of markup
    return re.sub(r"[<>&*_\[\]`~\\]", "", person.name).strip() or person.id


# -- plain text --------------------------------------------------------------------------


def plain(config: TeamConfig, text: str) -> str:
    """Markdown as plain text (notification previews, card fallback): names, no markup."""
    return markdown.plain(config, text)


# -- text messages (HTML) ------------------------------------------------------------------


def _html(text: str, mentions: Mentions) -> str:
    def span(s: markdown.Span) -> str:
        body = html.escape(s.text, quote=False)
        match s.kind:
            case "mention":
                return mentions.tag(s.text) or html.escape(mentions.name(s.text), quote=False)
            case "bold":
                return f"<b>{body}</b>"
            case "italic":
                return f"<i>{body}</i>"
            case "code":
                return f"<code>{body}</code>"
            case "link" if _SAFE_URL.match(s.url):
                return f'<a href="{html.escape(s.url)}">{body}</a>'
        return body

    return markdown.convert(text, span).replace("\n", "<br>")


def text_activity(config: TeamConfig, message: Message) -> dict[str, Any]:
    mentions = Mentions(config)
    parts = [b.text for b in message.blocks if isinstance(b, Text | Context)]
    body = "<br><br>".join(_html(part, mentions) for part in parts or [message.fallback])
    activity: dict[str, Any] = {"type": "message", "textFormat": "xml", "text": body}
    if mentions.entities:
        activity["entities"] = mentions.entities
    return activity


# -- Adaptive Cards ------------------------------------------------------------------------


def _escape_card(text: str) -> str:
    return _TAG_START.sub("<\u200b", _AC_SPECIAL.sub(r"\\\1", text))


def _card_md(text: str, mentions: Mentions) -> str:
    """Markdown subset to Adaptive Card TextBlock markdown; list items keep single breaks."""

    def span(s: markdown.Span) -> str:
        body = _escape_card(s.text)
        match s.kind:
            case "mention":
                return mentions.tag(s.text) or _escape_card(mentions.name(s.text))
            case "bold":
                return f"**{body}**"
            case "italic":
                return f"_{body}_"
            case "link" if _SAFE_URL.match(s.url):
                return f"[{body}]({s.url.replace(')', '%29')})"
        return body

    lines = markdown.convert(text, span).split("\n")
    out = lines[:1]
    for previous, line in itertools.pairwise(lines):
        both_items = previous.startswith("- ") and line.startswith("- ")
        out.append(("\n" if both_items else "\n\n") + line)
    return "".join(out)


def _text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _button(button: Button, mentions: Mentions) -> dict[str, Any]:
    title = plain(mentions.config, button.label)
    if button.url:
        return {"type": "Action.OpenUrl", "title": title, "url": button.url}
    action: dict[str, Any] = {
        "type": "Action.Execute",
        "title": title,
        "verb": button.action_id,
        "data": {KIND: "action", ACTION: button.action_id, VALUE: button.value},
    }
    if button.style:
        action["style"] = "positive" if button.style == "primary" else "destructive"
    return action


def _elements(
    message: Message, mentions: Mentions, images: dict[str, str | None]
) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = []
    separate = False
    for block in message.blocks:
        element: dict[str, Any]
        match block:
            case Header(text=text):
                element = _text_block(_card_md(text, mentions), size="Large", weight="Bolder")
            case Text(text=text):
                element = _text_block(_card_md(text, mentions))
            case Context(text=text):
                element = _text_block(_card_md(text, mentions), size="Small", isSubtle=True)
            case Fields(items=items):
                facts = [
                    {"title": _card_md(k, mentions), "value": _card_md(v, mentions)}
                    for k, v in items
                ]
                element = {"type": "FactSet", "facts": facts}
            case Items(items=items):
                lines = "\n".join(f"- {_card_md(item, mentions)}" for item in items)
                element = _text_block(lines)
            case Actions(buttons=buttons):
                element = {"type": "ActionSet", "actions": [_button(b, mentions) for b in buttons]}
            case Image(chart=token, alt=alt):
                url = images.get(token)
                element = (
                    {"type": "Image", "url": url, "altText": alt, "size": "Stretch"}
                    if url
                    else _text_block(_card_md(alt, mentions), isSubtle=True)
                )
            case Divider():
                separate = True
                continue
        if separate:
            element["separator"] = True
            separate = False
        body.append(element)
    return body


def card(
    config: TeamConfig, message: Message, images: dict[str, str | None] | None = None
) -> dict[str, Any]:
    """The Adaptive Card of a message, mentions in `msteams.entities`; `images`: chart token
    -> what the card's `Image` shows (a data URI or URL; none: its description)."""
    mentions = Mentions(config)
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "fallbackText": plain(config, message.fallback),
        "body": _elements(message, mentions, images or {}),
        "msteams": {"width": "Full"},
    }
    if mentions.entities:
        content["msteams"]["entities"] = mentions.entities
    return content


def card_activity(config: TeamConfig, content: dict[str, Any], summary: str) -> dict[str, Any]:
    return {
        "type": "message",
        "summary": summary,
        "attachments": [{"contentType": CARD_TYPE, "content": content}],
    }


def is_plain_text(message: Message) -> bool:
    return all(isinstance(b, Text | Context) for b in message.blocks)


def activity(
    config: TeamConfig, message: Message, images: dict[str, str | None] | None = None
) -> dict[str, Any]:
    """What goes to Teams for a message: a text message, or an Adaptive Card."""
    if is_plain_text(message):
        return text_activity(config, message)
    content = card(config, message, images)
    return card_activity(config, content, plain(config, message.fallback))


def payload(config: TeamConfig, message: Message) -> dict[str, Any]:
    """The console's `:json teams`: the activity as Teams would get it."""
    return activity(config, message)


# -- forms -----------------------------------------------------------------------------------


def form_card(config: TeamConfig, form: Form, errors: dict[str, str]) -> dict[str, Any]:
    """An input card; submitting it sends every input with the form id (Action.Execute)."""
    mentions = Mentions(config)
    body: list[dict[str, Any]] = [
        _text_block(_card_md(form.title, mentions), size="Large", weight="Bolder")
    ]
    if form.hint:
        body.append(_text_block(_card_md(form.hint, mentions), size="Small", isSubtle=True))
    for f in form.fields:
        label = plain(config, f.label)
        item: dict[str, Any]
        if f.kind in ("select", "person"):
            choices = (
                [{"title": c.label, "value": c.value} for c in f.choices]
                if f.kind == "select"
                else [{"title": p.name, "value": p.id} for p in config.people]
            )
            item = {"type": "Input.ChoiceSet", "style": "filtered", "choices": choices}
        else:
            item = {"type": "Input.Text", "isMultiline": f.kind == "multiline"}
            if f.max_length:
                item["maxLength"] = f.max_length
        item.update(id=f.name, label=label, isRequired=f.required, value=f.initial)
        body.append(item)
        if f.name in errors:
            body.append(
                _text_block(_card_md(errors[f.name], mentions), color="Attention", size="Small")
            )
    submit = {
        "type": "Action.Execute",
        "title": plain(config, form.submit_label),
        "verb": form.form_id,
        "data": {KIND: "form", FORM: form.form_id},
    }
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "fallbackText": plain(config, form.title),
        "body": body,
        "actions": [submit],
        "msteams": {"width": "Full"},
    }
    return content
