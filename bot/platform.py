"""What a chat platform adapter hands the server: its routes, its outbox sender and its
start/stop work. Slack and Teams each build one; `bot.server` mounts them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from aiohttp import web

from bot.delivery import Sender


@dataclass
class Platform:
    name: str  # the outbox platform it delivers: "slack", "teams"
    install: Callable[[web.Application], None]  # adds routes
    sender: Sender | None = None
    background: list[Callable[[], AsyncIterator[None]]] = field(default_factory=list)
    pace: float = 0.0  # seconds between two posts to one destination (0: no pacing)
