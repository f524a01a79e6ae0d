"""Ticket use cases through the router, on every database backend."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers import router
from handlers.chat.model import Actor, Place, Ref, mention_token
from handlers.desk import Desk, ManualClock
from tests.conftest import PLACE, actor_of
from tests.support import events, posts, snapshot, text_of, ticket


def say(desk: Desk, who: str, text: str, place: Place = PLACE):
    return router.handle_text(desk, actor_of(desk.config, who), place, text)


def log_vpn(desk: Desk, who: str = "lee") -> None:
    reply = say(desk, who, "/ticket new VPN down #network p2 via:phone | env: Win 11")
    assert reply.ok, reply


def test_logging_numbers_tickets_and_posts_the_card(desk: Desk) -> None:
    first = say(desk, "lee", "/ticket new VPN down #network p2 via:phone")
    second = say(desk, "sam", "/ticket new Printer jam")
    assert first.ok and second.ok
    assert "T-1" in first.message.fallback and "T-2" in second.message.fallback
    t = ticket(desk.engine, 1)
    assert (t.summary, t.category, t.priority, t.intake, t.status) == (
        "VPN down",
        "network",
        "p2",
        "phone",
        "new",
    )
    assert t.logged_by == "lee" and t.reporter == "lee"
    assert t.created_at == desk.now()
    target, card = posts(desk.engine)[0]
    assert (target["kind"], target["name"], target["thread"], target["replace"]) == (
        "channel",
        "queue",
        None,
        None,
    )
    assert "T-1 · VPN down" in text_of(card)
    assert [b.action_id for b in card.buttons] == [
        "ticket.take",
        "ticket.dispatch",
        "ticket.resolve",
        "huddle.start",
    ]
    # the on-duty L1 who did not log it is pinged; the logger is not
    assert card.mentions == ["sam"]
    assert [e.kind for e in events(desk.engine, 1)] == ["created"]


def test_a_phone_call_logged_by_l1_is_answered_at_logging(desk: Desk) -> None:
    say(desk, "lee", "/ticket new VPN down via:phone")
    say(desk, "lee", "/ticket new VPN down via:email")
    stranger = Actor(Ref("console", "local", "visitor"), None, "A Visitor")
    router.handle_text(desk, stranger, PLACE, "/ticket new Badge reader via:phone")
    answered = [ticket(desk.engine, n).first_response_at for n in (1, 2, 3)]
    assert answered == [desk.now(), None, None]


def test_missing_key_fields_are_flagged_on_the_card(desk: Desk) -> None:
    say(desk, "lee", "/ticket new Printer jam")
    _, card = posts(desk.engine)[0]
    assert "Missing key fields: Description, User environment" in text_of(card)


def test_full_life_with_audit_trail(desk: Desk, clock: ManualClock) -> None:
    assert say(desk, "lee", "/ticket new VPN down #network p2 via:email | env: Win 11").ok
    clock.advance(dt.timedelta(minutes=5))
    assert say(desk, "lee", "/ticket take T-1").ok
    t = ticket(desk.engine, 1)
    assert (t.status, t.assignee) == ("in_progress", "lee")
    assert t.first_response_at == t.created_at + dt.timedelta(minutes=5)
    clock.advance(dt.timedelta(minutes=10))
    assert say(desk, "lee", "/ticket dispatch T-1 reconnected, reinstalled client").ok
    t = ticket(desk.engine, 1)
    assert t.status == "dispatched" and t.dispatched_at == desk.now()
    assert t.tried == "reconnected, reinstalled client"
    assert say(desk, "raj", "/ticket take T-1").ok
    assert say(desk, "raj", "/ticket note T-1 concentrator cert expired").ok
    assert say(desk, "raj", "/ticket resolve T-1 renewed the certificate").ok
    t = ticket(desk.engine, 1)
    assert (t.status, t.assignee, t.resolution) == ("resolved", "raj", "renewed the certificate")
    assert say(desk, "raj", "/ticket close T-1").ok
    assert say(desk, "lee", "/ticket reopen T-1 user says it is back").ok
    t = ticket(desk.engine, 1)
    assert (t.status, t.resolved_at, t.closed_at) == ("in_progress", None, None)
    trail = [(e.kind, e.actor) for e in events(desk.engine, 1)]
    assert trail == [
        ("created", "lee"),
        ("take", "lee"),
        ("dispatch", "lee"),
        ("take", "raj"),
        ("note", "raj"),
        ("resolve", "raj"),
        ("close", "raj"),
        ("reopen", "lee"),
    ]
    assert events(desk.engine, 1)[4].detail["text"] == "concentrator cert expired"
    shown = say(desk, "ana", "/ticket show T-1")
    body = text_of(shown.message)
    assert "Resolution:" not in body  # reopened: the old resolution is history
    assert "resolved by Raj Patel: renewed the certificate" in body
    assert "taken by Raj Patel" in body and "concentrator cert expired" in body


def test_dispatch_pings_the_category_experts_and_tags_the_raci(desk: Desk) -> None:
    log_vpn(desk)
    before = len(posts(desk.engine))
    reply = say(desk, "lee", "/ticket dispatch T-1 rebooted the router")
    assert reply.ok and "Raj Patel, Kim Park" in reply.message.fallback
    new = posts(desk.engine)[before:]
    targets = [
        (t["kind"], t["name"], t["thread"] is not None, t["replace"] is not None) for t, _ in new
    ]
    assert ("channel", "queue", False, True) in targets  # the card edited in place
    assert ("channel", "queue", True, False) in targets  # the thread reply
    assert ("channel", "l2:network", False, False) in targets  # the network L2 channel
    dms = {t["name"] for t, _ in new if t["kind"] == "person"}
    assert dms == {"raj", "kim"}
    thread = next(m for t, m in new if t["thread"])
    # L2 experts and R/A pinged; C (knowledge manager) and I (QA) listed without a ping
    assert {"raj", "kim", "mei", "sam"} <= set(thread.mentions)
    assert "lee" not in thread.mentions  # the dispatcher
    assert "yuki" not in thread.mentions and "tom" not in thread.mentions
    body = text_of(thread)
    assert "Yuki Tanaka" in body and "Tom Berg" in body
    assert "rebooted the router" in body
    dm = next(m for t, m in new if t["kind"] == "person")
    assert "rebooted the router" in text_of(dm) and "Win 11" in text_of(dm)


def test_dispatch_needs_a_category_and_an_expert(desk: Desk) -> None:
    say(desk, "lee", "/ticket new Something odd")
    before = snapshot(desk.engine)
    reply = say(desk, "lee", "/ticket dispatch T-1")
    assert not reply.ok and "has no category" in reply.message.fallback
    assert snapshot(desk.engine) == before
    assert say(desk, "lee", "/ticket dispatch T-1 #system tried a restart").ok
    assert ticket(desk.engine, 1).category == "system"


ILLEGAL = [
    # (setup commands, illegal command, words in the reason)
    (
        [],
        "/ticket resolve T-1 done",
        "is new: `resolve` works only on a ticket that is in progress or dispatched",
    ),
    ([], "/ticket close T-1", "is new: `close` works only on a ticket that is resolved"),
    ([], "/ticket reopen T-1", "is new: `reopen` works only"),
    (["/ticket take T-1"], "/ticket close T-1", "is in progress: `close`"),
    (
        ["/ticket take T-1", "/ticket dispatch T-1"],
        "/ticket dispatch T-1",
        "is dispatched: `dispatch`",
    ),
    (["/ticket take T-1", "/ticket resolve T-1 ok"], "/ticket take T-1", "is resolved: `take`"),
    (["/ticket take T-1", "/ticket resolve T-1 ok"], "/ticket note T-1 hi", "is resolved: `note`"),
    (
        ["/ticket take T-1", "/ticket resolve T-1 ok"],
        "/ticket dispatch T-1",
        "is resolved: `dispatch`",
    ),
    (
        ["/ticket take T-1", "/ticket resolve T-1 ok", "/ticket close T-1"],
        "/ticket resolve T-1 x",
        "is closed: `resolve`",
    ),
    (
        ["/ticket take T-1", "/ticket resolve T-1 ok", "/ticket close T-1"],
        "/ticket close T-1",
        "is closed: `close`",
    ),
    (["/ticket take T-1"], "/ticket take T-1", "already yours"),
]


@pytest.mark.parametrize(("setup", "command", "reason"), ILLEGAL)
def test_illegal_moves_are_refused_and_write_nothing(
    desk: Desk, setup: list[str], command: str, reason: str
) -> None:
    log_vpn(desk)
    for line in setup:
        assert say(desk, "lee", line).ok, line
    before = snapshot(desk.engine)
    reply = say(desk, "lee", command)
    assert not reply.ok and reply.ephemeral
    assert reason in reply.message.fallback
    assert snapshot(desk.engine) == before


@pytest.mark.parametrize(
    ("who", "command", "reason"),
    [
        (
            "grace",
            "/ticket take T-1",
            "Only L1 support engineer (一线支持工程师) or L2 technical expert (二线技术专家) or "
            "Team lead (团队负责人) may take T-1",
        ),
        ("nina", "/ticket dispatch T-1", "may dispatch T-1"),
        (
            "sam",
            "/ticket resolve T-1 done",
            "Only the assignee (Lee Wang) or Team lead (团队负责人) may resolve T-1",
        ),
        ("raj", "/ticket close T-1", "may close T-1"),
    ],
)
def test_permission_refusals_say_who_may(desk: Desk, who: str, command: str, reason: str) -> None:
    log_vpn(desk)
    assert say(desk, "lee", "/ticket take T-1").ok
    if "close" in command:
        assert say(desk, "lee", "/ticket resolve T-1 fixed").ok
    before = snapshot(desk.engine)
    reply = say(desk, who, command)
    assert not reply.ok
    assert reason in reply.message.fallback
    assert snapshot(desk.engine) == before


def test_team_lead_may_resolve_someone_elses_ticket(desk: Desk) -> None:
    log_vpn(desk)
    say(desk, "lee", "/ticket take T-1")
    assert say(desk, "mei", "/ticket resolve T-1 handled by phone").ok


def test_anyone_may_log_even_someone_not_in_the_roster(desk: Desk) -> None:
    stranger = Actor(Ref("console", "local", "visitor"), None, "A Visitor")
    reply = router.handle_text(desk, stranger, PLACE, "/ticket new Badge reader broken")
    assert reply.ok
    assert ticket(desk.engine, 1).logged_by == "console:local:visitor"
    refused = router.handle_text(desk, stranger, PLACE, "/ticket take T-1")
    assert not refused.ok and "may take" in refused.message.fallback


@pytest.mark.parametrize(
    "command",
    ["/ticket show T-9", "/ticket take T-9", "/ticket note T-9 hi", "/ticket dispatch T-9"],
)
def test_unknown_ticket_is_refused(desk: Desk, command: str) -> None:
    log_vpn(desk)
    before = snapshot(desk.engine)
    reply = say(desk, "lee", command)
    assert not reply.ok and reply.message.fallback == "There is no ticket T-9 here."
    assert snapshot(desk.engine) == before


@pytest.mark.parametrize(
    "command",
    [
        "/nope",
        "/ticket",
        "/ticket show",
        "/ticket new Foo #printers",
        "/ticket new",
        "/ticket note T-1",
    ],
)
def test_bad_input_writes_nothing(desk: Desk, command: str) -> None:
    log_vpn(desk)
    before = snapshot(desk.engine)
    reply = say(desk, "lee", command)
    assert reply.ephemeral
    assert snapshot(desk.engine) == before


def test_tickets_are_scoped_per_workspace(desk: Desk) -> None:
    other = Place(Ref("slack", "T0OTHER", "C1"))
    log_vpn(desk)
    reply = router.handle_text(
        desk, actor_of(desk.config, "lee", "slack"), other, "/ticket new Other place"
    )
    assert reply.ok and "T-1" in reply.message.fallback  # numbering is per workspace too
    assert ticket(desk.engine, 1, "slack:T0OTHER").summary == "Other place"
    assert ticket(desk.engine, 1).summary == "VPN down"
    shown = router.handle_text(
        desk, actor_of(desk.config, "lee", "slack"), other, "/ticket show T-1"
    )
    assert "Other place" in text_of(shown.message) and "VPN down" not in text_of(shown.message)


def test_button_press_runs_the_same_use_case(desk: Desk) -> None:
    log_vpn(desk)
    reply = router.handle_action(desk, actor_of(desk.config, "sam"), PLACE, "ticket.take", "T-1")
    assert reply.ok and reply.update_card is not None
    assert ticket(desk.engine, 1).assignee == "sam"
    again = router.handle_action(desk, actor_of(desk.config, "sam"), PLACE, "ticket.take", "T-1")
    assert not again.ok  # pressed twice: no second effect
    assert [e.kind for e in events(desk.engine, 1)] == ["created", "take"]


def test_form_submission_validates_each_field(desk: Desk) -> None:
    actor = actor_of(desk.config, "lee")
    bad = router.handle_form(
        desk, actor, PLACE, "ticket.new", {"summary": "", "category": "printers", "priority": "p9"}
    )
    assert not bad.ok and set(bad.form_errors) == {"summary", "category", "priority"}
    assert snapshot(desk.engine)["tickets"] == []
    good = router.handle_form(
        desk,
        actor,
        PLACE,
        "ticket.new",
        {"summary": "Laptop slow", "category": "system", "reporter": "ana"},
    )
    assert good.ok and ticket(desk.engine, 1).reporter == "ana"


def test_user_text_cannot_forge_a_mention(desk: Desk) -> None:
    say(desk, "lee", f"/ticket new ping {mention_token('mei')} please")
    _, card = posts(desk.engine)[0]
    assert "mei" not in card.mentions


def test_the_same_press_twice_at_once_acts_once(desk: Desk) -> None:
    """Two deliveries of one press racing in two threads: one take, one refusal."""
    import threading

    log_vpn(desk)
    sam = actor_of(desk.config, "sam")
    barrier = threading.Barrier(2)
    replies = []

    def press() -> None:
        barrier.wait()
        replies.append(router.handle_action(desk, sam, PLACE, "ticket.take", "T-1"))

    for _ in range(20):  # the race is narrow; give it many chances
        threads = [threading.Thread(target=press) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sum(r.ok for r in replies) == 1
    assert [e.kind for e in events(desk.engine, 1)] == ["created", "take"]
