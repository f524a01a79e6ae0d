"""On-call rotas: who holds a role's duty now, from an ordered list of members.

    oncall:
      handoff_note: true            # DM the people whose shift starts
      rotas:
        - id: l1                    # `/oncall l1`, `/oncall take l1`
          role: l1                  # the role whose duty it sets
          members: [lee, sam, ana]  # in order
          at_once: 2                # how many are on together
          every: weekly             # daily or weekly hand-off
          handoff: "mon 09:00"      # weekly: weekday and local time; daily: "09:00"
          hours: working            # working: on in working hours only; always
          since: 2026-11-02         # the first shift starts at the first hand-off on or after

A role without a rota keeps the static `on_duty` flags of its people (a rota of one).
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from handlers.config.when import WEEKDAY_NAMES, parse_when

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]


class Rota(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Id
    role: Id
    category: Id | None = None  # an L2 specialty: the rota of that category's experts
    members: tuple[Id, ...] = Field(min_length=1)
    at_once: int = Field(1, gt=0)
    every: Literal["daily", "weekly"] = "weekly"
    handoff: str = "mon 09:00"
    hours: Literal["working", "always"] = "always"
    since: dt.date = dt.date(2026, 1, 5)  # a Monday

    @model_validator(mode="after")
    def _handoff_fits(self) -> Rota:
        when = parse_when(self.handoff)
        if self.every == "weekly" and (when.days != "weekdays" or len(when.weekdays) != 1):
            raise ValueError(
                "a weekly hand-off is one weekday and a time, like 'mon 09:00', "
                f"not {self.handoff!r}"
            )
        if self.every == "daily" and when.days != "working":
            raise ValueError(f"a daily hand-off is a time, like '09:00', not {self.handoff!r}")
        if self.at_once > len(self.members):
            raise ValueError(
                f"at_once is {self.at_once} but the rota has {len(self.members)} members"
            )
        return self

    # read for every shift of every rota whenever someone asks who is on: parse once
    @cached_property
    def time(self) -> dt.time:
        return parse_when(self.handoff).time

    @cached_property
    def weekday(self) -> int | None:
        when = parse_when(self.handoff)
        return when.weekdays[0] if when.days == "weekdays" else None

    @property
    def cron_day(self) -> str | None:
        day = self.weekday
        return None if day is None else WEEKDAY_NAMES[day]


class OnCall(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    handoff_note: bool = True
    rotas: tuple[Rota, ...] = ()

    def rota(self, rota_id: str) -> Rota | None:
        return next((r for r in self.rotas if r.id == rota_id), None)
