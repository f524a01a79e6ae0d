"""The join link per platform and configuration, and the platforms' meeting services (Slack
`calls.add`, Graph online meetings) through real clients against a local fake."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.rooms import rooms_from
from bot.slack.calls import SlackCalls, client
from bot.teams.graph import AppTokens, GraphMeetings
from handlers import router
from handlers.chat.model import Place, Ref
from handlers.config.team import Huddles, TeamConfig
from handlers.desk import Desk
from handlers.huddles.links import configured_room
from tests.conftest import actor_of
from tests.huddle_fakes import FakeService, LoginAt, fake_service
from tests.support import posts, text_of

TENANT = "00000000-0000-0000-0000-000000000000"
SLACK = Place(Ref("slack", "T0SAMPLE", "C0QUEUE"))
TEAMS = Place(Ref("teams", TENANT, "19:queue@thread.tacv2"))


def with_links(config: TeamConfig, **links: object) -> TeamConfig:
    return config.model_copy(update={"huddles": Huddles(**links)})  # type: ignore[arg-type]


def people(config: TeamConfig, *ids: str):  # type: ignore[no-untyped-def]
    return [config.person(i) for i in ids]


@pytest.fixture
def fake() -> Iterator[FakeService]:
    with fake_service() as service:
        yield service


def start(desk: Desk, place: Place, who: str = "lee") -> str:
    """Log a ticket and call a huddle on it from `place`; the card's text."""
    actor = actor_of(desk.config, who, place.channel.platform)
    assert router.handle_text(desk, actor, place, "/ticket new DB failover #system").ok
    reply = router.handle_text(desk, actor, place, "/huddle T-1 split the work")
    assert reply.ok, reply
    return text_of(posts(desk.engine)[-1][1])


# -- what the configuration gives ----------------------------------------------------------


def test_each_platform_gets_the_link_its_configuration_says(sample: TeamConfig) -> None:
    who = people(sample, "dana", "sofia", "mei", "lee")
    room = configured_room(sample, "console", "local", "T-1", 1, "tok", who)
    assert room is not None and room.kind == "template"
    assert room.url == "https://meet.jit.si/deskbot-T-1-1-tok"
    slack = configured_room(sample, "slack", "T0SAMPLE", "T-1", 1, "tok", who)
    assert slack is not None and slack.url == "https://app.slack.com/huddle/T0SAMPLE/C0QUEUE"
    teams = configured_room(sample, "teams", TENANT, "T-1", 1, "tok", who)
    assert teams is not None and teams.kind == "teams_call"
    link = urlparse(teams.url)
    assert (link.netloc, link.path) == ("teams.microsoft.com", "/l/call/0/0")
    assert parse_qs(link.query)["users"] == [
        "dana@example.org,sofia@example.org,mei@example.org,lee@example.org"
    ]

    templated = with_links(
        sample,
        meeting_link_template="https://zoom.example/j/{token}",
        slack="template",
        teams="template",
    )
    for platform in ("slack", "teams", "console"):
        room = configured_room(templated, platform, "w", "T-1", 1, "tok", who)
        assert room is not None and room.url == "https://zoom.example/j/tok"

    bare = with_links(sample)
    assert configured_room(bare, "console", "local", "T-1", 1, "tok", who) is None
    assert configured_room(bare, "slack", "T0SAMPLE", "T-1", 1, "tok", who) is not None


def test_teams_ids_that_are_not_upns_stay_out_of_the_call_link(sample: TeamConfig) -> None:
    dana = sample.person("dana").model_copy(update={"teams": "29:1abc"})  # type: ignore[union-attr]
    room = configured_room(sample, "teams", TENANT, "T-1", 1, "tok", [dana, sample.person("lee")])  # type: ignore[list-item]
    assert room is not None and room.url.endswith("users=lee@example.org")
    # nobody with a UPN: the template, if any
    room = configured_room(sample, "teams", TENANT, "T-1", 1, "tok", [dana])
    assert room is not None and room.kind == "template"


def test_a_console_without_a_template_says_so_on_the_card(sample: TeamConfig, desk: Desk) -> None:
    bare = Desk(with_links(sample), desk.engine, desk.clock)
    text = start(bare, Place(Ref("console", "local", "service-desk")))
    assert "**Join:** no link" in text
    assert "No join link: set `huddles.meeting_link_template`" in text


@pytest.mark.parametrize(
    ("links", "error"),
    [
        ({"meeting_link_template": "https://meet.jit.si/{room}"}, "unknown placeholder {room}"),
        ({"meeting_link_template": "meet.jit.si/{ticket}"}, "must be an http(s) URL"),
        ({"slack": "template"}, "slack: template needs a meeting_link_template"),
        ({"teams": "template"}, "teams: template needs a meeting_link_template"),
        ({"slack_call_provider": "Jitsi"}, "slack_call_provider needs a meeting_link_template"),
    ],
)
def test_link_settings_that_cannot_work_are_configuration_errors(links: dict, error: str) -> None:
    with pytest.raises(ValidationError, match=error.replace("(", r"\(").replace(")", r"\)")):
        Huddles(**links)


# -- Slack: the room registered with calls.add ---------------------------------------------


def slack_desk(sample: TeamConfig, desk: Desk, fake: FakeService) -> Desk:
    config = with_links(
        sample,
        meeting_link_template="https://meet.jit.si/deskbot-{ticket}-{huddle}-{token}",
        slack="template",
        slack_call_provider="Jitsi",
    )
    rooms = {"slack": SlackCalls(client("xoxb-test", f"{fake.url}/api/"), "Jitsi")}
    return Desk(config, desk.engine, desk.clock, rooms=rooms)  # type: ignore[arg-type]


def test_slack_registers_the_room_as_a_call_and_ends_it(
    sample: TeamConfig, desk: Desk, fake: FakeService
) -> None:
    slack = slack_desk(sample, desk, fake)
    text = start(slack, SLACK)
    [add] = fake.seen
    assert add.path == "/api/calls.add"
    assert add.form["join_url"].startswith("https://meet.jit.si/deskbot-T-1-1-")
    assert add.form["join_url"] in text  # the card's link is the registered room
    assert add.form["created_by"] == "U0LEE"
    assert add.form["external_display_id"] == "Jitsi"
    assert add.form["title"] == "Huddle on T-1 · split the work"
    assert '"slack_id": "U0DANA"' in add.form["users"] and "U0LEE" in add.form["users"]
    assert add.form["external_unique_id"].startswith("deskbot:slack:T0SAMPLE:T-1:huddle:1:")

    dana = actor_of(slack.config, "dana", "slack")
    assert router.handle_text(slack, dana, SLACK, "/huddle end T-1 Dana owns failover").ok
    end = fake.seen[-1]
    assert (end.path, end.form["id"]) == ("/api/calls.end", "R0CALL1")


def test_slack_refusing_the_call_keeps_the_link(
    sample: TeamConfig, desk: Desk, fake: FakeService
) -> None:
    fake.slack_error = "missing_scope"
    text = start(slack_desk(sample, desk, fake), SLACK)
    assert "https://meet.jit.si/deskbot-T-1-1-" in text
    assert "this is the configured link instead" in text


def test_slack_without_a_provider_posts_the_channel_huddle(sample: TeamConfig, desk: Desk) -> None:
    text = start(Desk(sample, desk.engine, desk.clock), SLACK)
    assert "https://app.slack.com/huddle/T0SAMPLE/C0QUEUE" in text
    assert "The link opens the huddle of #service-desk." in text


# -- Teams: an online meeting through Graph, else the call deep link -------------------------


def teams_desk(
    sample: TeamConfig, desk: Desk, fake: FakeService, secret: str = "app-secret"
) -> Desk:
    tokens = AppTokens("app-id", secret, TENANT, http_client=LoginAt(fake.url))
    rooms = {"teams": GraphMeetings(tokens, graph_url=f"{fake.url}/v1.0")}
    return Desk(sample, desk.engine, desk.clock, rooms=rooms)  # type: ignore[arg-type]


def test_teams_gets_a_graph_meeting_organised_by_the_caller(
    sample: TeamConfig, desk: Desk, fake: FakeService
) -> None:
    text = start(teams_desk(sample, desk, fake), TEAMS)
    token = next(s for s in fake.seen if s.path.endswith("/oauth2/v2.0/token"))
    assert token.form["grant_type"] == "client_credentials"
    assert token.form["scope"] == "https://graph.microsoft.com/.default"
    meeting = fake.seen[-1]
    assert meeting.path == "/v1.0/users/lee@example.org/onlineMeetings"
    assert meeting.json["subject"] == "Huddle on T-1 · split the work"
    assert meeting.json["startDateTime"] == "2026-11-23T01:00:00Z"
    assert meeting.json["endDateTime"] == "2026-11-23T01:05:00Z"
    assert [a["upn"] for a in meeting.json["participants"]["attendees"]] == [
        "dana@example.org",
        "sofia@example.org",
        "mei@example.org",
    ]
    assert "https://teams.microsoft.com/l/meetup-join/19%3ameeting\\_abc%40thread.v2/0" in text
    assert "A Teams meeting organised by Lee Wang." in text


@pytest.mark.parametrize("failure", ["forbidden", "bad secret"])
def test_teams_falls_back_to_the_call_link_when_graph_says_no(
    sample: TeamConfig, desk: Desk, fake: FakeService, failure: str
) -> None:
    if failure == "forbidden":
        fake.meeting_status = 403
    teams = teams_desk(
        sample, desk, fake, secret="wrong" if failure == "bad secret" else "app-secret"
    )
    text = start(teams, TEAMS)
    assert "https://teams.microsoft.com/l/call/0/0?users=dana@example.org," in text
    assert "this is the configured link instead" in text
    assert "one of you presses it, the others answer" in text


def test_teams_without_graph_credentials_posts_the_call_link(
    sample: TeamConfig, desk: Desk
) -> None:
    text = start(Desk(sample, desk.engine, desk.clock), TEAMS)
    assert "https://teams.microsoft.com/l/call/0/0?users=" in text
    assert "the configured link instead" not in text


def test_which_services_the_environment_turns_on(sample: TeamConfig) -> None:
    nothing = Settings(_env_file=None)  # type: ignore[call-arg]
    assert rooms_from(nothing, sample) == {}
    teams = Settings(MicrosoftAppId="app", MicrosoftAppPassword="secret")  # type: ignore[call-arg]
    assert isinstance(rooms_from(teams, sample)["teams"], GraphMeetings)
    calls_only = with_links(sample, teams="call")
    assert rooms_from(teams, calls_only) == {}
    slack = Settings(SLACK_BOT_TOKEN="xoxb-1")  # type: ignore[call-arg]
    assert rooms_from(slack, sample) == {}  # the sample sends Slack its channel huddle
    registered = with_links(
        sample,
        meeting_link_template="https://meet.jit.si/{token}",
        slack="template",
        slack_call_provider="Jitsi",
    )
    assert isinstance(rooms_from(slack, registered)["slack"], SlackCalls)
