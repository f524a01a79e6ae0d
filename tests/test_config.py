"""The team configuration: the sample loads, and check-config finds every problem with its place."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.config import SAMPLE_CONFIG, ConfigError, load_team, read

SEED_ROWS_WITHOUT_R = {
    "服务台日常运营 service desk daily operations",
    "团队绩效管理 team performance management",
    "系统监控与维护 system monitoring and maintenance",
    "安全维护与加固 security hardening",
}


def sample_data() -> dict:
    return yaml.safe_load(SAMPLE_CONFIG.read_text("utf-8"))


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def activity(data: dict, activity_id: str) -> dict:
    return next(a for m in data["raci"] for a in m["activities"] if a["id"] == activity_id)


def test_sample_carries_the_seed_defaults() -> None:
    team = load_team(None)
    assert len(team.roles) == 10
    assert [c.id for c in team.categories] == ["network", "system", "application"]
    assert len(team.activities()) == 17  # 12 from the RACI article, 5 from the handbook
    assert team.time_rules.first_response == 30
    assert team.time_rules.root_cause == 240
    assert [m.id for m in team.meetings] == ["standup", "weekly_review", "monthly_planning"]
    incident = team.activity("incident_response")
    assert incident is not None and incident.roles["tech_support_lead"] == "A"


def test_sample_loads_and_reports_the_seed_rows_without_r() -> None:
    _, config, problems = read(None)
    assert config is not None
    no_r = {p.place.removeprefix("raci > ") for p in problems if p.message == "no R"}
    assert no_r == SEED_ROWS_WITHOUT_R
    assert all(p.severity == "warning" for p in problems)


def test_check_config_on_sample_prints_missing_r_rows_and_succeeds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check-config", str(SAMPLE_CONFIG)]) == 0
    out = capsys.readouterr().out
    assert "raci > 服务台日常运营 service desk daily operations: no R" in out
    assert "0 error(s), 4 warning(s)" in out


def test_strict_makes_warnings_fail(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", "--strict", str(SAMPLE_CONFIG)]) == 1


def test_two_accountable_in_one_row_fails_naming_the_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = sample_data()
    activity(data, "incident_response")["roles"]["service_desk_manager"] = "A"
    assert main(["check-config", str(write(tmp_path, data))]) == 1
    out = capsys.readouterr().out
    assert (
        "raci > 故障响应与处理 incident response: needs exactly one A, has 2 "
        "(service_desk_manager, tech_support_lead)" in out
    )
    assert "error: line " in out  # with its line in the file


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    data = sample_data()
    activity(data, "process_rollout")["roles"]["process_manager"] = "X"
    activity(data, "knowledge_entries")["roles"]["wizard"] = "C"
    data["people"][0]["roles"] = ["team_lead", "overlord"]
    data["people"][1]["specialties"] = ["printers"]
    data["people"].append({"id": "zoe", "name": "Zoe", "slack": "U0LEE", "roles": ["l1"]})
    _, _, problems = read(str(write(tmp_path, data)))
    errors = {f"{p.place}: {p.message}" for p in problems if p.severity == "error"}
    assert errors == {
        "raci > 流程实施与推广 process rollout: process_manager: 'X' is not one of R, A, C, I",
        "raci > 流程实施与推广 process rollout: needs exactly one A, has 0",
        "raci > 知识条目创建与审核 knowledge entries: unknown role 'wizard'",
        "people > mei: unknown role 'overlord'",
        "people > lee: unknown specialty 'printers' (not a category)",
        "people (slack ids): 'U0LEE' appears 2 times",
    }
    with pytest.raises(ConfigError):
        load_team(str(write(tmp_path, data)))


def test_role_nobody_holds_is_a_warning(tmp_path: Path) -> None:
    data = sample_data()
    data["people"] = [p for p in data["people"] if "change_manager" not in p["roles"]]
    _, config, problems = read(str(write(tmp_path, data)))
    assert config is not None
    assert any(p.severity == "warning" and p.place == "roles > change_manager" for p in problems)


def test_shape_errors_name_the_item_by_its_id(tmp_path: Path) -> None:
    data = sample_data()
    data["people"][2]["on_duty"] = "sometimes"
    data["team"]["timezone"] = "Mars/Olympus"
    _, config, problems = read(str(write(tmp_path, data)))
    assert config is None
    places = {p.place for p in problems}
    assert "people > sam > on_duty" in places
    assert "team > timezone" in places


def test_unreadable_and_malformed_files_are_one_line_errors(tmp_path: Path) -> None:
    _, config, problems = read(str(tmp_path / "missing.yaml"))
    assert config is None and "cannot read" in problems[0].message
    bad = tmp_path / "bad.yaml"
    bad.write_text("team: [unclosed\n", "utf-8")
    _, config, problems = read(str(bad))
    assert config is None and problems[0].place.startswith("line ")
    assert main(["check-config", str(bad)]) == 1


def test_grace_minutes_zero_is_valid_and_a_negative_grace_is_an_error_with_its_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = sample_data()
    data.setdefault("schedules", {})["grace_minutes"] = 0  # on-time fires do not depend on it
    _, config, problems = read(str(write(tmp_path, data)))
    assert config is not None and config.schedules.grace_minutes == 0
    assert not [p for p in problems if p.severity == "error"]
    data["schedules"]["grace_minutes"] = -5
    assert main(["check-config", str(write(tmp_path, data))]) == 1
    assert "schedules > grace_minutes" in capsys.readouterr().out


def test_the_quality_settings_name_known_roles(sample) -> None:  # type: ignore[no-untyped-def]
    from handlers.config.rules import check

    bad = sample.model_copy(
        update={
            "quality": sample.quality.model_copy(update={"role": "auditor"}),
            "knowledge": sample.knowledge.model_copy(update={"reviewer": "librarian"}),
        }
    )
    found = [str(p) for p in check(bad)]
    assert "error: quality > role: unknown role 'auditor'" in found
    assert "error: knowledge > reviewer: unknown role 'librarian'" in found


def _edited_sample(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    """The sample file, as written (comments, layout and line numbers kept), with edits."""
    text = SAMPLE_CONFIG.read_text("utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "team.yaml"
    path.write_text(text, "utf-8")
    return path


def _line(path: Path, fragment: str) -> int:
    return next(
        n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if fragment in line
    )


def test_a_schema_error_no_longer_hides_the_other_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _edited_sample(
        tmp_path,
        ('    when: "09:30"', '    when: "25:00"'),
        ("roles: [qa]}", "roles: [qa, astronaut]}"),
        ("first_response_nudge: 20", "first_response_nudge: 40"),
        ("huddle_length: 5", "huddle_length: 1"),
    )
    assert main(["check-config", str(path)]) == 1
    out = capsys.readouterr().out
    when = _line(path, '"25:00"')
    assert f"error: line {when}: meetings > standup > when:" in out and "25:00" in out
    assert f"error: line {_line(path, 'astronaut')}: people > tom: unknown role 'astronaut'" in out
    nudge = _line(path, "first_response_nudge")
    assert f"error: line {nudge}: time_rules > first_response_nudge: 40 min is not before" in out
    warning = _line(path, "huddle_warning_before")
    assert f"error: line {warning}: time_rules > huddle_warning_before:" in out
    assert f"line {_line(path, 'id: service_desk_operations')}: raci > 服务台日常运营" in out
    assert "4 error(s)" in out
    _, config, _ = read(str(path))
    assert config is None  # a file with schema errors is never used


def test_contradicting_time_rules_are_errors(tmp_path: Path) -> None:
    data = sample_data()
    data["time_rules"]["first_response_nudge"] = data["time_rules"]["first_response"]
    with pytest.raises(ConfigError, match="nudge would come after the breach"):
        load_team(str(write(tmp_path, data)))
