"""Knowledge entries: submitted → reviewed → published, search in English and Chinese on
every backend, suggestions on new tickets, reuse, and the 24-h review clock."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from handlers import router
from handlers.desk import Desk, ManualClock
from schedules.quality_timers import KNOWLEDGE_REVIEW
from storage.db import session_scope
from storage.knowledge import KnowledgeEntry
from tests.conftest import PLACE, actor_of
from tests.support import events, posts, snapshot, text_of

VPN = (
    "/kb new VPN client reset | problem: VPN drops every hour | steps: checked the tunnel log"
    " | solution: reset the VPN client profile | prevention: push the new profile"
    " | system: oa | type: login"
)
NETWORK_ZH = (
    "/kb new 办公室网络连接断开 | problem: 三楼无线网络经常断开 | solution: 更换交换机端口"
    " | type: fault"
)
MAIL = "/kb new Mailbox full | problem: mail bounces | solution: archive old mail | system: email"


def say(desk: Desk, who: str, text: str):
    return router.handle_text(desk, actor_of(desk.config, who), PLACE, text)


def search(desk: Desk, words: str) -> str:
    return text_of(say(desk, "lee", f"/kb search {words}").message)


def publish(desk: Desk, command: str, number: int) -> None:
    assert say(desk, "raj", command).ok
    assert say(desk, "yuki", f"/kb approve KB-{number}").ok


def test_an_entry_goes_submitted_reviewed_published(desk: Desk) -> None:
    reply = say(desk, "raj", VPN)
    assert reply.ok and "Submitted **KB-1**" in reply.message.fallback
    [(target, request)] = posts(desk.engine)
    assert (target["kind"], target["name"]) == ("person", "yuki")
    assert [b.action_id for b in request.buttons] == ["kb.approve", "kb.return"]
    body = text_of(request)
    for words in ("VPN drops every hour", "checked the tunnel log", "push the new profile"):
        assert words in body
    assert "OA" in body and "登录异常" in body
    # not found before it is published
    assert "No published entry" in search(desk, "vpn")
    before = snapshot(desk.engine)
    assert not say(desk, "lee", "/kb approve KB-1").ok  # only the knowledge manager
    assert snapshot(desk.engine) == before
    pressed = router.handle_action(desk, actor_of(desk.config, "yuki"), PLACE, "kb.approve", "KB-1")
    assert pressed.ok and "Published KB-1" in pressed.message.fallback
    told = posts(desk.engine)[-1]
    assert told[0]["name"] == "raj" and "approved by Yuki Tanaka" in text_of(told[1])
    assert not say(desk, "yuki", "/kb approve KB-1").ok  # once
    assert "KB-1" in search(desk, "vpn")


def test_returning_needs_a_comment_and_reaches_the_author(desk: Desk) -> None:
    say(desk, "raj", MAIL)
    bad = say(desk, "yuki", "/kb return KB-1")
    assert not bad.ok and "needs a comment" in bad.message.fallback
    press = router.handle_action(desk, actor_of(desk.config, "yuki"), PLACE, "kb.return", "KB-1")
    assert "/kb return KB-<n> COMMENT" in press.message.fallback
    assert say(desk, "yuki", "/kb return KB-1 add the archive steps").ok
    target, message = posts(desk.engine)[-1]
    assert target["name"] == "raj" and "add the archive steps" in text_of(message)
    assert "returned" in say(desk, "lee", "/kb KB-1").message.blocks[1].text


def test_bad_entries_change_nothing(desk: Desk) -> None:
    before = snapshot(desk.engine)
    for text, reason in (
        ("/kb new VPN reset | solution: reset", "problem description"),
        ("/kb new VPN reset | problem: x | solution: y | system: sap", "Unknown classification"),
        ("/kb new VPN reset | colour: blue", "I don't know the field"),
        ("/kb frob", "Unknown knowledge action"),
        ("/kb search", "Search for what"),
    ):
        reply = say(desk, "raj", text)
        assert not reply.ok and reason in reply.message.fallback, text
    assert snapshot(desk.engine) == before
    with session_scope(desk.engine) as session:
        assert session.exec(select(KnowledgeEntry)).all() == []


def test_search_in_english_and_chinese_ranked(desk: Desk) -> None:
    publish(desk, VPN, 1)
    publish(desk, NETWORK_ZH, 2)
    publish(desk, MAIL, 3)
    zh = search(desk, "网络")
    assert "KB-2" in zh and "KB-1" not in zh and "KB-3" not in zh
    en = search(desk, "vpn")
    assert "KB-1" in en and "KB-2" not in en
    # a longer Chinese phrase is segmented into words too
    assert "KB-2" in search(desk, "无线网络断开了")
    # ranked: the entry matching more words comes first
    both = search(desk, "mail bounces archive vpn")
    assert both.index("KB-3") < both.index("KB-1")


def test_a_new_ticket_shows_matching_entries_and_a_resolution_records_reuse(
    desk: Desk,
) -> None:
    publish(desk, VPN, 1)
    say(desk, "lee", "/ticket new VPN drops every hour #network")
    card = [m for t, m in posts(desk.engine) if t["name"] == "queue"][-1]
    assert "Might help: KB-1 VPN client reset" in text_of(card)
    say(desk, "lee", "/ticket take T-1")
    before = snapshot(desk.engine)
    assert not say(desk, "lee", "/ticket resolve T-1 KB-9 did it").ok
    assert snapshot(desk.engine) == before
    assert say(desk, "lee", "/ticket resolve T-1 KB-1 reset the profile").ok
    assert events(desk.engine, 1)[-1].detail["knowledge"] == 1


def test_the_form_prefilled_from_a_ticket(desk: Desk) -> None:
    say(desk, "lee", "/ticket new VPN drops | desc: every hour | tried: reconnect")
    say(desk, "lee", "/ticket take T-1")
    say(desk, "lee", "/ticket resolve T-1 reset the client")
    form = say(desk, "raj", "/kb new T-1").form
    assert form is not None
    initial = {f.name: f.initial for f in form.fields}
    assert initial["title"] == "VPN drops" and initial["solution"] == "reset the client"
    assert "reconnect" in initial["steps"] and initial["ticket"] == "T-1"
    reply = router.handle_form(
        desk, actor_of(desk.config, "raj"), PLACE, "kb.new", {**initial, "problem": ""}
    )
    assert not reply.ok and "problem" in reply.form_errors
    reply = router.handle_form(
        desk, actor_of(desk.config, "raj"), PLACE, "kb.new", {**initial, "system": "erp"}
    )
    assert reply.ok and "KB-1" in reply.message.fallback
    assert "From T-1" in say(desk, "lee", "/kb KB-1").message.blocks[1].text


def test_the_review_clock_nudges_then_escalates_once_each(desk: Desk, clock: ManualClock) -> None:
    say(desk, "raj", VPN)
    start = desk.now()
    nudge = KNOWLEDGE_REVIEW.next_due(desk, start)
    assert nudge == start + dt.timedelta(hours=20)
    clock.set(nudge)
    assert KNOWLEDGE_REVIEW.fire_due(desk, nudge) == 1
    assert KNOWLEDGE_REVIEW.fire_due(desk, nudge) == 0
    target, message = posts(desk.engine)[-1]
    assert target["name"] == "yuki" and message.mentions == ["yuki"]
    deadline = KNOWLEDGE_REVIEW.next_due(desk, nudge)
    assert deadline == start + dt.timedelta(hours=24)
    clock.set(deadline)
    assert KNOWLEDGE_REVIEW.fire_due(desk, deadline) == 1
    target, message = posts(desk.engine)[-1]
    assert target["name"] == "managers" and set(message.mentions) == {"yuki", "mei"}
    assert KNOWLEDGE_REVIEW.fire_due(desk, deadline + dt.timedelta(hours=1)) == 0


def test_a_review_in_time_stops_the_clock(desk: Desk, clock: ManualClock) -> None:
    say(desk, "raj", VPN)
    say(desk, "yuki", "/kb approve KB-1")
    assert KNOWLEDGE_REVIEW.next_due(desk, desk.now()) is None
