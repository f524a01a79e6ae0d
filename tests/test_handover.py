"""Dispatch hands a ticket over to L2; assign and take say who held it (issue 11, 1 and 2)."""

from __future__ import annotations

from handlers import router
from handlers.desk import Desk
from tests.conftest import PLACE, actor_of
from tests.support import events, posts, snapshot, ticket


def say(desk: Desk, who: str, text: str):  # type: ignore[no-untyped-def]
    return router.handle_text(desk, actor_of(desk.config, who), PLACE, text)


def press(desk: Desk, who: str, action: str, value: str):  # type: ignore[no-untyped-def]
    return router.handle_action(desk, actor_of(desk.config, who), PLACE, action, value)


def test_dispatch_to_the_pool_offers_take_to_the_experts(desk: Desk) -> None:
    say(desk, "lee", "/ticket new Switch down #network | env: floor 2")
    say(desk, "lee", "/ticket take T-1")
    before = len(posts(desk.engine))
    assert say(desk, "lee", "/ticket dispatch T-1 rebooted it").ok
    t = ticket(desk.engine, 1)
    assert (t.status, t.assignee, t.watchers) == ("dispatched", None, ["lee"])
    new = posts(desk.engine)[before:]
    l2 = next(m for target, m in new if target["name"] == "l2:network")
    assert [(b.label, b.action_id, b.value) for b in l2.buttons] == [("Take", "ticket.take", "T-1")]
    dm = next(m for target, m in new if target["kind"] == "person" and target["name"] == "kim")
    assert [b.action_id for b in dm.buttons] == ["ticket.take"]
    # an expert presses Take: nobody held it, so no question and no notice
    taken = press(desk, "kim", "ticket.take", "T-1")
    assert taken.ok and "T-1 is yours now." in taken.message.fallback
    t = ticket(desk.engine, 1)
    assert (t.status, t.assignee) == ("dispatched", "kim")


def test_an_l1_may_not_record_the_root_cause_of_what_they_dispatched(desk: Desk) -> None:
    say(desk, "lee", "/ticket new Switch down #network")
    say(desk, "lee", "/ticket dispatch T-1 @raj rebooted it")
    before = snapshot(desk.engine)
    refused = say(desk, "lee", "/ticket rca T-1 bad cable")
    assert not refused.ok
    assert refused.message.fallback == (
        "Only the assignee (Raj Patel), the L2 experts for Network and the team lead may rca T-1."
    )
    assert snapshot(desk.engine) == before
    assert say(desk, "kim", "/ticket rca T-1 bad optic").ok  # another network expert may
    assert say(desk, "mei", "/ticket rca T-1 bad optic, replaced").ok  # and the lead


def test_dispatch_to_someone_who_is_not_an_expert_is_refused(desk: Desk) -> None:
    say(desk, "lee", "/ticket new Switch down #network")
    before = snapshot(desk.engine)
    reply = say(desk, "lee", "/ticket dispatch T-1 @dana rebooted it")
    assert not reply.ok
    assert "Dana Li is not an L2 expert for #network; its experts: Raj Patel, Kim Park." in (
        reply.message.fallback
    )
    assert snapshot(desk.engine) == before
    unknown = say(desk, "lee", "/ticket dispatch T-1 @nobody")
    assert not unknown.ok and "I don't know @nobody" in unknown.message.fallback


def test_assign_within_the_tier_and_tell_the_previous_owner(desk: Desk) -> None:
    say(desk, "lee", "/ticket new Printer jam")
    say(desk, "lee", "/ticket take T-1")
    before = snapshot(desk.engine)
    refused = say(desk, "lee", "/ticket assign T-1 @raj")  # an L1 hands to L1 only
    assert not refused.ok
    assert "You may assign T-1 only to L1 engineers; Raj Patel is not one." in (
        refused.message.fallback
    )
    assert snapshot(desk.engine) == before
    assert not say(desk, "nina", "/ticket assign T-1 @sam").ok  # a data analyst may not
    before_posts = len(posts(desk.engine))
    assert say(desk, "lee", "/ticket assign T-1 @sam").ok
    assert say(desk, "grace", "/ticket assign T-1 @raj").ok  # the SDM assigns anyone
    new = posts(desk.engine)[before_posts:]
    dms = [(t["name"], m.fallback) for t, m in new if t["kind"] == "person"]
    assert ("sam", "Lee Wang assigned T-1 to you: Printer jam") in dms
    assert any(name == "sam" and "Grace Liu took it over from you" in text for name, text in dms)
    assert ("raj", "Grace Liu assigned T-1 to you: Printer jam") in dms
    assign = [e for e in events(desk.engine, 1) if e.kind == "assign"]
    assert [(e.detail["previous_assignee"], e.detail["assignee"]) for e in assign] == [
        ("lee", "sam"),
        ("sam", "raj"),
    ]


def test_take_on_someone_elses_ticket_asks_first_but_the_command_does_not(desk: Desk) -> None:
    say(desk, "lee", "/ticket new Printer jam")
    say(desk, "lee", "/ticket take T-1")
    before = snapshot(desk.engine)
    asked = press(desk, "sam", "ticket.take", "T-1")
    assert asked.message.fallback == "T-1 is Lee Wang's; take it over?"
    assert [b.action_id for b in asked.message.buttons] == ["ticket.take_over"]
    assert snapshot(desk.engine) == before
    assert press(desk, "sam", "ticket.take_over", "T-1").ok
    assert ticket(desk.engine, 1).assignee == "sam"
    assert say(desk, "lee", "/ticket take T-1").ok  # typed: no question
    assert ticket(desk.engine, 1).assignee == "lee"


def test_the_l2_pool_is_not_the_l1_queue(desk: Desk) -> None:
    say(desk, "lee", "/ticket new Switch down #network")
    say(desk, "lee", "/ticket new Printer jam #system")
    say(desk, "lee", "/ticket dispatch T-1 rebooted it")  # to the network pool
    l1 = say(desk, "sam", "/queue").message.fallback
    assert "1 ticket in the queue" in l1
    network = router.handle_text(desk, actor_of(desk.config, "raj"), PLACE, "/queue #network")
    assert "1 ticket in the queue" in network.message.fallback  # the L2 pool of #network


def test_the_resolve_form_checks_every_step_before_the_first(desk: Desk) -> None:
    say(desk, "lee", "/ticket new Switch down #network")
    say(desk, "lee", "/ticket dispatch T-1 @raj rebooted it")
    form = press(desk, "kim", "ticket.resolve", "T-1").form
    assert [f.name for f in form.fields] == ["resolution", "root_cause", "save_as_knowledge"]
    before = snapshot(desk.engine)
    values = {"resolution": "replaced the optic", "root_cause": "bad optic"}
    kim = actor_of(desk.config, "kim")  # an expert may record the cause, not resolve Raj's
    refused = router.handle_form(desk, kim, PLACE, form.form_id, values)
    assert not refused.ok and "may resolve T-1" in refused.message.fallback
    assert snapshot(desk.engine) == before
    before_posts = len(posts(desk.engine))
    raj = actor_of(desk.config, "raj")
    assert router.handle_form(desk, raj, PLACE, form.form_id, values).ok
    t = ticket(desk.engine, 1)
    assert (t.status, t.root_cause, t.resolution) == ("resolved", "bad optic", "replaced the optic")
    # the L1 who dispatched it hears the root cause and the resolution
    dms = [m.fallback for target, m in posts(desk.engine)[before_posts:] if target["name"] == "lee"]
    assert any("bad optic" in d for d in dms) and any("replaced the optic" in d for d in dms)


def test_an_edit_is_not_a_first_response(desk: Desk) -> None:
    say(desk, "ana", "/ticket new Laptop slow")
    assert say(desk, "ana", "/ticket edit T-1 | env: ThinkPad").ok
    assert ticket(desk.engine, 1).first_response_at is None


def test_the_resolve_form_goes_on_to_a_knowledge_entry_filled_from_the_ticket(desk: Desk) -> None:
    """Issue 13's "Save as knowledge": resolving with it opens the entry form, pre-filled."""
    say(desk, "lee", "/ticket new Printer jam | tried: reseated the tray")
    say(desk, "lee", "/ticket take T-1")
    form = press(desk, "lee", "ticket.resolve", "T-1").form
    assert form is not None
    assert [f.name for f in form.fields] == ["resolution", "save_as_knowledge"]
    lee = actor_of(desk.config, "lee")
    values = {"resolution": "cleared the paper path", "save_as_knowledge": "yes"}
    reply = router.handle_form(desk, lee, PLACE, form.form_id, values)
    assert reply.ok and reply.message is not None and "T-1 is resolved" in reply.message.fallback
    assert reply.form is not None and reply.form.form_id == "kb.new"
    initial = {f.name: f.initial for f in reply.form.fields}
    assert initial["title"] == "Printer jam"
    assert initial["solution"] == "cleared the paper path"
    assert "reseated the tray" in initial["steps"]
    # without the choice, resolving is all it does
    say(desk, "lee", "/ticket new Toner low")
    say(desk, "lee", "/ticket take T-2")
    form = press(desk, "lee", "ticket.resolve", "T-2").form
    assert form is not None
    done = router.handle_form(desk, lee, PLACE, form.form_id, {"resolution": "new toner"})
    assert done.ok and done.form is None
