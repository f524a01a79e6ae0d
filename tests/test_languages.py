"""Who reads which language: a person's own, the platform's locale, the team's; replies to
the asker, channel posts to the team, DMs to the recipient."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import Engine

from handlers import router
from handlers.chat.model import Actor
from handlers.config.team import TeamConfig
from handlers.desk import Desk, ManualClock
from tests.conftest import PLACE, actor_of
from tests.support import posts, text_of, ticket


def with_people(config: TeamConfig, team: dict[str, object], **languages: str) -> TeamConfig:
    """The sample with team settings and people's languages changed (validated afresh)."""
    data = config.model_dump()
    data["team"].update(team)
    for person in data["people"]:
        person["language"] = languages.get(person["id"], person["language"])
    return TeamConfig.model_validate(data)


def test_dm_goes_in_the_recipients_language_and_the_thread_in_the_teams(
    sample: TeamConfig, engine: Engine, clock: ManualClock
) -> None:
    config = with_people(sample, {"both_names": False}, raj="zh")
    desk = Desk(config=config, engine=engine, clock=clock)
    lee = actor_of(config, "lee")
    router.handle_text(desk, lee, PLACE, "/ticket new Wi-Fi drops #network")
    reply = router.handle_text(desk, lee, PLACE, "/ticket dispatch T-1 rebooted the AP")
    assert reply.message is not None and "Dispatched T-1" in reply.message.fallback

    sent = {(t["kind"], t["name"]): text_of(m) for t, m in posts(engine)}
    assert "T-1 需要你处理" in sent[("person", "raj")]  # raj reads Chinese
    assert "T-1 needs you" in sent[("person", "kim")]  # kim: the team's English
    thread = [text for (kind, name), text in sent.items() if name == "queue" and "L2" in text]
    assert thread and all("dispatched to L2" in text for text in thread)


def test_a_chinese_team_answers_an_english_person_in_english(
    sample: TeamConfig, engine: Engine, clock: ManualClock
) -> None:
    config = with_people(sample, {"language": "zh"}, lee="en")
    desk = Desk(config=config, engine=engine, clock=clock)
    reply = router.handle_text(desk, actor_of(config, "lee"), PLACE, "/ticket new VPN down")
    assert reply.message is not None and reply.message.fallback.startswith("Logged **T-1**")
    (card_target, card), *_ = posts(engine)
    assert card_target["name"] == "queue" and "状态" in text_of(card)


@pytest.mark.parametrize(
    ("follow", "locale", "expected"),
    [
        (True, "zh-CN", "未分配队列"),
        (True, "zh_TW", "未分配队列"),
        (True, "fr-FR", "Unassigned"),
        (False, "zh-CN", "Unassigned"),
    ],
)
def test_the_platform_locale_counts_only_when_the_team_follows_it(
    sample: TeamConfig,
    engine: Engine,
    clock: ManualClock,
    follow: bool,
    locale: str,
    expected: str,
) -> None:
    config = with_people(sample, {"follow_platform_locale": follow})
    desk = Desk(config=config, engine=engine, clock=clock)
    actor: Actor = dataclasses.replace(actor_of(config, "sam"), locale=locale)
    reply = router.handle_text(desk, actor, PLACE, "/queue")
    assert reply.message is not None and expected in text_of(reply.message)


def test_an_unknown_tag_is_an_error_in_either_language(desk: Desk, sample: TeamConfig) -> None:
    lee = actor_of(sample, "lee")
    reply = router.handle_text(desk, lee, PLACE, "/ticket new Printer jam #打印机")
    assert not reply.ok and reply.message is not None
    assert (
        "Unknown category #打印机; known: #network, #system, #application."
        in reply.message.fallback
    )
    assert posts(desk.engine) == []


@pytest.mark.parametrize(
    ("text", "category", "intake"),
    [
        ("VPN #网络 via:电话", "network", "phone"),
        ("VPN #网络类 via:邮件", "network", "email"),
        ("VPN #System via:在线", "system", "online"),
        ("VPN #应用类 via:Chat", "application", "chat"),
    ],
)
def test_categories_and_intakes_by_chinese_names(
    desk: Desk, sample: TeamConfig, text: str, category: str, intake: str
) -> None:
    router.handle_text(desk, actor_of(sample, "lee"), PLACE, f"/ticket new {text}")
    t = ticket(desk.engine, 1)
    assert (t.summary, t.category, t.intake) == ("VPN", category, intake)


@pytest.mark.parametrize(
    ("word", "shown"),
    [("周", "this week"), ("月", "this month"), ("日", "today"), ("本周", "this week")],
)
def test_kpi_periods_in_chinese(desk: Desk, sample: TeamConfig, word: str, shown: str) -> None:
    reply = router.handle_text(desk, actor_of(sample, "lee"), PLACE, f"/kpi {word}")
    assert reply.ok and reply.message is not None and shown in text_of(reply.message)


@pytest.mark.parametrize(
    ("word", "shown"), [("全部", "All open tickets"), ("我的", "Your open tickets")]
)
def test_queue_views_in_chinese(desk: Desk, sample: TeamConfig, word: str, shown: str) -> None:
    reply = router.handle_text(desk, actor_of(sample, "lee"), PLACE, f"/queue {word}")
    assert reply.ok and reply.message is not None and shown in text_of(reply.message)


def test_an_unknown_verb_lists_the_verbs_in_the_askers_language(
    sample: TeamConfig, engine: Engine, clock: ManualClock
) -> None:
    desk = Desk(config=with_people(sample, {"language": "zh"}), engine=engine, clock=clock)
    reply = router.handle_text(desk, actor_of(desk.config, "lee"), PLACE, "/ticket fly T-1")
    assert reply.message is not None
    assert reply.message.fallback.startswith("未知的工单操作 `fly`；可用操作：new、show、take")
    assert "用法：" in reply.message.fallback


def test_a_shared_answer_goes_to_the_channel_in_the_teams_language(
    sample: TeamConfig, engine: Engine, clock: ManualClock
) -> None:
    """A Chinese reader shares `/raci` on an English team: they are told in Chinese, the
    channel reads English (a channel post is the team's)."""
    config = with_people(sample, {"both_names": False}, lee="zh")
    desk = Desk(config=config, engine=engine, clock=clock)
    reply = router.handle_text(desk, actor_of(config, "lee"), PLACE, "/raci incident share")
    assert reply.message is not None and "Shared" not in reply.message.fallback
    [(target, shared)] = posts(engine)
    assert target["kind"] == "conversation"
    body = text_of(shared)
    assert "Responsible: Change manager" in body and "Shared by Lee Wang" in body
    assert "故障响应与处理" not in body
