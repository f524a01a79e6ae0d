"""Close reasons: duplicate, cancelled, not reproducible; and what the KPIs make of them."""

from __future__ import annotations

import datetime as dt

from handlers import router
from handlers.desk import Desk
from handlers.kpis import figures
from tests.conftest import PLACE, actor_of
from tests.support import events, snapshot, ticket


def say(desk: Desk, who: str, text: str):  # type: ignore[no-untyped-def]
    return router.handle_text(desk, actor_of(desk.config, who), PLACE, text)


def test_close_reasons_from_any_open_state_by_the_right_people(desk: Desk) -> None:
    for n in range(1, 5):
        assert say(desk, "lee", f"/ticket new Mail issue {n} #application").ok
    say(desk, "sam", "/ticket take T-2")
    before = snapshot(desk.engine)
    refused = say(desk, "lee", "/ticket close T-2 cancelled user left")  # not the assignee
    assert not refused.ok and "may close T-2" in refused.message.fallback
    assert snapshot(desk.engine) == before
    assert say(desk, "sam", "/ticket close T-2 cancelled user left the company").ok
    assert say(desk, "mei", "/ticket close T-3 not-reproducible").ok  # the team lead
    assert say(desk, "grace", "/ticket close T-4 duplicate T-1").ok  # the service desk manager
    t2, t3, t4 = (ticket(desk.engine, n) for n in (2, 3, 4))
    assert (t2.status, t2.close_reason) == ("closed", "cancelled")
    assert (t3.status, t3.close_reason) == ("closed", "not_reproducible")
    assert (t4.status, t4.close_reason, t4.duplicate_of) == ("closed", "duplicate", 1)
    assert events(desk.engine, 2)[-1].detail == {
        "status": "closed",
        "close_reason": "cancelled",
        "reason": "user left the company",
    }
    bad = say(desk, "mei", "/ticket close T-1 because")
    assert not bad.ok and "`because` is not a close reason" in bad.message.fallback
    # reopening forgets the reason: it is live work again
    assert say(desk, "lee", "/ticket reopen T-4 not the same problem after all").ok
    assert (ticket(desk.engine, 4).close_reason, ticket(desk.engine, 4).duplicate_of) == ("", None)


def test_kpis_leave_duplicates_and_cancellations_out_of_resolution_figures(desk: Desk) -> None:
    for n in range(1, 4):
        say(desk, "lee", f"/ticket new VPN issue {n} #network")
        say(desk, "lee", f"/ticket take T-{n}")
        say(desk, "lee", f"/ticket resolve T-{n} reset the profile")
    say(desk, "lee", "/ticket close T-2 duplicate T-1")
    say(desk, "lee", "/ticket close T-3 cancelled the user withdrew it")
    window = figures.period_window(desk.config, "day", desk.now() + dt.timedelta(minutes=1))
    kpis = figures.report(desk, PLACE.channel.scope, window)
    assert kpis.resolved == 1
    fcr = kpis.figure("first_contact_resolution").measure
    assert (fcr.hits, fcr.total) == (1, 1)
