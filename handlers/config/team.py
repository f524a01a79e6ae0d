"""The team's configuration: people, roles, categories, channels, RACI, time rules, schedules.

Structure is checked by pydantic; the RACI and cross-reference rules live in
`handlers.config.rules` so that `check-config` can list every problem at once instead of
stopping at the first.
"""

from __future__ import annotations

import datetime as dt
import string
from functools import cached_property
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from handlers.config.base import (
    INTAKES,
    Id,
    Language,
    Strict,
    Weekday,
)
from handlers.config.escalation import Escalation, Policy, Targets, default_policies
from handlers.config.jobs import (
    KpiRules,
    KpiTargets,
    Meeting,
    Schedules,
)
from handlers.config.oncall import OnCall
from handlers.config.quality import Knowledge, Quality


class Role(Strict):
    id: Id
    name: str
    name_zh: str = ""
    # How a sentence names everyone holding it ("L1 engineers", "the team lead"); refusals
    # list who may act in these words. Empty: the name.
    plural: str = ""


class Person(Strict):
    id: Id
    name: str
    slack: str | None = None
    teams: str | None = None  # Teams user id (29:...) or UPN
    roles: tuple[Id, ...] = ()
    specialties: tuple[Id, ...] = ()
    on_duty: bool = False
    language: Language | None = None  # wins over the team's and the platform's locale

    def holds(self, role: str) -> bool:
        return role in self.roles


class Category(Strict):
    id: Id
    name: str
    name_zh: str = ""
    aliases: tuple[str, ...] = ()  # more words for `#tag`, e.g. 网络, net

    def words(self) -> set[str]:
        """Every word `#tag` may use for this category, case-folded."""
        words = {self.id, self.name, self.name_zh, self.name_zh.removesuffix("类"), *self.aliases}
        return {w.casefold() for w in words if w}


class Channel(Strict):
    """A logical channel; each platform knows it by its own id."""

    name: str
    slack: str | None = None
    teams: str | None = None


class Channels(Strict):
    queue: Channel
    managers: Channel
    l2: dict[Id, Channel] = Field(default_factory=dict)  # per category, optional

    def named(self, name: str) -> Channel | None:
        """A logical channel by the name posts use: queue, managers, l2:<category>."""
        if name.startswith("l2:"):
            return self.l2.get(name[3:])
        channel = getattr(self, name, None)
        return channel if isinstance(channel, Channel) else None


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
    # Where the matrix comes from, for the file's readers; never shown to chat users (a
    # YAML comment does the same job).
    name_zh: str = ""
    source: str = ""
    note: str = ""
    activities: tuple[Activity, ...]


class Permissions(Strict):
    """Who may do what to a ticket: role ids, plus `assignee`, `reporter` and `experts` (the
    L2 experts of the ticket's category).

    Logging and showing a ticket is open to anyone and not listed.
    """

    take: tuple[str, ...] = ("l1", "l2", "team_lead")
    # Holders of `assign_any` hand a ticket to anyone; the other roles of `assign` only to
    # someone holding one of their own roles (their tier).
    assign: tuple[str, ...] = ("team_lead", "service_desk_manager", "l1", "l2")
    assign_any: tuple[str, ...] = ("team_lead", "service_desk_manager")
    edit: tuple[str, ...] = ("l1", "l2", "team_lead", "assignee", "reporter")
    dispatch: tuple[str, ...] = ("l1", "l2", "team_lead")
    note: tuple[str, ...] = ("l1", "l2", "team_lead", "assignee")
    # The L2 owner, the category's experts or the lead; not the L1 who dispatched it.
    rca: tuple[str, ...] = ("assignee", "experts", "team_lead")
    resolve: tuple[str, ...] = ("assignee", "team_lead")
    close: tuple[str, ...] = ("assignee", "team_lead", "service_desk_manager")
    reopen: tuple[str, ...] = ("l1", "l2", "team_lead", "reporter")
    huddle: tuple[str, ...] = ("l1", "l2", "team_lead", "assignee")


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
    # A ticket logged through these intakes by someone who works the queue (may take
    # tickets) was answered while it was logged: the caller was on the line.
    answered_at_logging: tuple[Literal["phone", "online", "email", "chat"], ...] = ("phone",)
    # Per-priority targets (minutes) overriding the four above, e.g. a shorter P1.
    priorities: dict[Literal["p1", "p2", "p3", "p4"], Targets] = Field(default_factory=dict)

    def target(self, priority: str, name: str) -> int:
        """One rule for every reader: the priority's own figure, else the team's."""
        own = self.priorities.get(priority)  # type: ignore[call-overload]
        value = getattr(own, name, None) if own is not None else None
        return int(value if value is not None else getattr(self, name))


class Huddles(Strict):
    """Where a huddle's join link comes from; see README, "Huddles".

    `meeting_link_template` is a room of the team's own meeting service (Jitsi, Zoom...),
    with `{ticket}`, `{huddle}` (the ticket's huddle number) and `{token}` (random, so the
    room cannot be guessed). Slack: the queue channel's huddle, or the template (registered
    with Slack's `calls.add` under `slack_call_provider` when set). Teams: an online meeting
    through Microsoft Graph when the bot's credentials allow it, else a call deep link; or the
    template. The console shows the template's link.
    """

    meeting_link_template: str | None = None
    slack: Literal["channel", "template"] = "channel"
    slack_call_provider: str | None = None
    teams: Literal["meeting", "call", "template"] = "meeting"

    @model_validator(mode="after")
    def _template_usable(self) -> Huddles:
        template = self.meeting_link_template
        if template is not None:
            if not template.startswith(("https://", "http://")):
                raise ValueError("meeting_link_template must be an http(s) URL")
            names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
            unknown = names - set(HUDDLE_LINK_FIELDS)
            if unknown:
                raise ValueError(
                    f"meeting_link_template: unknown placeholder {{{sorted(unknown)[0]}}}; "
                    f"use {', '.join('{' + f + '}' for f in HUDDLE_LINK_FIELDS)}"
                )
        needs = [
            name
            for name, wants in (
                ("slack: template", self.slack == "template"),
                ("teams: template", self.teams == "template"),
                ("slack_call_provider", self.slack_call_provider is not None),
            )
            if wants
        ]
        if needs and template is None:
            raise ValueError(f"{needs[0]} needs a meeting_link_template")
        return self


HUDDLE_LINK_FIELDS = ("ticket", "huddle", "token")


class TicketIntakeRules(Strict):
    """Ways a chat message becomes a ticket besides the command."""

    # Reacting with this emoji (its Slack name, without colons) to a message in a channel
    # the bot is in logs a ticket from the message.
    reaction_emoji: str = Field("ticket", pattern=r"^[a-z0-9_+'-]+$")


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
    language: Language = "en"  # channel posts; replies and DMs follow each reader
    follow_platform_locale: bool = True  # a Slack user's locale, a Teams activity's locale
    both_names: bool = False  # configured names in the reader's language, the other in ()

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
    kpi_rules: KpiRules = KpiRules()
    meetings: tuple[Meeting, ...] = ()
    huddles: Huddles = Huddles()
    schedules: Schedules = Schedules()
    quality: Quality = Quality()
    knowledge: Knowledge = Knowledge()
    tickets: TicketIntakeRules = TicketIntakeRules()
    escalation: Escalation = Escalation()
    oncall: OnCall = OnCall()

    @cached_property
    def policies(self) -> tuple[Policy, ...]:
        """The escalation policies in force: the configured ones, else the defaults."""
        configured = self.escalation.policies
        if configured is not None:
            return configured
        return default_policies(self.time_rules, self.schedules.clocks, self.escalation)

    # Words for the intake channels besides the ids (`via:电话`), per intake.
    intake_aliases: dict[Literal["phone", "online", "email", "chat"], tuple[str, ...]] = Field(
        default_factory=lambda: {
            "phone": ("电话",),
            "online": ("在线", "在线系统"),
            "email": ("邮件", "e-mail", "mail"),
            "chat": ("聊天",),
        }
    )

    # -- look-ups used across the core -------------------------------------------------

    # The model is frozen, so the indexes below are built once and stay right.
    @cached_property
    def _index(self) -> dict[str, dict[Any, Any]]:
        return {
            "person": {p.id: p for p in self.people},
            "role": {r.id: r for r in self.roles},
            "category": {c.id: c for c in self.categories},
            # every word of each category; the first category wins a word two share
            "category_word": {w: c for c in reversed(self.categories) for w in c.words()},
            "activity": {a.id: a for m in self.raci for a in m.activities},
            "holders": {},  # `holders` answers, filled as asked (every ticket logged asks)
        }

    def person(self, person_id: str) -> Person | None:
        return self._index["person"].get(person_id)

    def role(self, role_id: str) -> Role | None:
        return self._index["role"].get(role_id)

    def category(self, category_id: str) -> Category | None:
        return self._index["category"].get(category_id)

    def find_category(self, word: str) -> Category | None:
        """A category by id, either name or an alias (`network`, `网络类`, `网络`)."""
        return self._index["category_word"].get(word.casefold())

    def find_intake(self, word: str) -> str | None:
        wanted = word.casefold()
        if wanted in INTAKES:
            return wanted
        return next((k for k, v in self.intake_aliases.items() if wanted in v), None)

    def activities(self) -> list[Activity]:
        return [a for m in self.raci for a in m.activities]

    def activity(self, activity_id: str) -> Activity | None:
        return self._index["activity"].get(activity_id)

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
        # Kept with the people it was worked out from: a copy of the configuration with
        # other people (`model_copy` shares the cached look-ups) works them out again.
        known = self._index["holders"]
        found = known.get((role_id, category))
        if found is None or found[0] is not self.people:
            found = known[(role_id, category)] = (self.people, self._holders(role_id, category))
        return list(found[1])

    def _holders(self, role_id: str, category: str | None) -> list[Person]:
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
