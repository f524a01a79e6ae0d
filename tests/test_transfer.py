"""`deskbot export tickets|kpis` and `deskbot import tickets`: a round trip gives the same
file, a second import changes nothing, bad rows are named by line and stop the import."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from bot.console.printing import plain
from handlers import router
from handlers.desk import Desk, ManualClock
from handlers.kpis import figures as kpis
from handlers.transfer import exporting, importing
from tests.conftest import PLACE, actor_of
from tests.support import snapshot
from tests.test_kpi_two_weeks import SCRIPT, WEEK_2
from tests.test_schedule_console import deskbot
from tests.walk import ScriptWalk, lines, local


def export(desk: Desk, fmt: str = "jsonl", events: bool = True) -> str:
    out = io.StringIO()
    exporting.export_tickets(desk, out, fmt, None, None, events)  # type: ignore[arg-type]
    return out.getvalue()


def load(desk: Desk, data: str, fmt: str = "jsonl", skip_bad: bool = False) -> importing.Outcome:
    outcome = importing.import_tickets(desk, io.StringIO(data), fmt, "console:local", skip_bad)  # type: ignore[arg-type]
    outcome.problems = [plain(desk.config, p) for p in outcome.problems]  # type: ignore[misc]
    return outcome


def empty(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(text(f'DELETE FROM "{table.name}"'))


@pytest.fixture
def history(desk: Desk, clock: ManualClock) -> Desk:
    clock.set(local(desk, "2026-11-16T08:00"))
    ScriptWalk(desk, clock, SCRIPT).until("2026-11-27T17:30")
    return desk


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_import_export_gives_the_same_file_and_the_same_kpis(
    history: Desk, fmt: str
) -> None:
    desk = history
    first = export(desk, fmt)
    assert first.count("\n") == 10 + (fmt == "csv")
    empty(desk.engine)
    outcome = load(desk, first, fmt)
    assert (outcome.added, outcome.unchanged, outcome.problems) == (10, 0, [])
    assert export(desk, fmt) == first
    reply = router.handle_text(desk, actor_of(desk.config, "tom"), PLACE, "/kpi week")
    assert lines(desk, reply.message)[1:9] == WEEK_2  # the KPIs count the imported history
    new = router.handle_text(desk, actor_of(desk.config, "lee"), PLACE, "/ticket new Next one")
    assert "T-11" in new.message.fallback  # numbering goes on after the imported numbers


def test_a_second_import_changes_nothing(history: Desk) -> None:
    data = export(history)
    before = snapshot(history.engine)
    outcome = load(history, data)
    assert (outcome.added, outcome.unchanged) == (0, 10)
    assert snapshot(history.engine) == before


BAD = (
    "scope,number,summary,logged_by,priority,status,created_at,resolved_at,assignee\n"
    "console:local,1,VPN drops,lee,p2,resolved,2026-11-23T09:00,2026-11-23T09:40,sam\n"
    "console:local,2,,lee,p2,new,2026-11-23T10:00,,\n"
    "console:local,3,Printer,lee,p9,new,2026-11-23T10:00,,\n"
    "console:local,4,Mail,lee,p2,new,yesterday,,\n"
    "console:local,5,Disk,nobody,p2,new,2026-11-23T10:00,,\n"
    "console:local,6,Wi-Fi,lee,p2,resolved,2026-11-23T10:00,,\n"
    "console:local,1,Again,lee,p2,new,2026-11-23T10:00,,\n"
    "console:local,8,Fine,lee,p2,new,2026-11-23T11:00,,\n"
)


def refuses_the_bad_rows(desk: Desk) -> None:
    """`BAD` is refused whole, each problem named by its line."""
    before = snapshot(desk.engine)
    outcome = load(desk, BAD, "csv")
    assert not outcome.written and snapshot(desk.engine) == before
    assert [p.split(":", 2)[:2] for p in outcome.problems] == [
        ["line 3", " summary"],
        ["line 4", " priority"],
        ["line 5", " created_at"],
        ["line 6", " logged_by"],
        ["line 7", " status"],
        ["line 8", " number"],
    ]
    assert outcome.problems[5] == "line 8: number: T-1 is also on line 2"


def test_bad_rows_are_named_by_line_and_nothing_is_written(desk: Desk) -> None:
    refuses_the_bad_rows(desk)


def test_skip_bad_imports_the_good_rows(desk: Desk) -> None:
    outcome = load(desk, BAD, "csv", skip_bad=True)
    assert outcome.written and outcome.added == 2 and len(outcome.problems) == 6
    rows = export(desk, "jsonl", events=True).splitlines()
    assert len(rows) == 2


def test_import_computes_what_the_bot_maintains(desk: Desk) -> None:
    data = (
        "number,summary,logged_by,intake,priority,status,created_at,assignee,events\n"
        "1,Phone call,lee,phone,p2,new,2026-11-23T09:00,,\n"
        '2,Chat,lee,chat,p2,resolved,2026-11-23T09:00,sam,"[{""at"": ""2026-11-23T09:12"", '
        '""actor"": ""sam"", ""kind"": ""take"", ""detail"": {}}, {""at"": ""2026-11-23T10:00"", '
        '""actor"": ""sam"", ""kind"": ""resolve"", ""detail"": {""resolution"": ""done""}}]"\n'
    )
    outcome = load(desk, data, "csv")
    assert outcome.added == 2, outcome.problems
    one, two = (
        __import__("json").loads(line) for line in export(desk, "jsonl", events=False).splitlines()
    )
    # an L1 logging a phone call answered it (time_rules.answered_at_logging)
    assert one["first_response_at"] == one["created_at"] == "2026-11-23T01:00:00+00:00"
    # the first take is the first response; the resolve event gives resolved_at
    assert two["first_response_at"] == "2026-11-23T01:12:00+00:00"
    assert two["resolved_at"] == two["updated_at"] == "2026-11-23T02:00:00+00:00"


def test_export_kpis_has_a_row_per_figure_and_period(history: Desk) -> None:
    out = io.StringIO()
    exporting.export_kpis(history, out, "csv", "week", dt.date(2026, 11, 16))
    rows = out.getvalue().splitlines()
    assert rows[0] == "scope,period,start,end,figure,value,shown,target,on_target,hits,total"
    week_2_avg = [r for r in rows if ",avg_first_response," in r][1]
    assert ",15.4,15.0,false,," in week_2_avg  # unrounded value, shown, target, verdict
    first_contact = [r for r in rows if ",first_contact_resolution," in r]
    assert first_contact[0].endswith(",0.75,75.0,0.8,false,3,4")
    assert first_contact[1].endswith(",0.5,50.0,0.8,false,2,4")
    k = kpis.report(
        history, "console:local", kpis.period_window(history.config, "week", history.now())
    )
    assert f",logged,{k.opened},{k.opened}," in [r for r in rows if ",logged," in r][1]


def test_the_command_line_round_trip(tmp_path: Path) -> None:
    made = deskbot(tmp_path, "console", stdin="/ticket new VPN drops #network p2\n")
    assert made.returncode == 0
    exported = deskbot(tmp_path, "export", "tickets", "--events", "--format", "jsonl")
    assert exported.returncode == 0 and exported.stdout.count("\n") == 1
    (tmp_path / "t.jsonl").write_text(exported.stdout, encoding="utf-8")
    again = deskbot(tmp_path, "import", "tickets", "t.jsonl")
    assert again.returncode == 0 and "imported 0 ticket(s), 1 already there" in again.stdout
    figures = deskbot(tmp_path, "export", "kpis", "--period", "month", "--format", "jsonl")
    assert figures.returncode == 0
    logged = [line for line in figures.stdout.splitlines() if '"figure": "logged"' in line]
    assert len(logged) == 1 and '"value": 1' in logged[0]
    (tmp_path / "bad.csv").write_text("summary,created_at\n,2026-11-23T09:00\n", encoding="utf-8")
    bad = deskbot(tmp_path, "import", "tickets", "bad.csv")
    assert bad.returncode == 1 and "line 2: summary:" in bad.stderr


def csv_rows(numbers: range, numbered: bool = True, head: bool = True) -> str:
    header = "number,summary,logged_by,priority,status,created_at\n" if head else ""
    return header + "".join(
        f"{n if numbered else ''},Printer {n},lee,p3,new,2026-11-23T09:{n:02d}\n" for n in numbers
    )


def test_a_big_file_is_written_in_batches_and_a_second_import_changes_nothing(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "BATCH", 3)  # batches of 3: 7 rows make 3 of them
    outcome = load(desk, csv_rows(range(1, 6)) + csv_rows(range(10, 12), False, False), "csv")
    assert (outcome.added, outcome.unchanged, outcome.problems) == (7, 0, [])
    before = snapshot(desk.engine)
    again = load(desk, csv_rows(range(1, 6)) + csv_rows(range(10, 12), False, False), "csv")
    assert (again.added, again.unchanged) == (0, 7)
    assert snapshot(desk.engine) == before
    numbers = [t["number"] for t in before["tickets"]]
    assert numbers == [1, 2, 3, 4, 5, 6, 7] and before["counter"] == [("console:local", 7)]
    reply = router.handle_text(desk, actor_of(desk.config, "lee"), PLACE, "/ticket new Next")
    assert "T-8" in reply.message.fallback


def test_a_bad_row_after_written_batches_still_leaves_nothing_written(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "BATCH", 2)
    before = snapshot(desk.engine)
    data = (
        csv_rows(range(1, 8))
        + "8,,lee,p3,new,2026-11-23T10:00\n"
        + csv_rows(range(9, 12), head=False)
    )
    outcome = load(desk, data, "csv")
    assert not outcome.written and outcome.added == 0
    assert [p.split(":", 2)[:2] for p in outcome.problems] == [["line 9", " summary"]]
    assert snapshot(desk.engine) == before


def test_unnumbered_rows_repeated_in_one_file_are_one_ticket(desk: Desk) -> None:
    twice = csv_rows(range(1, 3), numbered=False) + csv_rows(range(1, 3), False, False)
    outcome = load(desk, twice, "csv")
    assert (outcome.added, outcome.unchanged) == (2, 2)


def test_bad_events_are_named_by_item_and_field(desk: Desk) -> None:
    """Each way an event can be bad gives its own reason, naming the item and field."""

    def row(number: int, events: object) -> str:
        values = {"number": number, "summary": "Printer jams", "created_at": "2026-11-16T09:00Z"}
        return json.dumps({**values, "events": events})

    ok = {"at": "2026-11-16T09:00Z", "actor": "lee", "kind": "created"}
    bad = [
        "[1, 2]",
        [ok, {"at": "yesterday", "actor": "lee", "kind": "take"}],
        [ok, {"actor": "lee", "kind": "take"}],
        [ok, {"at": "2026-11-16T10:00Z", "actor": "nobody", "kind": "take"}],
        [{"at": "2026-11-16T10:00Z", "kind": 3}],
        [ok, {"at": "2026-11-16T10:00Z", "actor": "lee", "kind": "take", "detail": [1]}],
        [ok, "take"],
    ]
    data = "\n".join(row(n, events) for n, events in enumerate(bad, 1)) + "\n"
    outcome = load(desk, data)
    assert not outcome.written
    assert [p.replace("`", "") for p in outcome.problems] == [
        "line 1: events: not a list",
        "line 2: events: item 2: at: yesterday is not an ISO 8601 time",
        "line 3: events: item 2: at: missing",
        "line 4: events: item 2: actor: nobody is not a configured person id",
        "line 5: events: item 1 has no kind",
        "line 6: events: item 2: detail is not an object",
        "line 7: events: item 2 has no kind",
    ]


@pytest.fixture
def spread(monkeypatch: pytest.MonkeyPatch) -> None:
    """A big file's way: rows checked two at a time, all but the first two in checking
    processes."""
    monkeypatch.setattr(importing, "CHUNK", 2)
    monkeypatch.setattr(importing, "LOCAL_CHUNKS", 1)


def test_a_big_file_checked_in_other_processes_imports_the_same(
    history: Desk, spread: None
) -> None:
    desk = history
    first = export(desk, "jsonl")
    empty(desk.engine)
    outcome = load(desk, first + "{not json\n", "jsonl", skip_bad=True)
    assert (outcome.added, outcome.unchanged, len(outcome.problems)) == (10, 0, 1)
    assert outcome.problems[0].startswith("line 11: ")  # named by its line, read elsewhere
    assert (load(desk, first).added, load(desk, first).unchanged) == (0, 10)
    assert export(desk, "jsonl") == first
    empty(desk.engine)
    refuses_the_bad_rows(desk)


def test_unnumbered_rows_checked_in_other_processes_get_numbers_once(
    desk: Desk, spread: None
) -> None:
    data = "summary,logged_by,priority,status,created_at\n" + "".join(
        f"Row {n % 5},lee,p2,new,2026-11-23T09:0{n % 5}\n" for n in range(10)
    )
    outcome = load(desk, data, "csv")
    assert (outcome.added, outcome.unchanged, outcome.problems) == (5, 5, [])
    assert (load(desk, data, "csv").added, load(desk, data, "csv").unchanged) == (0, 10)
    numbers = [json.loads(r)["number"] for r in export(desk, "jsonl").splitlines()]
    assert numbers == [1, 2, 3, 4, 5]
