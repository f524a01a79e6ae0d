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
from handlers.commands.fields import FieldErrors, NewTicket, known_tags, validate
from handlers.config.team import PRIORITIES, Person, TeamConfig

TICKET_VERBS = ("new", "show", "take", "note", "dispatch", "rca", "resolve", "close", "reopen")
COMMANDS = ("ticket", "queue", "raci", "roster", "huddle", "kpi", "help")
KPI_PERIODS = ("day", "week", "month")
_TICKET_ID = re.compile(r"^(?:t-?)?(\d{1,9})$", re.IGNORECASE)
_CATEGORY_TAG = re.compile(r"^#([^\W\d][\w-]*)$")  # #network, #网络类; not #3
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
_MENTION = re.compile(r"^@([\w.:@-]+?)[,.;:!?]*$")
TOPIC_MAX = 200
OUTCOME_MAX = 2000
_SECTION_NAMES = {
    "desc": "description",
    "description": "description",
    "env": "environment",
    "environment": "environment",
    "tried": "tried",
    "reporter": "reporter",
    "link": "links",
    "links": "links",
}
# Words after the id that a verb needs; a missing one is bad input.
_NEEDS_TEXT = {"note": "note_text", "rca": "root_cause", "resolve": "resolution"}


@dataclass(frozen=True)
class TicketNew:
    fields: NewTicket | None  # None: no text given, open the form


@dataclass(frozen=True)
class TicketVerb:
    verb: str
    number: int
    text: str = ""
    category: str | None = None


@dataclass(frozen=True)
class QueueView:
    view: str  # unassigned, mine, all
    category: str | None = None


@dataclass(frozen=True)
class RaciLookup:
    query: str


@dataclass(frozen=True)
class RosterLookup:
    role: str


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
    rest = words[1].strip() if len(words) > 1 else ""
    if command == "ticket":
        return _ticket(rest, config)
    if command == "queue":
        return _queue(rest, config)
    if command == "raci":
        return RaciLookup(rest)
    if command == "roster":
        return RosterLookup(rest.lower())
    if command == "huddle":
        return _huddle(rest, config)
    if command == "kpi":
        return _kpi(rest)
    if command == "help":
        return HelpRequest(rest.lower().removeprefix("/"))
    raise ParseError(phrase("error.unknown_command", given=command, known=COMMANDS), usage("help"))


def _kpi(rest: str) -> Request:
    given = rest.strip().lower() or "day"
    word = _KPI_WORDS.get(given, given)
    if word not in KPI_PERIODS:
        raise ParseError(phrase("error.bad_kpi_period", given=given), usage("kpi"))
    return KpiView(word)


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
        known = known_tags(config)
        raise ParseError(
            phrase("error.unknown_category", given=tag.group(1), known=known), usage("queue")
        )
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
    """A mention as the adapters leave it: `@personid`, or a platform's user id."""
    return (
        config.person(given.lower())
        or config.find_person("slack", given)
        or config.find_person("teams", given)
    )


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
    parts = tail.split(None, 1)
    if not parts:
        raise ParseError(phrase("error.missing_id"), usage(f"ticket.{verb}"))
    match = _TICKET_ID.match(parts[0])
    if not match:
        raise ParseError(phrase("error.bad_id", given=parts[0]), usage(f"ticket.{verb}"))
    text = parts[1].strip() if len(parts) > 1 else ""
    category = None
    if verb == "dispatch":
        category, text = _take_category(text, config, verb)
    if verb in _NEEDS_TEXT and not text:
        raise ParseError(phrase(f"error.missing_{_NEEDS_TEXT[verb]}"), usage(f"ticket.{verb}"))
    return TicketVerb(verb, int(match.group(1)), text, category)


def _take_category(text: str, config: TeamConfig, verb: str) -> tuple[str | None, str]:
    """A leading `#category` on dispatch sets or corrects the ticket's category."""
    words = text.split(None, 1)
    if words and (tag := _CATEGORY_TAG.match(words[0])):
        found = config.find_category(tag.group(1))
        if found is None:
            raise ParseError(
                phrase("error.unknown_category", given=tag.group(1), known=known_tags(config)),
                usage(f"ticket.{verb}"),
            )
        return found.id, (words[1] if len(words) > 1 else "")
    return None, text


def _new_fields(text: str, config: TeamConfig) -> NewTicket:
    head, *sections = [s.strip() for s in text.split(" | ")]
    values: dict[str, str] = {}
    summary: list[str] = []
    for word in head.split():
        lower = word.lower()
        if _CATEGORY_TAG.match(word):
            values["category"] = word  # an unknown one is an error, never summary text
        elif lower in PRIORITIES:
            values["priority"] = lower
        elif lower.startswith("via:"):
            values["intake"] = word
        else:
            summary.append(word)
    values["summary"] = " ".join(summary)
    for section in sections:
        key, sep, value = section.partition(":")
        field_name = _SECTION_NAMES.get(key.strip().lower())
        if not sep or field_name is None:
            raise ParseError(
                phrase("error.bad_section", given=section, known=sorted(set(_SECTION_NAMES))),
                usage("ticket.new"),
            )
        values[field_name] = value.strip()
    try:
        return validate(values, config)
    except FieldErrors as exc:
        raise ParseError(Md(exc.first()), usage("ticket.new")) from exc
