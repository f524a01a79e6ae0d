"""Buttons, the new-ticket modal and the message shortcut, through signed interactivity posts."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select

from storage.models import TicketEvent
from tests.slack.conftest import QUEUE, TEAM, SlackServer, blocks_text


async def _ticket_with_card(slack: SlackServer, text: str = "new VPN down #network") -> str:
    """Log a ticket; returns the ts of its card in the queue channel."""
    await slack.command("/ticket", text)
    card = await slack.until(lambda: slack.fake.posts(QUEUE), "the card")
    await slack.settle()
    return str(card[0].params.get("ts") or "1700000000.000001")


def _events(slack: SlackServer, kind: str) -> list[TicketEvent]:
    with Session(slack.desk.engine) as session:
        return list(session.exec(select(TicketEvent).where(TicketEvent.kind == kind)))


async def test_take_updates_the_card_in_place(slack: SlackServer) -> None:
    await _ticket_with_card(slack)
    status, body = await slack.press("ticket.take", "T-1", user="U0SAM")
    assert (status, body) == (200, "")
    await slack.until(lambda: _events(slack, "take"), "the take")
    await slack.settle()
    update = slack.fake.of("chat.update")[0].params
    assert update["channel"] == QUEUE and update["ts"] == "1700000000.000001"
    assert "Sam Okafor" in blocks_text(update["blocks"])
    assert len(slack.fake.posts(QUEUE)) == 1  # edited, not posted again
    answer = slack.fake.responses()[-1]
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert slack.tickets()[0].assignee == "sam"


async def test_a_refusal_goes_to_the_presser_only(slack: SlackServer) -> None:
    await _ticket_with_card(slack)
    await slack.press("ticket.take", "T-1", user="U0YUKI")  # the knowledge manager
    answer = (await slack.until(lambda: slack.fake.responses()[1:], "the refusal"))[0]
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert "Only" in answer["text"] and "take" in answer["text"]
    await slack.settle()
    assert slack.fake.of("chat.update") == [] and slack.tickets()[0].assignee is None


async def test_pressing_take_twice_acts_once(slack: SlackServer) -> None:
    await _ticket_with_card(slack)
    await slack.press("ticket.take", "T-1", user="U0SAM")
    await slack.press("ticket.take", "T-1", user="U0SAM")
    answers = await slack.until(lambda: slack.fake.responses()[1:3][1:], "both answers")
    await slack.settle()
    assert len(_events(slack, "take")) == 1
    assert "already yours" in answers[0]["text"]
    assert len(slack.fake.of("chat.update")) == 1


async def test_the_same_interaction_delivered_twice_runs_once(slack: SlackServer) -> None:
    await _ticket_with_card(slack)
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": "U0SAM", "username": "sam", "team_id": TEAM},
        "trigger_id": "trigger.same",
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": QUEUE},
        "channel": {"id": QUEUE},
        "response_url": slack.fake.response_url("same"),
        "actions": [
            {"type": "button", "action_id": "ticket.take", "value": "T-1", "action_ts": "1"}
        ],
    }
    await slack.interact(payload)
    await slack.interact(payload)
    await slack.until(lambda: _events(slack, "take"), "the take")
    await slack.settle()
    assert len(slack.fake.responses()) == 2  # the /ticket answer and one for the press


async def test_dispatch_pings_the_l2_experts_in_the_thread_and_by_dm(slack: SlackServer) -> None:
    card_ts = await _ticket_with_card(slack, "new VPN down #network | tried: reconnected")
    await slack.press("ticket.dispatch", "T-1", user="U0LEE")  # opens the Dispatch modal
    call = await slack.until(lambda: slack.fake.of("views.open"), "the Dispatch modal")
    view = call[0].params["view"]
    initial = {
        b["block_id"]: b["element"].get("initial_value")
        or (b["element"].get("initial_option") or {}).get("value")
        for b in view["blocks"]
        if b["type"] == "input"
    }
    assert initial == {"category": "network", "expert": "pool", "tried": "reconnected"}
    # no category: the error shows beside the field, nothing is dispatched
    status, body = await slack.interact(_submission(view, {"tried": "reconnected"}))
    assert json.loads(body)["response_action"] == "errors"
    assert set(json.loads(body)["errors"]) == {"category"}
    assert _events(slack, "dispatch") == []
    status, body = await slack.interact(
        _submission(view, {"category": "network", "expert": "pool", "tried": "reconnected"})
    )
    assert (status, body) == (200, "")
    await slack.until(lambda: _events(slack, "dispatch"), "the dispatch")
    await slack.settle()
    thread = [c.params for c in slack.fake.posts(QUEUE) if c.params.get("thread_ts") == card_ts]
    assert len(thread) == 1
    text = thread[0]["text"] + blocks_text(thread[0]["blocks"])
    assert "<@U0RAJ>" in text and "<@U0KIM>" in text  # the network L2 experts
    assert "<@U0MEI>" in text  # the A of the dispatch activity
    opened = sorted(c.params["users"] for c in slack.fake.of("conversations.open"))
    assert opened == ["U0KIM", "U0RAJ"]
    dms = {
        c.params["channel"]: c.params for c in slack.fake.posts() if c.params["channel"][0] == "D"
    }
    assert set(dms) == {"DU0KIM", "DU0RAJ"}
    assert "reconnected" in dms["DU0RAJ"]["text"] + blocks_text(dms["DU0RAJ"]["blocks"])
    assert slack.fake.posts("C0L2NET")  # the network L2 channel hears it too


def _submission(
    view: dict[str, Any], values: dict[str, Any], user: str = "U0LEE"
) -> dict[str, Any]:
    state = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        name, element = block["block_id"], block["element"]
        given = values.get(name)
        if element["type"] == "static_select":
            value = {
                "type": "static_select",
                "selected_option": {"value": given} if given else None,
            }
        elif element["type"] == "users_select":
            value = {"type": "users_select", "selected_user": given}
        else:
            value = {"type": "plain_text_input", "value": given}
        state[name] = {element["action_id"]: value}
    return {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "trigger_id": "trigger.submit",
        "view": {**view, "id": "V0MODAL", "hash": "h1", "state": {"values": state}},
    }


async def _opened_modal(slack: SlackServer) -> dict[str, Any]:
    await slack.command("/ticket", "new")
    call = await slack.until(lambda: slack.fake.of("views.open"), "views.open")
    return call[0].params["view"]


async def test_a_modal_without_summary_shows_the_error_inline(slack: SlackServer) -> None:
    view = await _opened_modal(slack)
    status, body = await slack.interact(_submission(view, {"category": "network"}))
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"summary"} and "summary" in answer["errors"]["summary"]
    assert slack.tickets() == []
    # corrected, the same modal goes through
    status, body = await slack.interact(
        _submission(view, {"summary": "Laptop will not boot", "reporter": "U0SAM"})
    )
    assert (status, body) == (200, "")
    ticket = (await slack.until(slack.tickets, "the ticket"))[0]
    assert (ticket.summary, ticket.reporter, ticket.logged_by) == (
        "Laptop will not boot",
        "sam",
        "lee",
    )
    answer = (await slack.until(slack.fake.responses, "the answer"))[0]
    assert "T-1" in answer["text"]


async def test_a_modal_submitted_twice_logs_one_ticket(slack: SlackServer) -> None:
    view = await _opened_modal(slack)
    submission = _submission(view, {"summary": "Printer offline"})
    await slack.interact(submission)
    await slack.interact(submission)
    await slack.until(slack.tickets, "the ticket")
    await slack.settle()
    assert len(slack.tickets()) == 1


async def test_the_message_shortcut_opens_the_form_prefilled(slack: SlackServer) -> None:
    status, _ = await slack.interact(
        {
            "type": "message_action",
            "callback_id": "ticket.from_message",
            "trigger_id": "trigger.shortcut",
            "response_url": slack.fake.response_url("shortcut"),
            "team": {"id": TEAM},
            "channel": {"id": "C0HELP", "name": "help"},
            "user": {"id": "U0LEE", "username": "lee", "team_id": TEAM},
            "message": {
                "type": "message",
                "user": "U0SAM",
                "ts": "1700000200.000200",
                "text": "Outlook asks for my password &lt;3\nsince 9:00, cc <@U0SAM>",
            },
        }
    )
    assert status == 200
    view = (await slack.until(lambda: slack.fake.of("views.open"), "views.open"))[0].params["view"]
    initial = {
        b["block_id"]: b["element"].get("initial_value")
        for b in view["blocks"]
        if b["type"] == "input"
    }
    assert initial["summary"] == "Outlook asks for my password <3"
    assert "since 9:00, cc @sam" in initial["description"]
    reporter = next(b for b in view["blocks"] if b.get("block_id") == "reporter")
    assert reporter["element"].get("initial_user") == "U0SAM"  # the message's author
    assert initial["links"] == "https://example.slack.com/archives/C1/p1700000200000200"
    assert json.loads(view["private_metadata"])["channel"] == "C0HELP"
