"""One grammar for every platform: the words of a command into a typed request.

`/ticket new VPN down #network p2 via:phone | env: Windows 11 | tried: reconnect` sets the
category, priority and intake from tags anywhere in the text; `| name: value` sections fill
the other fields. The leading slash is optional (Teams users type `ticket new ...`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.chat.model import clean_input
from handlers.chat.texts import Md, phrase
from handlers.commands import ticket_words as words_of
from handlers.commands.fields import (
    TEXT_MAX,
    FieldErrors,
    NewTicket,
    unfit_character,
    unknown_category,
    validate,
)
from handlers.commands.oncall import (
    OncallArgsError,
    OncallGive,
    OncallTake,
    OncallView,
    parse_oncall,
)
from handlers.commands.quality import (
    QUALITY_COMMANDS,
    QualityParseError,
    QualityRequest,
    parse_qa,
    parse_quality,
)
from handlers.config.team import Person, TeamConfig

TICKET_VERBS = (
    "new",
    "show",
    "take",
    "assign",
    "edit",
    "note",
    "dispatch",
    "rca",
    "resolve",
    "close",
    "reopen",
    "csat",
    "qa",
)
COMMANDS = (
    "ticket",
    "queue",
    "raci",
    "roster",
    "huddle",
    "kpi",
    "oncall",
    "help",
    *QUALITY_COMMANDS,
)
KPI_PERIODS = ("day", "week", "month")
KPI_CHART = "chart"
_TICKET_ID = re.compile(r"^(?:t-?)?(\d{1,9})$", re.IGNORECASE)
_CATEGORY_TAG = words_of.CATEGORY_TAG
_MENTION = words_of.MENTION
# Arguments in either language (the command words themselves stay English).
_KPI_WORDS = {
    "日": "day",
    "今天": "day",
    "周": "week",
    "本周": "week",
    "月": "month",
    "本月": "month",
}
_QUEUE_WORDS = {"mine": "mine", "all": "all", "我的": "mine", "全部": "all", "所有": "all"}
TOPIC_MAX = 200
OUTCOME_MAX = 2000
# Words after the id that a verb needs; a missing one is bad input.
_NEEDS_TEXT = {"note": "note_text", "rca": "root_cause", "resolve": "resolution", "csat": "score"}


@dataclass(frozen=True)
class TicketNew:
    fields: NewTicket | None  # None: no text given, open the form


@dataclass(frozen=True)
class TicketVerb:
    verb: str
    number: int
    text: str = ""
    category: str | None = None
    person: str | None = None  # dispatch to / assign to (a person id)
    changes: tuple[tuple[str, str], ...] = ()  # edit: raw field values
    reason: str = ""  # close: duplicate, cancelled, not_reproducible
    other: int | None = None  # close duplicate: the ticket it duplicates


@dataclass(frozen=True)
class QueueView:
    view: str  # unassigned, mine, all
    category: str | None = None


@dataclass(frozen=True)
class RaciLookup:
    query: str
    share: bool = False  # `/raci incident share`: post the answer in the conversation


@dataclass(frozen=True)
class RosterLookup:
    role: str
    share: bool = False


@dataclass(frozen=True)
class HuddleStart:
    number: int
    topic: str = ""
    extras: tuple[str, ...] = ()  # person ids asked for by mention


@dataclass(frozen=True)
class HuddleEnd:
    number: int
    outcome: str


@dataclass(frozen=True)
class KpiView:
    period: str  # one of KPI_PERIODS
    chart: bool = False  # `/kpi week chart`: the period's chart as a picture too
    share: bool = False


@dataclass(frozen=True)
class HelpRequest:
    topic: str


Request = (
    TicketNew
    | TicketVerb
    | QueueView
    | RaciLookup
    | RosterLookup
    | HuddleStart
    | HuddleEnd
    | KpiView
    | HelpRequest
    | QualityRequest
    | OncallView
    | OncallTake
    | OncallGive
)


class ParseError(Exception):
    """Bad input: a one-line reason and the usage of the command concerned."""

    def __init__(self, reason: Md, usage: Md) -> None:
        super().__init__(reason)
        self.reason = reason
        self.usage = usage


def usage(command: str) -> Md:
    return phrase(f"usage.{command}")


def parse(text: str, config: TeamConfig) -> Request:
    words = clean_input(text).strip().split(None, 1)
    if not words:
        return HelpRequest("")
    command = words[0].removeprefix("/").lower()
    if reason := unfit_character(text):  # refused whole, before any part of it is used
        raise ParseError(Md(reason), usage(command if command in COMMANDS else "help"))
    rest = words[1].strip() if len(words) > 1 else ""
    if command == "ticket":
        return _ticket(rest, config)
    if command == "queue":
        return _queue(rest, config)
    if command == "raci":
        query, share = _share_word(rest)
        return RaciLookup(query, share)
    if command == "roster":
        role, share = _share_word(rest)
        return RosterLookup(role.lower(), share)
    if command == "huddle":
        return _huddle(rest, config)
    if command == "kpi":
        return _kpi(rest)
    if command == "oncall":
        try:
            return parse_oncall(rest, config, _person)
        except OncallArgsError as exc:
            raise ParseError(exc.args[0], usage("oncall")) from exc
    if command == "help":
        return HelpRequest(rest.lower().removeprefix("/"))
    if command in QUALITY_COMMANDS:
        try:
            return parse_quality(command, rest)
        except QualityParseError as exc:
            raise ParseError(exc.reason, usage(exc.usage_key)) from exc
    raise ParseError(phrase("error.unknown_command", given=command, known=COMMANDS), usage("help"))


def _kpi(rest: str) -> Request:
    rest, share = _share_word(rest)
    words = [_KPI_WORDS.get(w, w) for w in rest.lower().split()]
    chart = bool(words) and words[-1] == KPI_CHART
    if chart:
        words.pop()
    if len(words) > 1 or (words and words[0] not in KPI_PERIODS):
        given = " ".join(words)
        raise ParseError(phrase("error.bad_kpi_period", given=given), usage("kpi"))
    return KpiView(words[0] if words else "week" if chart else "day", chart, share)


def _share_word(rest: str) -> tuple[str, bool]:
    """A trailing `share` posts the answer in the conversation (see handlers.sharing)."""
    words = rest.split()
    if words and words[-1].lower() == "share":
        return " ".join(words[:-1]), True
    return rest, False


def _queue(rest: str, config: TeamConfig) -> Request:
    word = rest.strip().lower()
    if not word:
        return QueueView("unassigned")
    if word in _QUEUE_WORDS:
        return QueueView(_QUEUE_WORDS[word])
    tag = _CATEGORY_TAG.match(word)
    if tag and (found := config.find_category(tag.group(1))) is not None:
        return QueueView("unassigned", found.id)
    if tag:
        raise ParseError(unknown_category(config, tag.group(1)), usage("queue"))
    raise ParseError(phrase("error.bad_queue_view", given=word), usage("queue"))


def ticket_number(word: str | None, usage_key: str) -> int:
    if not word:
        raise ParseError(phrase("error.missing_id"), usage(usage_key))
    match = _TICKET_ID.match(word)
    if not match:
        raise ParseError(phrase("error.bad_id", given=word), usage(usage_key))
    return int(match.group(1))


def _huddle(rest: str, config: TeamConfig) -> Request:
    """`huddle T-7 [topic] [@person ...]`, `huddle end T-7 OUTCOME`."""
    words = rest.split(None, 1)
    if words and words[0].lower() == "end":
        parts = words[1].split(None, 1) if len(words) > 1 else []
        number = ticket_number(parts[0] if parts else None, "huddle.end")
        outcome = parts[1].strip() if len(parts) > 1 else ""
        if not outcome:
            raise ParseError(phrase("error.missing_outcome"), usage("huddle.end"))
        if len(outcome) > OUTCOME_MAX:
            raise ParseError(
                phrase("error.outcome_long", limit=OUTCOME_MAX, length=len(outcome)),
                usage("huddle.end"),
            )
        return HuddleEnd(number, outcome)
    number = ticket_number(words[0] if words else None, "huddle")
    topic: list[str] = []
    extras: list[str] = []
    for word in words[1].split() if len(words) > 1 else ():
        mention = _MENTION.match(word)
        if mention is None:
            topic.append(word)
            continue
        person = _person(config, mention.group(1))
        if person is None:
            raise ParseError(
                phrase("error.unknown_person", given=mention.group(1)), usage("huddle")
            )
        if person.id not in extras:
            extras.append(person.id)
    text = " ".join(topic)
    if len(text) > TOPIC_MAX:
        raise ParseError(
            phrase("error.topic_long", limit=TOPIC_MAX, length=len(text)), usage("huddle")
        )
    return HuddleStart(number, text, tuple(extras))


def _person(config: TeamConfig, given: str) -> Person | None:
    """A mention as the adapters leave it: `@personid` (they resolve platform users to
    configured people once, before the words reach the grammar)."""
    return config.person(given.lower())


def _ticket(rest: str, config: TeamConfig) -> Request:
    words = rest.split(None, 1)
    if not words:
        raise ParseError(phrase("error.missing_verb", known=TICKET_VERBS), usage("ticket"))
    verb, tail = words[0].lower(), (words[1].strip() if len(words) > 1 else "")
    if verb not in TICKET_VERBS:
        raise ParseError(
            phrase("error.unknown_verb", given=verb, known=TICKET_VERBS), usage("ticket")
        )
    if verb == "new":
        return TicketNew(_new_fields(tail, config) if tail else None)
    if verb == "qa":
        try:
            return parse_qa(tail, config.quality.sample.checks)
        except QualityParseError as exc:
            raise ParseError(exc.reason, usage(exc.usage_key)) from exc
    parts = tail.split(None, 1)
    if not parts:
        raise ParseError(phrase("error.missing_id"), usage(f"ticket.{verb}"))
    match = _TICKET_ID.match(parts[0])
    if not match:
        raise ParseError(phrase("error.bad_id", given=parts[0]), usage(f"ticket.{verb}"))
    text = parts[1].strip() if len(parts) > 1 else ""
    number = int(match.group(1))

    def fail(reason: Md) -> ParseError:
        return ParseError(reason, usage(f"ticket.{verb}"))

    if verb == "edit":
        values, summary = words_of.fields(text, fail)
        if summary:
            values["summary"] = " ".join(summary)
        if not values:
            raise fail(phrase("error.nothing_to_edit"))
        return TicketVerb(verb, number, changes=tuple(values.items()))
    if verb == "close":
        reason, other, text = words_of.close_reason(text, fail)
        return TicketVerb(verb, number, text, reason=reason, other=other)
    category = person = None
    if verb == "dispatch":
        category, text = _take_category(text, config, verb)
        person, text = words_of.leading_mention(config, text, fail)
        if category is None:  # `#category` may also follow the mention
            category, text = _take_category(text, config, verb)
    if verb == "assign":
        person, text = words_of.leading_mention(config, text, fail)
        if person is None:
            raise fail(phrase("error.assign_whom"))
    if verb in _NEEDS_TEXT and not text:
        raise fail(phrase(f"error.missing_{_NEEDS_TEXT[verb]}"))
    if len(text) > TEXT_MAX:
        raise fail(phrase("error.text_long", limit=TEXT_MAX, length=len(text)))
    return TicketVerb(verb, number, text, category, person=person)


def _take_category(text: str, config: TeamConfig, verb: str) -> tuple[str | None, str]:
    """A leading `#category` on dispatch sets or corrects the ticket's category."""
    words = text.split(None, 1)
    if words and (tag := _CATEGORY_TAG.match(words[0])):
        found = config.find_category(tag.group(1))
        if found is None:
            raise ParseError(unknown_category(config, tag.group(1)), usage(f"ticket.{verb}"))
        return found.id, (words[1] if len(words) > 1 else "")
    return None, text


def _new_fields(text: str, config: TeamConfig) -> NewTicket:
    def fail(reason: Md) -> ParseError:
        return ParseError(reason, usage("ticket.new"))

    values, summary = words_of.fields(text, fail)
    values["summary"] = " ".join(summary)
    try:
        return validate(values, config)
    except FieldErrors as exc:
        raise fail(Md(exc.first())) from exc
