"""The team's configuration: people, roles, categories, channels, RACI, time rules, schedules.

Structure is checked by pydantic; the RACI and cross-reference rules live in
`handlers.team_rules` so that `check-config` can list every problem at once instead of
stopping at the first.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]
Letter = Literal["R", "A", "C", "I"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
INTAKES = ("phone", "online", "email", "chat")
PRIORITIES = ("p1", "p2", "p3", "p4")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(Strict):
    id: Id
    name: str
    name_zh: str = ""


class Person(Strict):
    id: Id
    name: str
    slack: str | None = None
    teams: str | None = None  # Teams user id (29:...) or UPN
    roles: tuple[Id, ...] = ()
    specialties: tuple[Id, ...] = ()
    on_duty: bool = False

    def holds(self, role: str) -> bool:
        return role in self.roles


class Category(Strict):
    id: Id
    name: str
    name_zh: str = ""


class Channel(Strict):
    """A logical channel; each platform knows it by its own id."""

    name: str
    slack: str | None = None
    teams: str | None = None


class Channels(Strict):
    queue: Channel
    managers: Channel
    l2: dict[Id, Channel] = Field(default_factory=dict)  # per category, optional


class Activity(Strict):
    id: Id
    name: str
    name_zh: str = ""
    roles: dict[Id, str] = Field(default_factory=dict)  # role id -> R/A/C/I (checked by rules)

    @property
    def title(self) -> str:
        return f"{self.name_zh} {self.name}".strip()

    def holders(self, letter: str) -> list[str]:
        return [role for role, value in self.roles.items() if value == letter]


class Matrix(Strict):
    id: Id
    name: str
    source: str = ""
    note: str = ""
    activities: tuple[Activity, ...]


class Permissions(Strict):
    """Who may do what to a ticket: role ids, plus `assignee` and `reporter`.

    Logging and showing a ticket is open to anyone and not listed.
    """

    take: tuple[str, ...] = ("l1", "l2", "team_lead")
    dispatch: tuple[str, ...] = ("l1", "l2", "team_lead")
    note: tuple[str, ...] = ("l1", "l2", "team_lead", "assignee")
    rca: tuple[str, ...] = ("l2", "team_lead", "assignee")
    resolve: tuple[str, ...] = ("assignee", "team_lead")
    close: tuple[str, ...] = ("assignee", "team_lead")
    reopen: tuple[str, ...] = ("l1", "l2", "team_lead", "reporter")


class Purposes(Strict):
    """Which RACI activity the bot consults for each thing it does."""

    intake: Id = "user_report_intake"
    dispatch: Id = "complex_problem_handling"
    huddle: Id = "cross_team_coordination"
    incident: Id = "incident_response"


class TimeRules(Strict):
    """Minutes. Defaults are the handbook's (seed 003)."""

    first_response_nudge: int = Field(20, gt=0)
    first_response: int = Field(30, gt=0)
    progress_update: int = Field(120, gt=0)
    root_cause: int = Field(240, gt=0)
    huddle_length: int = Field(5, gt=0)
    huddle_warning_before: int = Field(1, gt=0)
    huddle_outcome_reminder: int = Field(30, gt=0)
    average_response_target: int = Field(15, gt=0)
    common_problem_resolution: int = Field(120, gt=0)
    # p1/p2 clocks run around the clock; the others only in working hours.
    round_the_clock_priorities: tuple[Literal["p1", "p2", "p3", "p4"], ...] = ("p1", "p2")


class KpiTargets(Strict):
    first_contact_resolution: float = 0.80
    satisfaction: float = 0.90
    answered_within_first_response: float = 1.0
    l2_root_cause_in_time: float = 1.0
    dispatched_share_max: float = 0.30


class Meeting(Strict):
    id: Id
    name: str
    name_zh: str = ""
    when: str  # e.g. "09:30" daily, "fri 15:00" weekly, "first-working-day 10:00" monthly
    minutes: int = Field(gt=0)
    participants: tuple[Id, ...]  # role ids
    agenda: tuple[str, ...]
    enabled: bool = True


class WorkingHours(Strict):
    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(18, 0)


class TeamInfo(Strict):
    name: str
    timezone: str
    working_days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    working_hours: WorkingHours = WorkingHours()
    holidays_country: str | None = None
    slack_team_id: str | None = None
    teams_tenant_id: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class TeamConfig(Strict):
    team: TeamInfo
    channels: Channels
    roles: tuple[Role, ...]
    people: tuple[Person, ...]
    categories: tuple[Category, ...]
    raci: tuple[Matrix, ...]
    purposes: Purposes = Purposes()
    permissions: Permissions = Permissions()
    time_rules: TimeRules = TimeRules()
    kpi_targets: KpiTargets = KpiTargets()
    meetings: tuple[Meeting, ...] = ()
    # Jobs and their times are read by `schedules`; kept loose here so that package owns them.
    schedules: dict[str, dict[str, object]] = Field(default_factory=dict)

    # -- look-ups used across the core -------------------------------------------------

    def person(self, person_id: str) -> Person | None:
        return next((p for p in self.people if p.id == person_id), None)

    def role(self, role_id: str) -> Role | None:
        return next((r for r in self.roles if r.id == role_id), None)

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def activities(self) -> list[Activity]:
        return [a for m in self.raci for a in m.activities]

    def activity(self, activity_id: str) -> Activity | None:
        return next((a for a in self.activities() if a.id == activity_id), None)

    def find_person(self, platform: str, user_id: str) -> Person | None:
        """The configured person behind a platform identity (Slack id, Teams id or UPN)."""
        wanted = user_id.casefold()
        for p in self.people:
            value = p.slack if platform == "slack" else p.teams if platform == "teams" else p.id
            if value is not None and value.casefold() == wanted:
                return p
        return None

    def holders(self, role_id: str, category: str | None = None) -> list[Person]:
        """People to tag for a role.

        Narrowed to the ticket's specialty when some holders carry it, and to those on duty
        when the role tracks duty (someone holding it is on duty). One rule for every role,
        so the L2 experts of a category and the L1 engineers on duty fall out of it.
        """
        people = [p for p in self.people if p.holds(role_id)]
        if category:
            specialists = [p for p in people if category in p.specialties]
            if specialists:
                people = specialists
        on_duty = [p for p in people if p.on_duty]
        return on_duty or people

    def experts(self, category: str) -> list[Person]:
        """The L2 experts of a category: everyone who carries it as a specialty."""
        return [p for p in self.people if category in p.specialties]
