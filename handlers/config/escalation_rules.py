"""`check-config` rules for the escalation policies and the on-call rotas: every name they
use exists, level ids keep their claims apart, rota members can hold the duty."""

from __future__ import annotations

from collections import Counter

from handlers.config.problems import Problem
from handlers.config.problems import error as _error
from handlers.config.problems import warning as _warning
from handlers.config.team import TeamConfig


def check(config: TeamConfig) -> list[Problem]:
    return _policies(config) + _rotas(config)


def _policies(config: TeamConfig) -> list[Problem]:
    found: list[Problem] = []
    roles = {r.id for r in config.roles}
    categories = {c.id for c in config.categories}
    purposes = config.purposes.model_dump()
    clock_of: dict[str, str] = {}
    for n, policy in enumerate(config.escalation.policies or (), start=1):
        place = f"escalation > policies > {n} ({policy.clock})"
        found += [
            _error(place, f"unknown category {c!r}")
            for c in policy.categories
            if c not in categories
        ]
        for level_id, count in Counter(level.id for level in policy.levels).items():
            if count > 1:
                found.append(_error(place, f"level {level_id!r} appears {count} times"))
        for level in policy.levels:
            if clock_of.setdefault(level.id, policy.clock) != policy.clock:
                found.append(_error(place, f"level {level.id!r} is also a level of another clock"))
            for notice in level.notify:
                for token in notice.who:
                    problem = _who(config, token, roles, purposes)
                    if problem:
                        found.append(_error(f"{place} > {level.id}", problem))
    return found


def _who(config: TeamConfig, token: str, roles: set[str], purposes: dict[str, str]) -> str:
    kind, _, rest = token.partition(":")
    if kind == "role" and rest not in roles:
        return f"{token}: unknown role {rest!r}"
    if kind == "oncall" and rest not in roles and config.oncall.rota(rest) is None:
        return f"{token}: no role or rota {rest!r}"
    if kind == "person" and config.person(rest) is None:
        return f"{token}: unknown person {rest!r}"
    if kind == "raci":
        name = rest.partition(":")[0]
        if config.activity(purposes.get(name, name)) is None:
            return f"{token}: no RACI activity or purpose {name!r}"
    return ""


def _rotas(config: TeamConfig) -> list[Problem]:
    found: list[Problem] = []
    roles = {r.id for r in config.roles}
    ids = Counter(r.id for r in config.oncall.rotas)
    found += [_error("oncall > rotas", f"{i!r} appears {c} times") for i, c in ids.items() if c > 1]
    for rota in config.oncall.rotas:
        place = f"oncall > rotas > {rota.id}"
        if rota.role not in roles:
            found.append(_error(place, f"unknown role {rota.role!r}"))
        if rota.category and config.category(rota.category) is None:
            found.append(_error(place, f"unknown category {rota.category!r}"))
        for member in rota.members:
            person = config.person(member)
            if person is None:
                found.append(_error(place, f"unknown person {member!r}"))
            elif not person.holds(rota.role):
                found.append(_error(place, f"{member} does not hold the role {rota.role!r}"))
            elif rota.category and rota.category not in person.specialties:
                found.append(_warning(place, f"{member} does not carry #{rota.category}"))
    return found
