"""The file format of `deskbot export tickets` and `deskbot import tickets`: one row per
ticket, the same columns in CSV and JSON lines, times in ISO 8601 UTC, and the ticket's
events (the audit trail) as a JSON list when asked for."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any, Literal, TextIO

from handlers.chat.texts import phrase
from storage.models import Ticket, TicketEvent

Format = Literal["csv", "jsonl"]
TIMES = (
    "created_at",
    "first_response_at",
    "updated_at",
    "dispatched_at",
    "root_cause_at",
    "resolved_at",
    "closed_at",
)
TEXTS = (
    "summary",
    "description",
    "reporter",
    "logged_by",
    "intake",
    "category",
    "priority",
    "environment",
    "links",
    "tried",
    "status",
    "assignee",
    "root_cause",
    "resolution",
)
COLUMNS = ("scope", "number", *TEXTS, *TIMES)
EVENTS = "events"


def when(value: dt.datetime | None) -> str:
    return "" if value is None else value.astimezone(dt.UTC).isoformat()


def row_of(ticket: Ticket, events: list[TicketEvent] | None) -> dict[str, Any]:
    """A ticket as a row; `events`: its audit trail too (None: left out)."""
    row: dict[str, Any] = {"scope": ticket.scope, "number": ticket.number}
    for name in TEXTS:
        value = getattr(ticket, name)
        row[name] = " ".join(value) if name == "links" else value or ""
    for name in TIMES:
        row[name] = when(getattr(ticket, name))
    if events is not None:
        row[EVENTS] = [
            {"at": when(e.at), "actor": e.actor, "kind": e.kind, "detail": e.detail} for e in events
        ]
    return row


class Writer:
    """Writes rows as they come, so an export of a million tickets holds one batch at most."""

    def __init__(self, out: TextIO, fmt: Format, events: bool) -> None:
        self.out, self.fmt = out, fmt
        self.columns = [*COLUMNS, *([EVENTS] if events else [])]
        self._csv = csv.DictWriter(out, self.columns, lineterminator="\n") if fmt == "csv" else None
        if self._csv is not None:
            self._csv.writeheader()

    def write(self, row: dict[str, Any]) -> None:
        if self._csv is None:
            self.out.write(json.dumps(row, ensure_ascii=False) + "\n")
            return
        if EVENTS in row:
            row = {**row, EVENTS: json.dumps(row[EVENTS], ensure_ascii=False)}
        self._csv.writerow(row)


def read(source: TextIO, fmt: Format) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, row) for each row of a file; a row that cannot be read at all comes as
    its reason instead (bad JSON, a CSV row with the wrong number of fields)."""
    for number, row in unparsed(source, fmt):
        yield number, parse_line(row) if fmt == "jsonl" and isinstance(row, str) else row


def parse_line(text: str) -> dict[str, Any] | str:
    """A JSON line's row, or the reason it is none."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return phrase("import.not_json", reason=exc.msg)
    return value if isinstance(value, dict) else phrase("import.not_object")


def unparsed(source: TextIO, fmt: Format) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """What `read` gives, but a JSON line comes as its text, for `parse_line` (a big import
    parses its lines in other processes); a CSV row comes read, or as its reason."""
    if fmt == "jsonl":
        for number, line in enumerate(source, 1):
            if line.strip():
                yield number, line
        return
    reader = csv.reader(source)
    header = next(reader, None)
    if header is None:
        return
    start = reader.line_num + 1
    for fields in reader:
        if len(fields) != len(header):
            yield start, phrase("import.field_count", got=len(fields), want=len(header))
        else:
            row: dict[str, Any] = dict(zip(header, fields, strict=True))
            if row.get(EVENTS):
                try:
                    row[EVENTS] = json.loads(row[EVENTS])
                except json.JSONDecodeError as exc:
                    yield start, phrase("import.events_not_json", reason=exc.msg)
                    start = reader.line_num + 1
                    continue
            yield start, row
        start = reader.line_num + 1


def guess_format(name: str) -> Format:
    return "jsonl" if name.endswith((".jsonl", ".json", ".ndjson")) else "csv"


def text_of(rows: Iterable[dict[str, Any]], fmt: Format, events: bool) -> str:
    """Rows as file text (tests, small exports)."""
    out = io.StringIO()
    writer = Writer(out, fmt, events)
    for row in rows:
        writer.write(row)
    return out.getvalue()
