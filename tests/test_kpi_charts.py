"""KPI charts: drawn from the same numbers as the table, delivered as a file in the console,
and with Chinese labels that render (no tofu boxes)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from PIL import Image as PILImage

from handlers.kpis import plot
from handlers.kpis.charts import Series
from tests.test_schedule_console import deskbot


def drawn(path: Path) -> dict[str, object]:
    """The series a PNG says it draws (its Description text chunk)."""
    with PILImage.open(path) as png:
        assert png.format == "PNG" and png.size[0] > 600
        return json.loads(png.info["Description"])  # type: ignore[no-any-return]


def test_console_weekly_review_posts_a_chart_file_with_the_tables_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKBOT_CHART_DIR", str(tmp_path / "charts"))
    script = (
        ":time 2026-11-23T09:00\n"
        "/ticket new VPN drops #network p2\n"
        ":time 2026-11-23T09:10\n"
        "/ticket take T-1\n"
        "/ticket resolve T-1 reset the profile\n"
        "/ticket csat T-1 5 quick fix\n"
        ":time 2026-11-25T10:00\n"
        "/ticket new Core switch #network p2\n"
        ":time 2026-11-25T10:20\n"
        "/ticket new Printer #network p3\n"
        ":time 2026-11-27T15:01\n"
    )
    out = deskbot(tmp_path, "console", stdin=script).stdout
    review = out.split("Weekly review (每周回顾) · Fri 27 Nov, 15:00", 1)[1]
    table = re.search(r"Tickets: (\d+) logged, (\d+) resolved", review)
    breaches = re.search(r"- Breaches: (\d+)", review)
    assert table is not None and breaches is not None
    chart = re.search(r"\[post → #desk-managers \(in thread\).*\]:\n  \[chart\] (\S+\.png)", review)
    assert chart is not None, review
    series = drawn(Path(chart.group(1)))
    assert series["days"] == [f"2026-11-{d}" for d in range(23, 28)]
    assert series["logged"] == [1, 0, 2, 0, 0]
    assert sum(series["logged"]) == int(table.group(1)) == 3  # type: ignore[arg-type]
    assert sum(series["resolved"]) == int(table.group(2)) == 1  # type: ignore[arg-type]
    assert sum(series["breaches"]) == int(breaches.group(1))  # type: ignore[arg-type]
    assert series["first_response_target"] == 15.0
    # satisfaction by the day of the resolution it rates, as the table counts it
    assert series["satisfaction"] == [1.0, None, None, None, None]
    assert "User satisfaction: 100 % (1/1)" in review
    assert series["title"] == "Weekly review (每周回顾) · 23 Nov – 27 Nov 2026"


CHINESE = {
    "logged": "登记",
    "resolved": "解决",
    "breaches": "超时",
    "first_response": "首次响应（分钟）",
    "target": "目标",
    "satisfaction": "满意度",
    "day": "日期",
}


def missing_glyphs(words: dict[str, str]) -> list[str]:
    series = Series("每周回顾 运营指标", ["2026-11-23"], [1], [1], [0], [12.0], 15.0, [0.9])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = plot.render(series, words)
    assert png.startswith(b"\x89PNG")
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_chinese_labels_render_with_the_shipped_cjk_font() -> None:
    assert plot._cjk_font_file() is not None  # the font comes with an installed package
    assert missing_glyphs(CHINESE) == []


def test_without_the_cjk_font_chinese_labels_would_be_tofu(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check above can fail: with DejaVu Sans alone, matplotlib reports missing glyphs."""
    figure, canvas, _ = plot._matplotlib()
    monkeypatch.setattr(plot, "_matplotlib", lambda: (figure, canvas, ["DejaVu Sans"]))
    assert missing_glyphs(CHINESE)


def test_kpi_week_chart_in_the_console_answers_the_table_and_posts_the_chart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKBOT_CHART_DIR", str(tmp_path / "charts"))
    script = ":time 2026-11-24T10:00\n/ticket new VPN drops #network p2\n/kpi week chart\n"
    out = deskbot(tmp_path, "console", stdin=script).stdout
    answer = out.split("> /kpi week chart", 1)[1]
    assert "KPIs · this week, Mon 23 Nov to Tue 24 Nov" in answer
    assert "- Tickets: 1 logged, 0 resolved, 0 dispatched to L2" in answer
    chart = re.search(r"\[chart\] (\S+\.png)", answer)
    assert chart is not None, answer
    series = drawn(Path(chart.group(1)))
    assert series["title"] == "KPIs · 23 Nov – 24 Nov 2026"
    assert series["logged"] == [0, 1]


def test_the_console_and_router_start_without_matplotlib() -> None:
    """Charts load matplotlib on first use only: the console's cold start stays short."""
    code = (
        "import sys, bot.console.session, bot.slack.sender, bot.teams.render, handlers.router, "
        "schedules.agendas; print('matplotlib' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
