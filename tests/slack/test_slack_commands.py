"""Slash commands and @mentions through the real server: signed, acked, answered, posted."""

from __future__ import annotations

import time

from storage.models import InboundEvent, OutboxMessage
from tests.slack.conftest import QUEUE, TEAM, SlackServer, blocks_text


async def test_ticket_new_acks_fast_and_posts_the_card_to_the_queue(slack: SlackServer) -> None:
    started = time.monotonic()
    status, body = await slack.command("/ticket", "new VPN down #network")
    assert status == 200
    assert time.monotonic() - started < 3.0
    assert body == ""  # the ack itself; the answer follows via response_url

    card = (await slack.until(lambda: slack.fake.posts(QUEUE), "the card"))[0].params
    text = blocks_text(card["blocks"])
    assert "T-1" in text and "VPN down" in text
    assert [b["type"] for b in card["blocks"]][-1] == "actions"
    buttons = [
        e["action_id"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert {"ticket.take", "ticket.dispatch", "ticket.resolve"} <= set(buttons)
    answer = (await slack.until(slack.fake.responses, "the answer"))[0]
    assert answer["response_type"] == "in_channel" and "T-1" in answer["text"]
    ticket = slack.tickets()[0]
    assert (ticket.scope, ticket.category, ticket.logged_by) == (f"slack:{TEAM}", "network", "lee")


async def test_user_text_is_escaped_so_nobody_is_pinged(slack: SlackServer) -> None:
    # What Slack sends for `<!channel> & <@U0MEI> <b>` typed in a slash command.
    await slack.command("/ticket", "new &lt;!channel&gt; VPN &amp; mail down &lt;@U0MEI&gt;")
    card = (await slack.until(lambda: slack.fake.posts(QUEUE), "the card"))[0].params
    everything = card["text"] + blocks_text(card["blocks"])
    assert "<!channel>" not in everything and "<@U0MEI>" not in everything
    assert "&lt;!channel&gt;" in everything and "&amp; mail" in everything
    assert slack.tickets()[0].summary == "<!channel> VPN & mail down <@U0MEI>"


async def test_bad_input_gets_the_reason_and_usage_only_to_the_asker(slack: SlackServer) -> None:
    status, _ = await slack.command("/ticket", "fly T-1")
    assert status == 200
    answer = (await slack.until(slack.fake.responses, "the answer"))[0]
    assert answer["response_type"] == "ephemeral"
    assert "fly" in answer["text"] and "Usage" in answer["text"]
    assert slack.tickets() == []


async def test_every_command_word_reaches_the_grammar(slack: SlackServer) -> None:
    for command in ("/queue", "/raci", "/roster", "/help", "/kpi", "/huddle"):
        await slack.command(command, "")
    answers = await slack.until(lambda: len(slack.fake.responses()) >= 6 and slack.fake.responses())
    texts = [a["text"] for a in answers]
    assert not any("Unknown command" in t for t in texts), texts


async def test_empty_ticket_new_opens_the_modal(slack: SlackServer) -> None:
    await slack.command("/ticket", "new")
    call = (await slack.until(lambda: slack.fake.of("views.open"), "views.open"))[0].params
    view = call["view"]
    assert call["trigger_id"].startswith("trigger.")
    assert view["type"] == "modal" and view["callback_id"] == "ticket.new"
    fields = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    for name in ("summary", "description", "category", "priority", "intake", "environment"):
        assert name in fields
    reporter = next(b for b in view["blocks"] if b.get("block_id") == "reporter")
    assert reporter["element"]["type"] == "users_select"
    assert slack.fake.responses() == []


async def test_workspaces_never_see_each_others_tickets(slack: SlackServer) -> None:
    await slack.command("/ticket", "new VPN down", team=TEAM)
    await slack.until(slack.tickets, "the first ticket")
    await slack.command("/ticket", "new Printer jam", team="T0OTHER")
    await slack.until(lambda: len(slack.tickets()) == 2, "the second ticket")
    assert sorted((t.scope, t.number) for t in slack.tickets()) == sorted(
        [(f"slack:{TEAM}", 1), ("slack:T0OTHER", 1)]
    )
    await slack.command("/ticket", "show T-1", team="T0OTHER")
    await slack.until(lambda: len(slack.fake.responses()) == 3, "the answer")
    shown = slack.fake.responses()[-1]["text"]
    assert "Printer jam" in shown and "VPN" not in shown


async def test_a_mention_works_like_the_command_and_answers_in_its_thread(
    slack: SlackServer,
) -> None:
    status, _ = await slack.mention("ticket new Wifi flaky #network")
    assert status == 200
    await slack.until(slack.tickets, "the ticket")
    # the answer is queued after the ticket's own commit: wait for it before settling
    await slack.until(
        lambda: [r for r in slack.rows(OutboxMessage) if r.target.get("reply_to")], "the answer"
    )
    await slack.settle()
    ticket = slack.tickets()[0]
    assert ticket.summary == "Wifi flaky" and ticket.category == "network"
    replies = [c for c in slack.fake.posts(QUEUE) if c.params.get("thread_ts")]
    assert replies and replies[0].params["thread_ts"] == "1700000100.000100"
    assert "T-1" in replies[0].params["text"]


async def test_the_bots_own_and_other_bots_messages_are_ignored(slack: SlackServer) -> None:
    bot_post = {"type": "app_mention", "bot_id": "B0OTHER", "text": "<@U0BOT> ticket new x"}
    assert (await slack.event({**bot_post, "channel": QUEUE, "ts": "1.1"}, "Ev7"))[0] == 200
    own = {"type": "app_mention", "user": "U0BOT", "text": "<@U0BOT> ticket new y"}
    assert (await slack.event({**own, "channel": QUEUE, "ts": "1.2"}, "Ev8"))[0] == 200
    assert slack.rows(InboundEvent) == []
    assert slack.tickets() == []


async def test_an_event_delivered_three_times_makes_one_ticket(slack: SlackServer) -> None:
    for retry in ("", "1", "2"):
        headers = {
            "X-Slack-Retry-Num": retry,
            "X-Slack-Retry-Reason": "http_timeout" if retry else "",
        }
        status, _ = await slack.mention("ticket new Disk full", event_id="EvSame", headers=headers)
        assert status == 200
    await slack.until(slack.tickets, "the ticket")
    await slack.settle()
    assert len(slack.tickets()) == 1
    assert len([c for c in slack.fake.posts(QUEUE) if not c.params.get("thread_ts")]) == 1


async def test_a_slack_mention_in_a_command_reaches_the_core_as_the_person(
    slack: SlackServer,
) -> None:
    await slack.command("/ticket", "new DB failover #application")
    await slack.until(slack.tickets, "the ticket")
    await slack.command("/huddle", "T-1 failover <@U0OMAR|omar>")
    answers = await slack.until(lambda: slack.fake.responses()[1:], "the huddle answer")
    assert "T-1" in answers[0]["text"] and "know" not in answers[0]["text"]
