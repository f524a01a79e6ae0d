"""`deskbot import tickets FILE`: a team's history brought in from a spreadsheet or another
desk tool, in the export's format.

Every row is checked first and each bad one reported with its line number; nothing is
written if any is bad, unless `skip_bad`. Ticket numbers are kept when given (and the
counter moves past them). What the bot maintains per ticket is computed as the use cases
would: the first response is the first take/note/dispatch/root cause/resolution/close (or
the logging itself for an intake of `time_rules.answered_at_logging` by someone who works
the queue), and a ticket without events gets the events its times imply, so the KPIs count
it by event time like any other. A ticket already there (same workspace and number, or
same time and summary when unnumbered) is left as it is: importing a file twice changes
nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from operator import itemgetter
from typing import Any, NamedTuple, TextIO

from sqlalchemy import Dialect

from handlers.chat.model import Actor, Ref
from handlers.chat.texts import Md, phrase
from handlers.commands.fields import FieldErrors, validate
from handlers.config.team import TeamConfig
from handlers.desk import Desk
from handlers.tickets import lifecycle
from handlers.tickets.workflow import answered_while_logged, row_from
from handlers.transfer import parallel
from handlers.transfer.rows import EVENTS, TIMES, Format, parse_line, unparsed
from handlers.transfer.writing import Batch, Ready
from storage import transfer
from storage.db import session_scope

# The verbs whose event is a first response (every verb of `tickets.workflow.act` but reopen).
ANSWERS = ("take", "note", "dispatch", "rca", "resolve", "close")
STATES = (*lifecycle.OPEN_STATES, lifecycle.RESOLVED, lifecycle.CLOSED)
# Rows are written this many at a time: a few MB of plans, and few enough bound values per
# look-up for either database.
BATCH = 2000
# Rows parsed and checked at a time; a file of up to LOCAL_CHUNKS chunks is checked in this
# process, a bigger one's further chunks in checking processes (`parallel.in_order`).
CHUNK = 1000
LOCAL_CHUNKS = 4
# What a new ticket has that no import column gives.
_DEFAULTS: dict[str, Any] = {"close_reason": "", "duplicate_of": None, "watchers": ()}
_FIELDS = (  # the intake fields, checked as logging checks them
    "summary",
    "category",
    "priority",
    "intake",
    "description",
    "environment",
    "reporter",
    "tried",
    "links",
)
_STAMP_OF = {
    "dispatch": "dispatched_at",
    "rca": "root_cause_at",
    "resolve": "resolved_at",
    "close": "closed_at",
}


class Event(NamedTuple):
    at: dt.datetime
    actor: str
    kind: str
    detail: dict[str, Any]


@dataclass
class Plan:
    """A checked row: the ticket's column values (a plain dict: building a million ORM
    objects cost more than the whole write) and its audit trail."""

    line: int
    ticket: dict[str, Any]
    events: list[Event]


@dataclass
class Outcome:
    added: int = 0
    unchanged: int = 0
    problems: list[Md] = field(default_factory=list)  # "line 7: created_at: ..." (Markdown)
    written: bool = False


class BadRow(Exception):
    """A row that cannot be imported; the message is the reason, "field: why"."""


def _bad(key: str, **context: Any) -> BadRow:
    return BadRow(phrase(f"import.{key}", **context))


def _time(config: TeamConfig, name: str, value: Any, required: bool = False) -> dt.datetime | None:
    if value in (None, ""):
        if required:
            raise _bad("missing", name=name)
        return None
    parsed = _read_time(config, value)
    if parsed is None:
        raise _bad("bad_time", name=name, given=value)
    return parsed


def _read_time(config: TeamConfig, value: Any) -> dt.datetime | None:
    """An ISO time as aware UTC; None when it is none."""
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if parsed.tzinfo is None:  # a spreadsheet's local time: the team's zone
        parsed = parsed.replace(tzinfo=config.team.zone)
    return parsed.astimezone(dt.UTC)


def _person(config: TeamConfig, name: str, value: str) -> str:
    """A configured person id, or a platform identity (`slack:T…:U…`) kept as it is."""
    if _known(config, value):
        return value
    raise _bad("unknown_person", name=name, given=value)


def _known(config: TeamConfig, value: str) -> bool:
    return not value or config.person(value) is not None or value.count(":") >= 2


def _events(config: TeamConfig, raw: Any) -> list[Event] | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, list):
        raise _bad("events_not_list")
    out = []
    # A million-ticket file has millions of events: the checks are inlined, and a field's
    # name for the reason is only written out when the value is bad.
    for n, item in enumerate(raw, 1):
        kind = item.get("kind") if isinstance(item, dict) else None
        if not isinstance(kind, str):
            raise _bad("event_no_kind", n=n)
        at = item.get("at")
        at = None if at in (None, "") else _read_time(config, at)
        if at is None:
            raise _time_problem(f"events: item {n}: at", item.get("at"))
        detail = item.get("detail") or {}
        if not isinstance(detail, dict):
            raise _bad("event_bad_detail", n=n)
        actor = str(item.get("actor") or "")
        if not _known(config, actor):
            raise _bad("unknown_person", name=f"events: item {n}: actor", given=actor)
        out.append(Event(at, actor, kind, detail))
    return sorted(out, key=itemgetter(0))  # by time


def _time_problem(name: str, value: Any) -> BadRow:
    if value in (None, ""):
        return _bad("missing", name=name)
    return _bad("bad_time", name=name, given=value)


def check(config: TeamConfig, line: int, row: dict[str, Any], scope: str) -> Plan:
    """A row as a ticket to write, or BadRow with the first reason."""
    text = {k: "" if v is None else str(v) for k, v in row.items() if k != EVENTS}
    try:
        fields = validate({k: text.get(k, "") for k in _FIELDS}, config)
    except FieldErrors as exc:
        name, reason = next(iter(exc.errors.items()))
        raise _bad("field", name=name, reason=Md(reason)) from None
    number = None
    if text.get("number"):
        if not text["number"].isdigit() or int(text["number"]) < 1:
            raise _bad("bad_number", given=text["number"])
        number = int(text["number"])
    status = text.get("status") or lifecycle.NEW
    if status not in STATES:
        raise _bad("bad_status", given=status, known=STATES)
    times = {name: _time(config, name, row.get(name), name == "created_at") for name in TIMES}
    created = times["created_at"]
    assert created is not None
    for name, value in times.items():
        if value is not None and value < created:
            raise _bad("before_created", name=name)
    events = _events(config, row.get(EVENTS))
    logged_by = _person(config, "logged_by", text.get("logged_by", "")) or "import"
    ticket: dict[str, Any] = {
        **_DEFAULTS,
        **row_from(fields),  # the intake fields as logging stores them
        "scope": text.get("scope") or scope,
        "number": number or 0,
        "reporter": fields.reporter,
        "logged_by": logged_by,
        "status": status,
        "assignee": _person(config, "assignee", text.get("assignee", "")) or None,
        "root_cause": text.get("root_cause", ""),
        "resolution": text.get("resolution", ""),
        **times,
    }
    ticket["updated_at"] = times["updated_at"] or created
    derive(config, ticket, events or [], times["updated_at"] is None)
    if status in (lifecycle.RESOLVED, lifecycle.CLOSED) and ticket["resolved_at"] is None:
        raise _bad("unresolved", status=status)
    if status == lifecycle.CLOSED and ticket["closed_at"] is None:
        raise _bad("unclosed")
    return Plan(line, ticket, events if events is not None else implied(ticket))


def derive(config: TeamConfig, t: dict[str, Any], events: list[Event], touched: bool) -> None:
    """Fill what the bot maintains and the row left empty, as the use cases would."""

    def first(kinds: tuple[str, ...]) -> dt.datetime | None:
        return next((e.at for e in events if e.kind in kinds), None)

    def last(kind: str) -> dt.datetime | None:
        return next((e.at for e in reversed(events) if e.kind == kind), None)

    if t["first_response_at"] is None:
        actor = Actor(Ref("import", "import", t["logged_by"]), config.person(t["logged_by"]))
        answered = answered_while_logged(config, actor, t["intake"])
        t["first_response_at"] = t["created_at"] if answered else first(ANSWERS)
    t["dispatched_at"] = t["dispatched_at"] or last("dispatch")
    t["root_cause_at"] = t["root_cause_at"] or first(("rca",))
    if t["status"] in (lifecycle.RESOLVED, lifecycle.CLOSED):
        t["resolved_at"] = t["resolved_at"] or last("resolve")
    if t["status"] == lifecycle.CLOSED:
        t["closed_at"] = t["closed_at"] or last("close")
    if touched:  # no updated_at given: the last thing that happened to it
        stamps = [t["created_at"], *(e.at for e in events)]
        stamps += [t[name] for name in TIMES[1:] if t[name] is not None]
        t["updated_at"] = max(stamps)


def implied(t: dict[str, Any]) -> list[Event]:
    """The audit trail a ticket's times imply, for a file without events: logging, dispatch,
    root cause, resolution and closing, by the assignee (or who logged it)."""
    by = t["assignee"] or t["logged_by"]
    found = [
        Event(
            t["created_at"], t["logged_by"], "created", {"summary": t["summary"], "imported": True}
        )
    ]
    for kind in ("dispatch", "rca", "resolve", "close"):
        at = t[_STAMP_OF[kind]]
        if at is not None:
            found.append(Event(at, by, kind, {"imported": True}))
    return sorted(found, key=lambda e: e.at)


class Prepared(NamedTuple):
    """A chunk of rows checked and bound: each a `Ready` as a plain tuple (a named tuple
    unpickles through Python code, a third of the cost of handing a chunk over), or None
    for a bad row (the caller works its reason out again, in the asker's language: bad
    rows are few)."""

    names: tuple[str, ...]  # the ticket columns; () when no row of the chunk is good
    rows: list[tuple[Any, ...] | None]


# (team, default scope, file format, the database's dialect class): what checking a chunk
# needs, pickled with each chunk for a checking process.
_Context = tuple[TeamConfig, str, Format, type[Dialect]]


def _prepare(context: _Context, chunk: list[tuple[int, dict[str, Any] | str]]) -> Prepared:
    """Parse, check and bind a chunk of rows (in a checking process for a big file)."""
    with parallel.without_cycle_collection():
        return _prepared(*context, chunk)


def _prepared(
    config: TeamConfig,
    scope: str,
    fmt: Format,
    dialect_class: type[Dialect],
    chunk: list[tuple[int, dict[str, Any] | str]],
) -> Prepared:
    dialect = _dialect(dialect_class)
    plans: list[Plan | None] = []
    for line, row in chunk:
        if fmt == "jsonl" and isinstance(row, str):
            row = parse_line(row)
        try:
            plans.append(None if isinstance(row, str) else check(config, line, row, scope))
        except BadRow:
            plans.append(None)
    good = [p for p in plans if p is not None]
    names, values = transfer.bind_tickets(dialect, [p.ticket for p in good])
    found = iter(
        zip(good, values, transfer.bind_events(dialect, [p.events for p in good]), strict=True)
    )
    rows: list[tuple[Any, ...] | None] = []
    for plan in plans:
        if plan is None:
            rows.append(None)
            continue
        _, bound, trail = next(found)
        t = plan.ticket
        key = None if t["number"] else (t["created_at"], t["summary"])
        rows.append((plan.line, t["scope"], t["number"], key, bound, trail))
    return Prepared(names, rows)


@cache
def _dialect(dialect_class: type[Dialect]) -> Dialect:
    """A dialect to bind values with: the bind processing of these columns' types needs no
    connection (and no credentials in a checking process)."""
    return dialect_class()


def _reason(
    config: TeamConfig, line: int, row: dict[str, Any] | str, fmt: Format, scope: str
) -> Md:
    """Why a row that `_prepare` refused is bad."""
    if fmt == "jsonl" and isinstance(row, str):
        row = parse_line(row)
    if isinstance(row, str):
        return Md(row)  # already a phrase
    try:
        check(config, line, row, scope)
    except BadRow as exc:
        return exc.args[0]  # type: ignore[no-any-return]  # a phrase (Md): kept unescaped
    raise AssertionError(f"line {line} was refused, and passes when checked again")


def _chunks(
    rows: Iterator[tuple[int, dict[str, Any] | str]],
) -> Iterator[list[tuple[int, dict[str, Any] | str]]]:
    while chunk := list(islice(rows, CHUNK)):
        yield chunk


def import_tickets(desk: Desk, source: TextIO, fmt: Format, scope: str, skip_bad: bool) -> Outcome:
    """One pass: each row is checked, and written in batches inside one transaction while
    no row has been bad (or `skip_bad`); a bad row stops the writing, the rest is still
    checked so every problem is reported, and the transaction is rolled back. So a good
    file is read once and nothing but a few chunks and the numbers seen is held in memory.

    The rows are parsed, checked and bound in chunks; past the first few chunks, in other
    processes (`parallel.in_order`), while this one writes: checking is most of the work,
    and the GIL keeps threads from sharing it."""
    outcome = Outcome()
    numbers: dict[str, dict[int, int]] = {}  # scope -> number -> line, for duplicates
    batch = Batch(outcome)
    ready: list[Ready] = []
    context: _Context = (desk.config, scope, fmt, type(desk.engine.dialect))
    chunks = _chunks(unparsed(source, fmt))
    checked = parallel.in_order(_prepare, context, chunks, LOCAL_CHUNKS)
    with (
        session_scope(desk.engine) as session,
        closing(checked),
        parallel.without_cycle_collection(),
    ):
        for chunk, prepared in checked:
            batch.names = prepared.names or batch.names
            for (line, raw), found in zip(chunk, prepared.rows, strict=True):
                try:
                    if found is None:
                        raise BadRow(_reason(desk.config, line, raw, fmt, scope))
                    row = Ready._make(found)
                    seen = numbers.setdefault(row.scope, {})
                    if row.number and row.number in seen:
                        raise _bad("duplicate_number", number=row.number, other=seen[row.number])
                    if row.number:
                        seen[row.number] = line
                except BadRow as exc:
                    outcome.problems.append(phrase("import.line", line=line, reason=exc.args[0]))
                    continue
                if skip_bad or not outcome.problems:
                    ready.append(row)
                    if len(ready) >= BATCH:
                        batch.write(session, ready)
                        ready = []
        if outcome.problems and not skip_bad:
            session.rollback()
            outcome.added = outcome.unchanged = 0
            return outcome
        batch.write(session, ready)
    outcome.written = True
    return outcome
