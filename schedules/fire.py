"""One run of a scheduled job, as its builder sees it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

# A post of a fire that answers in the thread of the fire's first post (a chart under its
# agenda) names this as its `Target.thread`; the driver puts the first post's key in.
FIRST_POST = "fire:first"


@dataclass(frozen=True)
class Fire:
    """One run of a job: its scheduled time (UTC), whether it runs late, and every scope it
    posts to, so a builder can read for all of them at once (`cache` keeps what it read)."""

    at: dt.datetime
    late: bool = False
    scopes: tuple[str, ...] = ()
    cache: dict[str, Any] = field(default_factory=dict, compare=False)
