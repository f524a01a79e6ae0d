"""The escalation and on-call configuration: defaults, per-priority targets, checks."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from handlers.config.escalation import pick
from handlers.config.rules import check
from handlers.config.team import TeamConfig


def build(sample: TeamConfig, **changes: Any) -> TeamConfig:
    data = sample.model_dump()
    data.update(changes)
    return TeamConfig.model_validate(data)


def test_defaults_keep_the_seed_stages_and_add_the_urgent_ones(sample: TeamConfig) -> None:
    p3 = pick(sample.policies, "first_response", "p3", "system")
    assert p3 is not None and p3.repeat is None
    assert [(level.id, level.after) for level in p3.levels] == [("nudge", -10), ("breach", 0)]
    p1 = pick(sample.policies, "first_response", "p1", "system")
    assert p1 is not None and p1.repeat is not None and p1.repeat.every == 15
    breach = p1.levels[1]
    assert "role:team_lead" in breach.notify[0].who
    page = breach.notify[1]
    assert (page.who, page.via, page.hours) == (("oncall:l2",), "dm", "off")


def test_per_priority_targets_fall_back_to_the_team_figures(sample: TeamConfig) -> None:
    rules = sample.time_rules
    assert rules.target("p1", "first_response") == 15  # the sample's shorter P1
    assert rules.target("p1", "common_problem_resolution") == 120
    assert rules.target("p4", "first_response") == 30
    assert rules.target("p4", "root_cause") == 240


def test_check_config_names_every_bad_reference(sample: TeamConfig) -> None:
    policy = {
        "clock": "first_response",
        "categories": ["printers"],
        "levels": [
            {"id": "nudge", "after": -5, "notify": [{"who": ["role:wizard", "person:zed"]}]},
            {"id": "nudge", "after": 0, "notify": [{"who": ["raci:nothing:A"]}]},
        ],
    }
    rota = {"id": "l1", "role": "l1", "members": ["lee", "dana", "zed"]}
    config = build(sample, escalation={"policies": [policy]}, oncall={"rotas": [rota, {**rota}]})
    found = [str(p) for p in check(config)]
    for message in (
        "unknown category 'printers'",
        "level 'nudge' appears 2 times",
        "role:wizard: unknown role 'wizard'",
        "person:zed: unknown person 'zed'",
        "raci:nothing:A: no RACI activity or purpose 'nothing'",
        "oncall > rotas: 'l1' appears 2 times",
        "dana does not hold the role 'l1'",
        "unknown person 'zed'",
    ):
        assert any(message in f for f in found), (message, found)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            {
                "escalation": {
                    "policies": [
                        {
                            "clock": "first_response",
                            "levels": [{"id": "x", "after": 0, "notify": [{"who": ["everyone"]}]}],
                        }
                    ]
                }
            },
            "'everyone' is not one of owner",
        ),
        (
            {
                "oncall": {
                    "rotas": [
                        {
                            "id": "a",
                            "role": "l1",
                            "members": ["lee"],
                            "every": "weekly",
                            "handoff": "09:00",
                        }
                    ]
                }
            },
            "a weekly hand-off is one weekday and a time",
        ),
        (
            {"oncall": {"rotas": [{"id": "a", "role": "l1", "members": ["lee"], "at_once": 2}]}},
            "at_once is 2 but the rota has 1 members",
        ),
    ],
)
def test_malformed_policies_and_rotas_are_refused(
    sample: TeamConfig, changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ValidationError, match=reason):
        build(sample, **changes)
