"""Rules a team configuration must keep beyond its shape: RACI and cross references.

Every rule reports a `Problem` with its place, so `check-config` lists all of them at once.
A missing R is a warning, not an error: the RACI article's own service-desk rows have an A
and no R, and a team must be able to run the bot while it fixes its matrix; when no role is R
the bot tags the A as the doer. Two A's (or none) is an error: the bot could not say who is
accountable.
"""

from __future__ import annotations

from collections import Counter

from handlers.config import escalation_rules
from handlers.config.jobs import SCHEDULE_JOBS
from handlers.config.problems import Problem
from handlers.config.problems import error as _error
from handlers.config.problems import warning as _warning
from handlers.config.team import TeamConfig

__all__ = ["Problem", "check"]

LETTERS = frozenset("RACI")


def check(config: TeamConfig) -> list[Problem]:
    problems: list[Problem] = []
    problems += _duplicates(config)
    problems += _people(config)
    problems += _raci(config)
    problems += _references(config)
    problems += _schedules(config)
    problems += _contradictions(config)
    problems += escalation_rules.check(config)
    return problems


def _contradictions(config: TeamConfig) -> list[Problem]:
    """Rules that cannot both hold: a nudge after its deadline, a warning after the end."""
    found: list[Problem] = []
    rules = config.time_rules
    if rules.first_response_nudge >= rules.first_response:
        found.append(
            _error(
                "time_rules > first_response_nudge",
                f"{rules.first_response_nudge} min is not before the first-response deadline "
                f"({rules.first_response} min): the nudge would come after the breach",
            )
        )
    if rules.huddle_warning_before >= rules.huddle_length:
        found.append(
            _error(
                "time_rules > huddle_warning_before",
                f"{rules.huddle_warning_before} min before the end of a "
                f"{rules.huddle_length}-min huddle is not during the huddle",
            )
        )
    return found


def _duplicates(config: TeamConfig) -> list[Problem]:
    found: list[Problem] = []
    groups = {
        "roles": [r.id for r in config.roles],
        "people": [p.id for p in config.people],
        "categories": [c.id for c in config.categories],
        "raci": [a.id for a in config.activities()],
        "people (slack ids)": [p.slack for p in config.people if p.slack],
        "people (teams ids)": [p.teams.casefold() for p in config.people if p.teams],
    }
    for place, ids in groups.items():
        for value, count in Counter(ids).items():
            if count > 1:
                found.append(_error(place, f"{value!r} appears {count} times"))
    return found


def _people(config: TeamConfig) -> list[Problem]:
    found: list[Problem] = []
    roles = {r.id for r in config.roles}
    categories = {c.id for c in config.categories}
    for p in config.people:
        place = f"people > {p.id}"
        found += [_error(place, f"unknown role {r!r}") for r in p.roles if r not in roles]
        found += [
            _error(place, f"unknown specialty {s!r} (not a category)")
            for s in p.specialties
            if s not in categories
        ]
        if not p.slack and not p.teams:
            found.append(_warning(place, "no Slack or Teams id: can be named but not mentioned"))
    for role in config.roles:
        if not any(p.holds(role.id) for p in config.people):
            found.append(_warning(f"roles > {role.id}", "nobody holds this role"))
    for category in config.categories:
        if not config.experts(category.id):
            found.append(_warning(f"categories > {category.id}", "no L2 expert has this specialty"))
    return found


def _raci(config: TeamConfig) -> list[Problem]:
    found: list[Problem] = []
    roles = {r.id for r in config.roles}
    for matrix in config.raci:
        for activity in matrix.activities:
            place = f"raci > {activity.title}"
            for role, letter in activity.roles.items():
                if role not in roles:
                    found.append(_error(place, f"unknown role {role!r}"))
                if letter not in LETTERS:
                    found.append(_error(place, f"{role}: {letter!r} is not one of R, A, C, I"))
            accountable = activity.holders("A")
            if len(accountable) != 1:
                found.append(
                    _error(
                        place,
                        f"needs exactly one A, has {len(accountable)}"
                        + (f" ({', '.join(accountable)})" if accountable else ""),
                    )
                )
            if not activity.holders("R"):
                found.append(_warning(place, "no R"))
    return found


def _references(config: TeamConfig) -> list[Problem]:
    found: list[Problem] = []
    categories = {c.id for c in config.categories}
    roles = {r.id for r in config.roles}
    for category in config.channels.l2:
        if category not in categories:
            found.append(_error(f"channels > l2 > {category}", "not a category"))
    for purpose, activity_id in config.purposes.model_dump().items():
        if config.activity(activity_id) is None:
            found.append(_error(f"purposes > {purpose}", f"no RACI activity {activity_id!r}"))
    for verb, allowed in config.permissions.model_dump().items():
        for who in allowed:
            if who not in roles and who not in PERMISSION_WORDS:
                found.append(_error(f"permissions > {verb}", f"unknown role {who!r}"))
    for meeting in config.meetings:
        for role in meeting.participants:
            if role not in roles:
                found.append(_error(f"meetings > {meeting.id}", f"unknown role {role!r}"))
    return found


# What a permission may name besides a role (see `handlers.tickets.permissions`).
PERMISSION_WORDS = ("assignee", "reporter", "experts")


def _schedules(config: TeamConfig) -> list[Problem]:
    from handlers.config.workdays import known_country  # the holidays tables load only when checked

    found: list[Problem] = []
    roles = {r.id for r in config.roles}
    country = config.team.holidays_country
    if country and not known_country(country):
        found.append(
            _error(
                "team > holidays_country",
                f"{country!r} is not a country the holidays "
                "package knows (ISO code, optionally -SUBDIVISION)",
            )
        )
    ids = [m.id for m in config.meetings]
    for value, count in Counter(ids).items():
        if count > 1:
            found.append(_error("meetings", f"{value!r} appears {count} times"))
    for meeting in config.meetings:
        if meeting.id in SCHEDULE_JOBS:
            found.append(_error(f"meetings > {meeting.id}", "this id names a scheduled job"))
    s = config.schedules
    named = {
        "schedules > l2_weekly_report > experts": (s.l2_weekly_report.experts,),
        "schedules > l2_weekly_report > report_to": (s.l2_weekly_report.report_to,),
        "schedules > clocks > breach": s.clocks.breach,
        "schedules > clocks > root_cause": s.clocks.root_cause,
        "quality > role": (config.quality.role,),
        "quality > suggestion_deciders": config.quality.suggestion_deciders,
        "quality > monthly_report": (
            config.quality.monthly_report.l1,
            config.quality.monthly_report.l2,
        ),
        "knowledge > reviewer": (config.knowledge.reviewer,),
        "knowledge > escalate_to": (config.knowledge.escalate_to,),
    }
    for place, role_ids in named.items():
        found += [_error(place, f"unknown role {r!r}") for r in role_ids if r not in roles]
    return found
