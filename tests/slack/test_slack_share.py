"""Share in channel: a private `/raci` answer posted where the people it names see it."""

from __future__ import annotations

from tests.slack.conftest import QUEUE, SlackServer, blocks_text


async def test_the_share_button_posts_the_answer_with_live_mentions(slack: SlackServer) -> None:
    await slack.command("/raci", "incident")
    [answer] = await slack.until(slack.fake.responses, "the private answer")
    assert answer["response_type"] == "ephemeral"
    buttons = [
        e
        for b in answer["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("action_id") == "share.answer"
    ]
    assert [b["value"] for b in buttons] == ["raci incident"]
    assert slack.fake.posts(QUEUE) == []

    await slack.press("share.answer", "raci incident", user="U0LEE")
    [post] = await slack.until(lambda: slack.fake.posts(QUEUE), "the shared answer")
    text = post.params.get("text", "") + blocks_text(post.params["blocks"])
    assert "<@U0CARLOS>" in text and "<@U0HANA>" in text  # R and A, pinged where they see it
    assert "Shared by Lee Wang" in text
    assert not any(b["type"] == "actions" for b in post.params["blocks"])  # no second button


async def test_raci_share_posts_directly(slack: SlackServer) -> None:
    await slack.command("/raci", "incident share")
    [post] = await slack.until(lambda: slack.fake.posts(QUEUE), "the shared answer")
    assert "<@U0HANA>" in post.params.get("text", "") + blocks_text(post.params["blocks"])
    [confirmation] = await slack.until(slack.fake.responses, "the confirmation")
    assert "Shared in the channel." in confirmation["text"]
