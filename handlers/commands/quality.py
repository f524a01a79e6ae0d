"""The quality commands' words into requests: `/kb`, `/suggest`, `/qa`, `/report`.

`/kb new TITLE | problem: ... | steps: ... | solution: ... | prevention: ... | related: ...
| system: oa | type: login` submits an entry; `/kb new T-5` opens the form pre-filled from a
ticket; `/kb new` alone opens it empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from handlers.chat.texts import Md, phrase

QUALITY_COMMANDS = ("kb", "suggest", "report")
KB_VERBS = ("new", "search", "approve", "return", "show")
SUGGEST_VERBS = ("list", "accept", "done")
_KB_ID = re.compile(r"^kb-?(\d{1,9})$", re.IGNORECASE)
_TICKET_ID = re.compile(r"^t-?(\d{1,9})$", re.IGNORECASE)
_SUGGESTION_ID = re.compile(r"^s-?(\d{1,9})$", re.IGNORECASE)
KB_SECTIONS = {
    "problem": "problem",
    "steps": "steps",
    "solution": "solution",
    "prevention": "prevention",
    "related": "related",
    "system": "system",
    "type": "problem_type",
    "ticket": "ticket",
}
TEXT_MAX = 4000


class QualityParseError(Exception):
    """Bad input (the grammar turns it into its own ParseError): a reason and a usage key."""

    def __init__(self, reason: Md, usage_key: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.usage_key = usage_key


@dataclass(frozen=True)
class KbNew:
    values: dict[str, str] | None = None  # None: open the form
    ticket: int | None = None  # pre-fill the form from this ticket


@dataclass(frozen=True)
class KbShow:
    number: int


@dataclass(frozen=True)
class KbSearch:
    text: str


@dataclass(frozen=True)
class KbReview:
    approve: bool
    number: int
    comment: str = ""


@dataclass(frozen=True)
class SuggestNew:
    text: str


@dataclass(frozen=True)
class SuggestMove:
    verb: str  # list, accept, done
    number: int = 0


@dataclass(frozen=True)
class QaCheck:
    number: int
    check: str
    passed: bool
    note: str = ""


@dataclass(frozen=True)
class QaCause:
    number: int
    text: str


@dataclass(frozen=True)
class ReportRequest:
    verb: str  # show, submit
    text: str = ""
    extras: dict[str, str] = field(default_factory=dict)


QualityRequest = (
    KbNew
    | KbShow
    | KbSearch
    | KbReview
    | SuggestNew
    | SuggestMove
    | QaCheck
    | QaCause
    | ReportRequest
)


def parse_quality(command: str, rest: str) -> QualityRequest:
    if command == "kb":
        return _kb(rest)
    if command == "suggest":
        return _suggest(rest)
    return _report(rest)


def _number(pattern: re.Pattern[str], word: str | None, bad: str, usage_key: str) -> int:
    if not word:
        raise QualityParseError(phrase(f"error.missing_{bad}"), usage_key)
    match = pattern.match(word)
    if not match:
        raise QualityParseError(phrase(f"error.bad_{bad}", given=word), usage_key)
    return int(match.group(1))


def _kb(rest: str) -> QualityRequest:
    words = rest.split(None, 1)
    verb = words[0].lower() if words else ""
    tail = words[1].strip() if len(words) > 1 else ""
    if not verb:
        raise QualityParseError(phrase("error.missing_kb_verb", known=KB_VERBS), "kb")
    if _KB_ID.match(verb):
        return KbShow(_number(_KB_ID, verb, "kb_id", "kb"))
    if verb == "show":
        return KbShow(_number(_KB_ID, tail.split()[0] if tail else None, "kb_id", "kb"))
    if verb == "search":
        if not tail:
            raise QualityParseError(phrase("error.missing_search"), "kb.search")
        return KbSearch(tail)
    if verb in ("approve", "return"):
        parts = tail.split(None, 1)
        number = _number(_KB_ID, parts[0] if parts else None, "kb_id", f"kb.{verb}")
        comment = parts[1].strip() if len(parts) > 1 else ""
        if verb == "return" and not comment:
            raise QualityParseError(phrase("error.missing_return_comment"), "kb.return")
        return KbReview(verb == "approve", number, comment)
    if verb != "new":
        raise QualityParseError(phrase("error.unknown_kb_verb", given=verb, known=KB_VERBS), "kb")
    if not tail:
        return KbNew()
    if _TICKET_ID.match(tail):
        return KbNew(ticket=_number(_TICKET_ID, tail, "id", "kb.new"))
    head, *sections = [s.strip() for s in tail.split(" | ")]
    values = {"title": head}
    for section in sections:
        key, sep, value = section.partition(":")
        name = KB_SECTIONS.get(key.strip().lower())
        if not sep or name is None:
            raise QualityParseError(
                phrase("error.bad_section", given=section, known=sorted(KB_SECTIONS)), "kb.new"
            )
        values[name] = value.strip()
    return KbNew(values)


def _suggest(rest: str) -> QualityRequest:
    words = rest.split(None, 1)
    verb = words[0].lower() if words else ""
    if not rest.strip() or verb == "list":
        return SuggestMove("list")
    if verb in ("accept", "done") and len(words) > 1 and _SUGGESTION_ID.match(words[1].strip()):
        return SuggestMove(
            verb, _number(_SUGGESTION_ID, words[1].strip(), "suggestion_id", "suggest")
        )
    if len(rest) > TEXT_MAX:
        raise QualityParseError(
            phrase("error.text_long", limit=TEXT_MAX, length=len(rest)), "suggest"
        )
    return SuggestNew(rest.strip())


def parse_qa(rest: str, checks: tuple[str, ...]) -> QaCheck | QaCause:
    """`/ticket qa T-5 CHECK pass|fail [NOTE]`, `/ticket qa T-5 cause ROOT CAUSE` (a verb of
    `/ticket`: Teams lists at most ten commands)."""
    parts = rest.split(None, 2)
    number = _number(_TICKET_ID, parts[0] if parts else None, "id", "ticket.qa")
    word = parts[1].lower() if len(parts) > 1 else ""
    tail = parts[2].strip() if len(parts) > 2 else ""
    if word == "cause":
        if not tail:
            raise QualityParseError(phrase("error.missing_root_cause"), "ticket.qa")
        return QaCause(number, tail)
    if word not in checks:
        raise QualityParseError(
            phrase("error.unknown_check", given=word, known=checks), "ticket.qa"
        )
    result, _, note = tail.partition(" ")
    if result.lower() not in ("pass", "fail"):
        raise QualityParseError(phrase("error.bad_check_result", given=result), "ticket.qa")
    return QaCheck(number, word, result.lower() == "pass", note.strip())


def _report(rest: str) -> QualityRequest:
    words = rest.split(None, 1)
    verb = words[0].lower() if words else "show"
    if verb not in ("show", "submit"):
        raise QualityParseError(phrase("error.bad_report_verb", given=verb), "report")
    return ReportRequest(verb, words[1].strip() if len(words) > 1 else "")
