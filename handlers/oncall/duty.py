"""Who is on call now: the rota's shift, in its hours, with the overrides applied.

`staffed` gives the configuration as it stands at a moment: each person's `on_duty` is what
the rotas (and overrides) say, so every use case that tags "the L1 on duty" or "the
category's L2" (intake pings, queue reminders, dispatch, escalations) reads the rota at the
moment it acts without knowing about rotas. Roles without a rota keep their static flags.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from handlers.config.oncall import Rota
from handlers.config.team import Person, TeamConfig
from handlers.desk import Desk
from handlers.oncall.rotas import Shift, in_hours, shift
from storage import oncall as repo
from storage.driver import Tx
from storage.models import OncallOverride


@dataclass(frozen=True)
class Duty:
    rota: Rota
    now: tuple[str, ...]  # person ids on call now
    shift: Shift
    next: Shift
    overrides: tuple[OncallOverride, ...]  # those in force now


def duty(config: TeamConfig, rota: Rota, at: dt.datetime, overrides: list[OncallOverride]) -> Duty:
    current, following = _shifts(config, rota, at)
    on = list(current.members) if in_hours(rota, config.team, at) else []
    mine = tuple(o for o in overrides if o.rota == rota.id and o.starts_at <= at < o.ends_at)
    for o in mine:  # oldest first: a later override wins
        on = [p for p in on if p not in (o.replaces, o.person)]
        on.append(o.person)
    return Duty(rota, tuple(on), current, following, mine)


def _shifts(config: TeamConfig, rota: Rota, at: dt.datetime) -> tuple[Shift, Shift]:
    """The shift running at `at` and the one after it. Every ticket logged asks; the
    answer holds until the hand-off, so it is kept (on the immutable configuration) and
    reused while `at` is inside the shift."""
    known = config.__dict__.setdefault("_shifts", {})
    pair = known.get(rota.id)
    if pair is None or not pair[0].starts <= at < pair[0].ends:
        pair = known[rota.id] = (shift(rota, config.team, at), shift(rota, config.team, at, 1))
    return pair


def all_duties(config: TeamConfig, session: Tx, at: dt.datetime) -> list[Duty]:
    if not config.oncall.rotas:
        return []
    overrides = repo.active(session, at)
    return [duty(config, r, at, overrides) for r in config.oncall.rotas]


def staffed(config: TeamConfig, session: Tx, at: dt.datetime) -> TeamConfig:
    """The configuration with everyone's `on_duty` as the rotas say at `at`."""
    return with_duties(config, all_duties(config, session, at))


def with_duties(config: TeamConfig, duties: list[Duty]) -> TeamConfig:
    """`staffed` from duties already read. A person on any rota is on duty for each of
    their roles' look-ups; `on_call` is exact per rota (an expert of two specialties on
    call for one is not paged for the other)."""
    if not duties:
        return config
    rostered = frozenset(d.rota.role for d in duties)
    on = frozenset(p for d in duties for p in d.now)
    # The same people are on for hours at a time: one copy of the configuration per state,
    # kept on the (immutable) configuration itself, instead of one per ticket logged.
    states = config.__dict__.setdefault("_staffed", {})
    changed = states.get((rostered, on))
    if changed is None:
        people = tuple(
            _on_duty(p, p.id in on) if _rostered(p, rostered) else p for p in config.people
        )
        changed = config.model_copy(update={"people": people})
        changed.__dict__.pop("_index", None)  # model_copy keeps cached look-ups of the old
        changed.__dict__.pop("_staffed", None)  # people, and this cache
        if len(states) > 64:  # overrides come and go; a long-running process stays small
            states.clear()
        states[(rostered, on)] = changed
    return changed


def _rostered(person: Person, roles: set[str]) -> bool:
    return any(role in roles for role in person.roles)


def _on_duty(person: Person, value: bool) -> Person:
    return person if person.on_duty == value else person.model_copy(update={"on_duty": value})


def on_call(
    config: TeamConfig, duties: list[Duty], role: str, category: str | None
) -> list[Person]:
    """Who is on call for a role (or a rota, by id) now: the people of the rota for the
    role and the ticket's category (else the role's rota without a category); a role
    without a rota: its holders with the `on_duty` flag, narrowed to the category's
    specialists. Nobody when nobody is on: an after-hours page goes to the on-call person,
    never to everyone."""
    named = [d for d in duties if d.rota.id == role]  # `oncall:<rota id>` names one rota
    rotas = [d for d in duties if d.rota.role == role]
    chosen = (
        named
        or [d for d in rotas if category and d.rota.category == category]
        or [d for d in rotas if d.rota.category is None]
    )
    if chosen:
        ids = dict.fromkeys(p for d in chosen for p in d.now)
        return [p for p in (config.person(i) for i in ids) if p is not None]
    people = [p for p in config.people if p.holds(role)]
    if category:
        specialists = [p for p in people if category in p.specialties]
        people = specialists or people
    return [p for p in people if p.on_duty]


def staffed_now(desk: Desk) -> TeamConfig:
    """`staffed` at the desk's clock, for a use case without a transaction of its own."""
    if not desk.config.oncall.rotas:
        return desk.config
    with desk.reading() as session:
        return staffed(desk.config, session, desk.now())
