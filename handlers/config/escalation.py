"""Escalation policies: per clock and priority, who is told what, when, and how often again.

A policy applies to one clock (`first_response`, `progress`, `root_cause`, `common_problem`)
for some priorities (and optionally categories). Its levels fire at `after` minutes from the
clock's target (negative: before it, a nudge), each once per ticket; `repeat` then fires the
last level again every `every` minutes, `limit` times, until the clock is acknowledged (a
take, note or resolution for the first response; a progress note or huddle outcome for
progress; the root cause; a dispatch or resolution for the common-problem clock).

Who (`who`, tokens):
    owner                       whoever holds the ticket's clock now (assignee, else the
                                on-call L1; see `handlers.tickets.owners`)
    oncall:<role|rota>          the on-call holders of a role now (rota, override, or the
                                static `on_duty` flag), narrowed to the ticket's category;
                                or the people on call in one named rota
    role:<role>                 the holders of a role (on duty where the role tracks duty)
    person:<person>             a named person
    raci:<activity|purpose>:<letters>   e.g. raci:incident:A, raci:complex_problem_handling:RA

How (`via`): `thread` (the ticket's thread), `channel` (`channel`: queue or managers), `dm`
(one direct message each). `hours`: `any`, `working` (only in working hours) or `off` (only
outside them: an after-hours page).

When the configuration has no `escalation.policies`, `default_policies` builds them from
`time_rules` and `schedules.clocks`, reproducing the seed's stages (see README).

Adding a clock kind (e.g. the knowledge-entry review): add its name to `ClockKind`, a phrase
`clock.<kind>` (and `clock.<kind>.early` if levels fire before the target), its start and
acknowledgement in `handlers.tickets.clocks.clock_start`, and its target to `Targets`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

if TYPE_CHECKING:
    from handlers.config.team import ClockCalls, TimeRules

ClockKind = Literal["first_response", "progress", "root_cause", "common_problem"]
CLOCK_KINDS: tuple[ClockKind, ...] = ("first_response", "progress", "root_cause", "common_problem")
Priority = Literal["p1", "p2", "p3", "p4"]
LevelId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=24)]
_WHO = re.compile(
    r"^(owner|oncall:[a-z][a-z0-9_-]*|role:[a-z][a-z0-9_-]*|person:[a-z][a-z0-9_-]*"
    r"|raci:[a-z][a-z0-9_-]*:[RACI]{1,4})$"
)


def _check_who(value: str) -> str:
    if not _WHO.match(value):
        raise ValueError(
            f"{value!r} is not one of owner, oncall:ROLE, role:ROLE, person:ID, "
            "raci:ACTIVITY:LETTERS"
        )
    return value


Who = Annotated[str, AfterValidator(_check_who)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Notice(_Strict):
    """One audience of a level: who, how, and at what hours."""

    who: tuple[Who, ...] = Field(min_length=1)
    via: Literal["thread", "channel", "dm"] = "thread"
    channel: Literal["queue", "managers"] = "queue"
    hours: Literal["any", "working", "off"] = "any"


class Level(_Strict):
    id: LevelId  # names the claim row: each level fires once per ticket
    after: int  # minutes from the clock's target; negative: before it
    notify: tuple[Notice, ...] = Field(min_length=1)


class Repeat(_Strict):
    every: int | None = Field(None, gt=0)  # minutes of clock time; unset: the clock's target
    limit: int = Field(ge=0)  # repeats after the last level, at most


class Policy(_Strict):
    clock: ClockKind
    priorities: tuple[Priority, ...] = ("p1", "p2", "p3", "p4")
    categories: tuple[str, ...] = ()  # empty: every category
    levels: tuple[Level, ...] = Field(min_length=1)
    repeat: Repeat | None = None

    def applies(self, priority: str, category: str | None) -> bool:
        if priority not in self.priorities:
            return False
        return not self.categories or category in self.categories


class Targets(_Strict):
    """Per-priority targets in minutes; unset ones fall back to `time_rules`."""

    first_response: int | None = Field(None, gt=0)
    progress_update: int | None = Field(None, gt=0)
    root_cause: int | None = Field(None, gt=0)
    common_problem_resolution: int | None = Field(None, gt=0)


class Escalation(_Strict):
    """`escalation:` in the configuration. `policies` unset: the defaults (README)."""

    policies: tuple[Policy, ...] | None = None
    # Used by the default policies for the round-the-clock priorities (p1, p2).
    urgent_repeat_every: int = Field(15, gt=0)
    urgent_repeat_limit: int = Field(60, ge=0)  # 15 h: through the night
    # The default progress / root-cause / common-problem repeats, for every priority.
    repeat_limit: int = Field(6, ge=0)


def pick(
    policies: Sequence[Policy], clock: str, priority: str, category: str | None
) -> Policy | None:
    """The first policy of a clock that applies: category-specific ones listed first win."""
    return next((p for p in policies if p.clock == clock and p.applies(priority, category)), None)


def default_policies(rules: TimeRules, calls: ClockCalls, esc: Escalation) -> tuple[Policy, ...]:
    """Today's stages from `time_rules`, plus repeats and the after-hours page for the
    round-the-clock priorities."""
    nudge = rules.first_response_nudge - rules.first_response
    urgent = tuple(rules.round_the_clock_priorities)
    calm = tuple(p for p in ("p1", "p2", "p3", "p4") if p not in urgent)
    breach_roles = tuple(f"role:{r}" for r in calls.breach)
    rca_roles = tuple(f"role:{r}" for r in calls.root_cause)

    def first_response(extra: tuple[str, ...], page: bool) -> tuple[Level, ...]:
        levels = [Level(id="nudge", after=nudge, notify=(Notice(who=("owner",)),))]
        notices = [Notice(who=("owner", *breach_roles, *extra), via="channel")]
        if page:
            notices.append(Notice(who=("oncall:l2",), via="dm", hours="off"))
        levels.append(Level(id="breach", after=0, notify=tuple(notices)))
        return tuple(levels) if nudge < 0 else tuple(levels[1:])

    def repeat(every: int | None, limit: int) -> Repeat:
        return Repeat(every=every, limit=limit)

    urgent_repeat = repeat(esc.urgent_repeat_every, esc.urgent_repeat_limit)
    found: list[Policy] = []
    if urgent:
        found.append(
            Policy(
                clock="first_response",
                priorities=urgent,
                levels=first_response(rca_roles, page=True),
                repeat=urgent_repeat,
            )
        )
    if calm:
        found.append(
            Policy(clock="first_response", priorities=calm, levels=first_response((), False))
        )
    found.append(
        Policy(
            clock="progress",
            levels=(Level(id="progress", after=0, notify=(Notice(who=("owner",)),)),),
            repeat=repeat(None, esc.repeat_limit),  # every progress interval of the priority
        )
    )
    rca = Level(
        id="root_cause",
        after=0,
        notify=(Notice(who=("owner", "raci:incident:A", *rca_roles), via="channel"),),
    )
    for priorities, again in (
        (urgent, urgent_repeat),
        (calm, repeat(None, esc.repeat_limit)),
    ):
        if priorities:
            found.append(
                Policy(clock="root_cause", priorities=priorities, levels=(rca,), repeat=again)
            )
    found.append(
        Policy(
            clock="common_problem",
            levels=(Level(id="common_problem", after=0, notify=(Notice(who=("owner",)),)),),
        )
    )
    return tuple(found)
