"""A Slack user whose locale is zh-CN, on the English sample team: answers in Chinese, the
queue channel in English (the team's language)."""

from __future__ import annotations

from tests.slack.conftest import QUEUE, SlackServer, blocks_text


async def test_a_chinese_users_answers_are_chinese_and_the_channel_stays_english(
    slack: SlackServer,
) -> None:
    slack.fake.locales["U0LEE"] = "zh-CN"
    await slack.command("/ticket", "new VPN 断线 #网络 p2 via:电话")
    answer = (await slack.until(slack.fake.responses, "the answer"))[0]
    assert answer["text"].startswith("已登记 *T-1*：VPN 断线"), answer["text"]

    card = (await slack.until(lambda: slack.fake.posts(QUEUE), "the card"))[0].params
    text = blocks_text(card["blocks"])
    assert "Status" in text and "New" in text and "Phone" in text  # the team's language
    assert "状态" not in text
    ticket = slack.tickets()[0]
    assert (ticket.category, ticket.intake, ticket.priority) == ("network", "phone", "p2")

    for command, text in (("/queue", ""), ("/raci", "故障"), ("/kpi", "周"), ("/help", "")):
        await slack.command(command, text)
    answers = await slack.until(lambda: len(slack.fake.responses()) >= 5 and slack.fake.responses())
    said = "\n".join(a["text"] + blocks_text(a.get("blocks", [])) for a in answers[1:])
    for chinese in ("未分配队列", "故障响应与处理", "执行", "关键绩效指标* · 本周", "协调服务台"):
        assert chinese in said, said
    assert "Unassigned" not in said and "Responsible" not in said

    looked_up = slack.fake.of("users.info")
    assert [c.params["user"] for c in looked_up] == ["U0LEE"]  # once, then remembered
    assert str(looked_up[0].params["include_locale"]).lower() in ("true", "1")


async def test_an_english_locale_or_a_configured_language_gets_english(
    slack: SlackServer,
) -> None:
    slack.fake.locales["U0SAM"] = "en-GB"
    await slack.command("/queue", "", user="U0SAM")
    answer = (await slack.until(slack.fake.responses, "the answer"))[0]
    assert "Unassigned queue" in answer["text"] + blocks_text(answer.get("blocks", []))
