"""A ticket from an emoji: `reaction_added` events through signed requests."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from storage.models import TicketEvent
from tests.slack.conftest import SlackServer, blocks_text

HELP = "C0HELP"
TS = "1700000300.000300"


def reaction(emoji: str = "ticket", user: str = "U0LEE", ts: str = TS) -> dict[str, Any]:
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": emoji,
        "item_user": "U0SAM",
        "item": {"type": "message", "channel": HELP, "ts": ts},
        "event_ts": "1700000400.000400",
    }


async def test_the_ticket_emoji_logs_one_ticket_and_answers_in_the_thread(
    slack: SlackServer,
) -> None:
    slack.fake.add_message(
        HELP,
        {
            "type": "message",
            "user": "U0ANA",
            "ts": TS,
            "text": "Printer on floor 2 jams &amp; smokes\nsince this morning",
        },
    )
    status, _ = await slack.event(reaction(), event_id="Ev10")
    assert status == 200
    [t] = await slack.until(lambda: slack.tickets(), "the ticket")
    assert t.summary == "Printer on floor 2 jams & smokes"
    assert t.description == "Printer on floor 2 jams & smokes\nsince this morning"
    assert (t.logged_by, t.reporter) == ("lee", "ana")
    assert t.links == [f"https://example.slack.com/archives/C1/p{TS.replace('.', '')}"]
    reply = await slack.until(
        lambda: [c for c in slack.fake.posts(HELP) if c.params.get("thread_ts") == TS],
        "the thread reply",
    )
    assert "Logged *T-1* from this message" in (
        reply[0].params.get("text", "") + blocks_text(reply[0].params.get("blocks", []))
    )
    # the same emoji again (another person, another event): still one ticket
    await slack.event(reaction(user="U0SAM"), event_id="Ev11")
    await slack.event(reaction(), event_id="Ev10")  # and a redelivery
    await slack.settle()
    assert len(slack.tickets()) == 1
    with Session(slack.desk.engine) as session:
        assert len(list(session.exec(select(TicketEvent)))) == 1


async def test_other_emoji_and_the_bots_own_reactions_do_nothing(slack: SlackServer) -> None:
    slack.fake.add_message(HELP, {"type": "message", "user": "U0ANA", "ts": TS, "text": "hi"})
    await slack.event(reaction("thumbsup"), event_id="Ev20")
    await slack.event(reaction(user="U0BOT"), event_id="Ev21")
    await slack.settle()
    assert slack.tickets() == []
    assert slack.fake.of("conversations.replies") == []
