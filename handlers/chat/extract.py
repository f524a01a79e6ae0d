"""Babel extraction methods for deskbot's English sources (registered as entry points in
pyproject.toml; the mapping is `babel.cfg`).

`phrases`: every key of phrases.yaml is one message, the key its context.
`templates`: every Jinja2 template file is one message, its file name the context. Whole
templates, not fragments: their sentences carry control flow (plurals, optional parts) that
a translator must be free to rearrange, and the author of a new text writes plain English.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import IO, Any

import yaml

Extracted = Iterator[tuple[int, str, tuple[str, str], list[str]]]


def phrases(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any) -> Extracted:
    source = fileobj.read().decode("utf-8")
    lines = source.splitlines()
    for key, value in yaml.safe_load(source).items():
        lineno = next((i for i, line in enumerate(lines, 1) if line.startswith(f"{key}:")), 0)
        yield lineno, "pgettext", (str(key), str(value)), []


def templates(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any) -> Extracted:
    name = os.path.basename(getattr(fileobj, "name", "template.md"))
    yield 1, "pgettext", (name, fileobj.read().decode("utf-8")), []


def manifest(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any) -> Extracted:
    """The slash commands' descriptions and usage hints: the Teams command menu's texts."""
    data = yaml.safe_load(fileobj.read().decode("utf-8")) or {}
    for command in (data.get("features") or {}).get("slash_commands") or []:
        for part in ("description", "usage_hint"):
            if command.get(part):
                yield 0, "pgettext", (f"manifest:{command['command']}:{part}", command[part]), []
