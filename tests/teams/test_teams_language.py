"""A Teams activity with `locale: zh-CN`, on the English sample team: the answer in Chinese,
the queue card in English (the team's language)."""

from __future__ import annotations

from tests.teams.conftest import QUEUE, Rig, message
from tests.teams.test_teams_commands import card_of, texts


async def test_zh_cn_activity_is_answered_in_chinese_and_the_card_stays_english(rig: Rig) -> None:
    activity = {**message(rig, "ticket new VPN 断线 #网络 p2 via:电话"), "locale": "zh-CN"}
    status, _ = await rig.post(activity)
    assert status == 200
    (reply,) = rig.connector.posts()
    assert "已登记" in reply.body["text"] and "T-1" in reply.body["text"]

    await rig.deliver()
    (card_post,) = [c for c in rig.connector.posts(QUEUE) if c.body.get("attachments")]
    card = texts(card_of(card_post.body))
    assert "Status: New" in card and "Intake channel: Phone" in card
    assert "状态" not in card

    for words in ("queue", "raci 故障", "kpi 周", "help"):
        await rig.post({**message(rig, words), "locale": "zh-CN"})
    answers = [c.body for c in rig.connector.posts()][-4:]
    said = "\n".join(
        b.get("text", "") + "\n".join(texts(a["content"]) for a in b.get("attachments", []))
        for b in answers
    )
    for chinese in ("未分配队列", "故障响应与处理", "关键绩效指标", "协调服务台"):
        assert chinese in said, said


async def test_an_english_locale_is_answered_in_english(rig: Rig) -> None:
    await rig.post({**message(rig, "queue"), "locale": "en-US"})
    (reply,) = rig.connector.posts()
    assert "Unassigned queue" in reply.body["text"] + str(reply.body.get("attachments"))
