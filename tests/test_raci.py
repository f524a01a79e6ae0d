"""`/raci` and `/roster`: fuzzy look-up in both languages, answered with real people."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from handlers import router
from handlers.chat import language
from handlers.chat.refusals import Refused
from handlers.config.team import TeamConfig
from handlers.desk import Desk
from handlers.raci import lookup as raci
from tests.conftest import PLACE, actor_of
from tests.support import text_of


@pytest.fixture(autouse=True)
def _as_the_sample_speaks(sample: TeamConfig) -> Iterator[None]:
    """Direct calls, as the router would make them for an English reader of the sample."""
    with language.speaking("en", sample.team.both_names):
        yield


@pytest.mark.parametrize(
    ("query", "activity"),
    [
        ("故障", "incident_response"),
        ("incident", "incident_response"),
        ("Incident Response", "incident_response"),
        ("incdent", "incident_response"),  # a typo still finds it
        ("跨团队", "cross_team_coordination"),
        ("cross-team", "cross_team_coordination"),
        ("security", "security_hardening"),
        ("用户满意度", "user_satisfaction"),
        ("complex", "complex_problem_handling"),
    ],
)
def test_finds_one_activity_by_a_partial_word(
    sample: TeamConfig, query: str, activity: str
) -> None:
    assert [a.id for a in raci.find(sample, query)] == [activity]


def test_ambiguous_word_lists_the_candidates(sample: TeamConfig) -> None:
    found = {a.id for a in raci.find(sample, "流程")}
    assert found == {
        "process_design",
        "process_rollout",
        "process_performance",
        "process_compliance_audit",
    }
    reply = raci.lookup(sample, "process")
    assert "Several activities match" in reply.message.fallback


def test_answer_mentions_r_and_a_and_names_c_and_i(sample: TeamConfig) -> None:
    reply = raci.lookup(sample, "incident")
    message = reply.message
    body = text_of(message)
    assert set(message.mentions) == {"carlos", "hana"}  # R change manager, A tech support lead
    assert "Grace Liu" in body  # C: service desk manager, named
    assert "Paul Schmidt" in body and "Nina Sun" in body  # I
    assert "故障响应与处理 (incident response)" not in body  # English reader: English first
    assert "incident response (故障响应与处理)" in body


def test_row_without_r_says_the_a_does_it(sample: TeamConfig) -> None:
    body = text_of(raci.lookup(sample, "服务台日常运营").message)
    assert "nobody (the A does it)" in body


def test_no_argument_lists_every_activity(sample: TeamConfig) -> None:
    body = text_of(raci.lookup(sample, "").message)
    for activity in sample.activities():
        assert activity.name_zh in body


def test_unknown_activity_is_refused(sample: TeamConfig) -> None:
    with pytest.raises(Refused, match="No RACI activity matches"):
        raci.lookup(sample, "astrology")


def test_raci_and_roster_through_the_router(desk: Desk) -> None:
    lee = actor_of(desk.config, "lee")
    assert "Technical support lead" in text_of(
        router.handle_text(desk, lee, PLACE, "/raci 故障").message
    )
    roster = text_of(router.handle_text(desk, lee, PLACE, "/roster l1").message)
    assert "Lee Wang · on duty" in roster and "Ana Costa" in roster
    assert "Raj Patel (network)" in text_of(
        router.handle_text(desk, lee, PLACE, "/roster 二线").message
    )
    bad = router.handle_text(desk, lee, PLACE, "/roster wizard")
    assert not bad.ok and "No role matches" in bad.message.fallback
