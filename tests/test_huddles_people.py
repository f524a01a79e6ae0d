"""Who is in a huddle: assignee, L2 specialty, R and A of cross-team coordination, the caller,
extras; each once; people the platform cannot reach are reported, not dropped."""

from __future__ import annotations

from sqlmodel import Session

from handlers import router
from handlers.chat.model import Place, Ref
from handlers.config.team import TeamConfig
from handlers.desk import Desk
from handlers.huddles.people import resolve
from storage.models import Ticket
from storage.tickets import events as events_of
from tests.conftest import actor_of
from tests.support import posts, text_of, ticket


def ids(people) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.id for p in people]


def a_ticket(category: str | None, assignee: str | None = None) -> Ticket:
    return Ticket(
        scope="console:local",
        number=7,
        summary="db",
        category=category,
        assignee=assignee,
        logged_by="lee",
    )


def test_assignee_specialty_raci_caller_and_extras_in_that_order(sample: TeamConfig) -> None:
    ticket = a_ticket("network", assignee="sam")
    extras = [sample.person("dana"), sample.person("raj"), sample.person("sam")]
    who = resolve(sample, ticket, actor_of(sample, "lee"), extras, "console")  # type: ignore[arg-type]
    # sam: assignee · raj, kim: network experts (and the R of l2, narrowed to network) ·
    # mei: the A (team lead) · lee: the caller · dana: asked in; raj and sam only once
    assert ids(who.people) == ["sam", "raj", "kim", "mei", "lee", "dana"]
    assert who.unreachable == ()


def test_the_raci_roles_come_from_the_huddle_purpose(sample: TeamConfig) -> None:
    # point the huddle purpose at incident response: R change manager, A tech support lead
    config = sample.model_copy(
        update={"purposes": sample.purposes.model_copy(update={"huddle": "incident_response"})}
    )
    who = resolve(config, a_ticket("system"), actor_of(config, "lee"), [], "console")
    assert ids(who.people) == ["dana", "sofia", "carlos", "hana", "lee"]


def test_without_a_category_every_l2_is_r(sample: TeamConfig) -> None:
    who = resolve(sample, a_ticket(None), actor_of(sample, "mei"), [], "console")
    assert ids(who.people) == ["raj", "kim", "dana", "omar", "sofia", "mei"]


def test_people_without_an_id_on_the_platform_are_reported(sample: TeamConfig) -> None:
    people = tuple(
        p.model_copy(update={"slack": None}) if p.id in ("mei", "sofia") else p
        for p in sample.people
    )
    config = sample.model_copy(update={"people": people})
    who = resolve(config, a_ticket("system"), actor_of(config, "lee", "slack"), [], "slack")
    assert ids(who.people) == ["dana", "sofia", "mei", "lee"]
    assert ids(who.unreachable) == ["sofia", "mei"]
    assert ids(who.reachable) == ["dana", "lee"]
    # on Teams everyone has an id
    teams = resolve(config, a_ticket("system"), actor_of(config, "lee", "teams"), [], "teams")
    assert teams.unreachable == ()


def test_the_card_names_who_cannot_be_reached_and_pings_the_rest(
    sample: TeamConfig, desk: Desk
) -> None:
    people = tuple(
        p.model_copy(update={"slack": None}) if p.id == "mei" else p for p in sample.people
    )
    slack_desk = Desk(sample.model_copy(update={"people": people}), desk.engine, desk.clock)
    place = Place(Ref("slack", "T0SAMPLE", "C0QUEUE"))
    lee = actor_of(slack_desk.config, "lee", "slack")
    assert router.handle_text(slack_desk, lee, place, "/ticket new DB failover #system").ok
    assert router.handle_text(slack_desk, lee, place, "/huddle T-1").ok
    _, card = posts(desk.engine)[-1]
    assert card.mentions == ["dana", "sofia"]
    assert (
        "Not on Slack (no Slack id in the team's configuration), tell them another way: Mei Chen"
        in text_of(card)
    )
    with Session(desk.engine) as session:
        t = ticket(desk.engine, 1, scope="slack:T0SAMPLE")
        detail = events_of(session, t.id or 0)[-1].detail
    assert detail["participants"] == ["dana", "sofia", "mei", "lee"]
    assert detail["unreachable"] == ["mei"]
