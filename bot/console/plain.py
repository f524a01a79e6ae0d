"""Markdown as terminal text."""

from __future__ import annotations

from bot import markdown
from handlers.config.team import TeamConfig


def plain(config: TeamConfig, text: str) -> str:
    """Markdown as terminal text: styles dropped, mentions as @Name, links as label <url>."""
    return markdown.plain(config, text, link="{label} <{url}>")
