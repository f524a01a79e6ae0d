"""Neutral messages as Slack Block Kit (slack_sdk models), text as Slack mrkdwn.

Every piece of text goes through `bot.markdown` spans. What a user typed is escaped
(`&`, `<`, `>`), so `<!channel>` or `<@U123>` in a ticket pings nobody; the only mentions are
the core's mention tokens, rendered `<@U…>` for people with a Slack id and as a plain name
otherwise. mrkdwn objects are `verbatim`, so Slack does not turn typed names or URLs into
links or mentions either. Anything over Slack's limits is cut with an ellipsis (never split
inside an escape, a mention or a link), so Slack never rejects a message for its length.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot import markdown
from bot.markdown import Span
from handlers.chat.model import Actions, Context, Divider, Fields, Header, Items, Message, Text
from handlers.config.team import TeamConfig

ELLIPSIS = "…"
MAX_BLOCKS = 50  # per message (Block Kit)
TEXT_MAX = SectionBlock.text_max_length  # 3000: section text, context and fallback text
FIELD_MAX = 2000  # each section field
FIELDS_MAX = SectionBlock.fields_max_length  # 10 fields per section
HEADER_MAX = HeaderBlock.text_max_length  # 150
BUTTON_MAX = ButtonElement.text_max_length  # 75
BUTTONS_MAX = ActionsBlock.elements_max_length  # 25 per actions block
VALUE_MAX = ButtonElement.value_max_length  # 2000
URL_MAX = ButtonElement.url_max_length  # 3000
ACTION_ID_MAX = ButtonElement.action_id_max_length  # 255
_SAFE_SCHEMES = ("http://", "https://", "mailto:")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- spans -----------------------------------------------------------------------------------


def _styled(mark: str, text: str) -> str:
    """`*bold*` with the spaces outside the marks (Slack ignores `*bold *`)."""
    inner = text.strip()
    if not inner:
        return escape(text)
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    return f"{escape(lead)}{mark}{escape(inner)}{mark}{escape(trail)}"


def _url(url: str) -> str | None:
    if not url.lower().startswith(_SAFE_SCHEMES) or len(url) > URL_MAX:
        return None
    return url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")


def mrkdwn_span(config: TeamConfig, span: Span) -> str:
    match span.kind:
        case "bold":
            return _styled("*", span.text)
        case "italic":
            return _styled("_", span.text)
        case "code":
            return f"`{escape(span.text)}`"
        case "link":
            url = _url(span.url)
            if url is None:
                return escape(span.text)
            return f"<{url}|{escape(span.text)}>" if span.text != span.url else f"<{url}>"
        case "mention":
            person = config.person(span.text)
            if person is not None and person.slack:
                return f"<@{person.slack}>"
            return escape(person.name if person else span.text)
    return escape(span.text)


def plain_span(config: TeamConfig, span: Span) -> str:
    """For plain_text (headers, buttons, labels): no styles, no pings, still escaped."""
    return escape(markdown.plain_span(config, span, link=None))


# -- text with a length limit ----------------------------------------------------------------


def _lines(text: str) -> list[list[Span]]:
    out = []
    for line in text.split("\n"):
        if line.startswith("- "):  # the subset's list item; mrkdwn has no lists
            line = "• " + line[2:]
        out.append(markdown.spans(line))
    return out


def _fit(
    lines: list[list[Span]], render: Callable[[Span], str], limit: int | None
) -> tuple[str, bool]:
    """Rendered lines joined, cut with an ellipsis at a span boundary (or inside a span's
    text, re-rendered) when over `limit`; returns the text and whether it was cut."""
    whole = "\n".join("".join(render(s) for s in line) for line in lines)
    if limit is None or len(whole) <= limit:
        return whole, False
    budget = limit - len(ELLIPSIS)
    out: list[str] = []
    used = 0
    for number, line in enumerate(lines):
        if number:
            if used + 1 > budget:
                break
            out.append("\n")
            used += 1
        for span in line:
            piece = render(span)
            if used + len(piece) <= budget:
                out.append(piece)
                used += len(piece)
                continue
            if span.kind != "mention":
                piece = _shortest_cut(span, render, budget - used)
                out.append(piece)
            return "".join(out).rstrip() + ELLIPSIS, True
    return "".join(out).rstrip() + ELLIPSIS, True


def _shortest_cut(span: Span, render: Callable[[Span], str], room: int) -> str:
    """The longest prefix of the span's text whose rendering fits in `room` characters."""
    low, high = 0, len(span.text)
    while low < high:
        mid = (low + high + 1) // 2
        if len(render(dataclasses.replace(span, text=span.text[:mid]))) <= room:
            low = mid
        else:
            high = mid - 1
    return render(dataclasses.replace(span, text=span.text[:low])) if low else ""


def mrkdwn(config: TeamConfig, text: str, limit: int | None = TEXT_MAX) -> str:
    return _fit(_lines(text), lambda s: mrkdwn_span(config, s), limit)[0]


def plain(config: TeamConfig, text: str, limit: int | None = None) -> str:
    return _fit(_lines(text), lambda s: plain_span(config, s), limit)[0]


def _sections(config: TeamConfig, text: str) -> list[SectionBlock]:
    """Markdown as sections of at most TEXT_MAX characters, split between lines; a single
    line over the limit is cut."""
    blocks: list[SectionBlock] = []
    chunk: list[str] = []
    size = 0
    for line in text.split("\n"):
        rendered = mrkdwn(config, line)
        if chunk and size + 1 + len(rendered) > TEXT_MAX:
            blocks.append(_section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(rendered)
        size += len(rendered) + (1 if size else 0)
    if chunk and "".join(chunk).strip():
        blocks.append(_section("\n".join(chunk)))
    return blocks


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text, verbatim=True))


# -- blocks ----------------------------------------------------------------------------------


def _plain_text(config: TeamConfig, text: str, limit: int) -> PlainTextObject:
    return PlainTextObject(text=plain(config, text, limit) or ELLIPSIS, emoji=True)


def _fields(config: TeamConfig, items: tuple[tuple[str, str], ...]) -> list[SectionBlock]:
    texts = []
    for label, value in items:
        body = f"**{label}**\n{value}" if label else value
        texts.append(MarkdownTextObject(text=mrkdwn(config, body, FIELD_MAX), verbatim=True))
    return [
        SectionBlock(fields=texts[i : i + FIELDS_MAX]) for i in range(0, len(texts), FIELDS_MAX)
    ]


def _buttons(config: TeamConfig, actions: Actions) -> list[ActionsBlock]:
    elements = []
    for button in actions.buttons:
        url = _url(button.url) if button.url else None
        elements.append(
            ButtonElement(
                text=_plain_text(config, button.label, BUTTON_MAX),
                action_id=button.action_id[:ACTION_ID_MAX],
                value=button.value[:VALUE_MAX] or None,
                style=button.style,
                url=button.url if url else None,
            )
        )
    return [
        ActionsBlock(elements=elements[i : i + BUTTONS_MAX])
        for i in range(0, len(elements), BUTTONS_MAX)
    ]


def blocks(config: TeamConfig, message: Message) -> list[Block]:
    out: list[Block] = []
    for block in message.blocks:
        match block:
            case Header(text=text):
                out.append(HeaderBlock(text=_plain_text(config, text, HEADER_MAX)))
            case Text(text=text):
                out.extend(_sections(config, text))
            case Fields(items=items):
                out.extend(_fields(config, items))
            case Items(items=items):
                out.extend(_sections(config, "\n".join(f"- {item}" for item in items)))
            case Divider():
                out.append(DividerBlock())
            case Context(text=text):
                element = MarkdownTextObject(text=mrkdwn(config, text) or ELLIPSIS, verbatim=True)
                out.append(ContextBlock(elements=[element]))
            case Actions():
                out.extend(_buttons(config, block))
    if len(out) > MAX_BLOCKS:
        more = MarkdownTextObject(text=ELLIPSIS, verbatim=True)
        out = [*out[: MAX_BLOCKS - 1], ContextBlock(elements=[more])]
    return out


def fallback(config: TeamConfig, message: Message) -> str:
    """The message's `text`: notifications and clients without blocks show it."""
    return mrkdwn(config, message.fallback) or ELLIPSIS


def payload(config: TeamConfig, message: Message) -> dict[str, Any]:
    """What chat.postMessage, chat.update and response_url get (the console's `:json slack`)."""
    return {
        "text": fallback(config, message),
        "blocks": [block.to_dict() for block in blocks(config, message)],
    }
