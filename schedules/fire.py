"""One run of a scheduled job, as its builder sees it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Fire:
    """One run of a job: its scheduled time (UTC), whether it runs late, and every scope it
    posts to, so a builder can read for all of them at once (`cache` keeps what it read)."""

    at: dt.datetime
    late: bool = False
    scopes: tuple[str, ...] = ()
    cache: dict[str, Any] = field(default_factory=dict, compare=False)
