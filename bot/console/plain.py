"""Markdown as terminal text."""

from __future__ import annotations

from bot import markdown
from handlers.config.team import TeamConfig


def plain(config: TeamConfig, text: str) -> str:
    """Markdown as terminal text: styles dropped, mentions as @Name, links as label <url>."""

    def span(s: markdown.Span) -> str:
        if s.kind == "mention":
            person = config.person(s.text)
            return f"@{person.name if person else s.text}"
        if s.kind == "link":
            return s.text if s.text == s.url else f"{s.text} <{s.url}>"
        return s.text

    return markdown.convert(text, span)
