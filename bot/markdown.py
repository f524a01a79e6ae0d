"""deskbot's Markdown subset, parsed once into spans that each platform renders its own way.

The subset: **bold**, _italic_, `code`, [label](url), backslash escapes, and mention tokens
(see handlers.chat.model). Lines are kept; a line starting with "- " is a list item.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from handlers.chat.model import MENTION_CLOSE, MENTION_OPEN
from handlers.config.team import TeamConfig

Kind = Literal["text", "bold", "italic", "code", "link", "mention"]


@dataclass(frozen=True)
class Span:
    kind: Kind
    text: str  # for a mention: the person id
    url: str = ""


_TOKEN = re.compile(
    r"\\(?P<escaped>.)"
    rf"|{MENTION_OPEN}(?P<mention>[a-z][a-z0-9_-]*){MENTION_CLOSE}"
    r"|\*\*(?P<bold>(?:\\.|[^*\\])+)\*\*"
    r"|(?<![\w\\])_(?P<italic>(?:\\.|[^_\\])+)_(?!\w)"
    r"|`(?P<code>[^`]+)`"
    r"|\[(?P<label>(?:\\.|[^\]\\])+)\]\((?P<url>[^)\s]+)\)",
    re.DOTALL,
)
_UNESCAPE = re.compile(r"\\(.)")


def unescape(text: str) -> str:
    return _UNESCAPE.sub(r"\1", text)


def spans(text: str) -> list[Span]:
    """Spans of one piece of Markdown; styled spans hold unescaped plain text."""
    out: list[Span] = []
    plain: list[str] = []
    last = 0

    def flush() -> None:
        joined = "".join(plain)
        plain.clear()
        if joined:
            out.append(Span("text", joined))

    for m in _TOKEN.finditer(text):
        plain.append(text[last : m.start()])
        last = m.end()
        if m.group("escaped") is not None:
            plain.append(m.group("escaped"))
            continue
        flush()
        if m.group("mention"):
            out.append(Span("mention", m.group("mention")))
        elif m.group("bold") is not None:
            out.append(Span("bold", unescape(m.group("bold"))))
        elif m.group("italic") is not None:
            out.append(Span("italic", unescape(m.group("italic"))))
        elif m.group("code") is not None:
            out.append(Span("code", m.group("code")))
        else:
            out.append(Span("link", unescape(m.group("label")), m.group("url")))
    plain.append(text[last:])
    flush()
    return _merge_mentions_in_bold(out)


def _merge_mentions_in_bold(items: list[Span]) -> list[Span]:
    """A mention inside **bold** stays a mention: split the bold span around tokens."""
    out: list[Span] = []
    for s in items:
        if s.kind in ("bold", "italic") and MENTION_OPEN in s.text:
            for part in re.split(f"({MENTION_OPEN}[^{MENTION_CLOSE}]+{MENTION_CLOSE})", s.text):
                if part.startswith(MENTION_OPEN):
                    out.append(Span("mention", part[1:-1]))
                elif part:
                    out.append(Span(s.kind, part))
        else:
            out.append(s)
    return out


def convert(text: str, render: Callable[[Span], str]) -> str:
    """Markdown to a platform's text, line by line, one span at a time."""
    return "\n".join("".join(render(s) for s in spans(line)) for line in text.split("\n"))


def plain_span(config: TeamConfig, span: Span, link: str | None = "{label} ({url})") -> str:
    """A span as plain text, every platform alike: no styles, a mention as @Name (it pings
    nobody), a link as `link` formats it (None: its label only)."""
    if span.kind == "mention":
        person = config.person(span.text)
        return f"@{person.name if person else span.text}"
    if span.kind == "link" and link is not None and span.text != span.url:
        return link.format(label=span.text, url=span.url)
    return span.text


def plain(config: TeamConfig, text: str, link: str | None = "{label} ({url})") -> str:
    """Markdown as plain text (previews, fallbacks, the terminal)."""
    return convert(text, lambda s: plain_span(config, s, link))
