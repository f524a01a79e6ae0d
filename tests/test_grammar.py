"""One grammar for every platform: what the words of a command mean, and bad input."""

from __future__ import annotations

import pytest

from handlers.commands.grammar import (
    HelpRequest,
    KpiView,
    ParseError,
    QueueView,
    RaciLookup,
    RosterLookup,
    TicketNew,
    TicketVerb,
    parse,
)
from handlers.config.team import TeamConfig


def test_new_with_tags_anywhere(sample: TeamConfig) -> None:
    request = parse("/ticket new VPN down #network p2 via:phone", sample)
    assert isinstance(request, TicketNew) and request.fields is not None
    f = request.fields
    assert (f.summary, f.category, f.priority, f.intake) == ("VPN down", "network", "p2", "phone")
    request = parse("ticket new P1 #System mail server down VIA:email", sample)
    assert isinstance(request, TicketNew) and request.fields is not None
    f = request.fields
    assert (f.summary, f.category, f.priority, f.intake) == (
        "mail server down",
        "system",
        "p1",
        "email",
    )


def test_new_defaults_and_sections(sample: TeamConfig) -> None:
    request = parse(
        "/ticket new Outlook crashes | env: Win 11, Office 365 | tried: safe mode"
        " | desc: since the update | reporter: @ana | link: https://x.example/s.png",
        sample,
    )
    assert isinstance(request, TicketNew) and request.fields is not None
    f = request.fields
    assert (f.summary, f.priority, f.intake, f.category) == ("Outlook crashes", "p3", "chat", None)
    assert f.environment == "Win 11, Office 365"
    assert f.tried == "safe mode"
    assert f.description == "since the update"
    assert f.reporter == "ana"
    assert f.links == ("https://x.example/s.png",)


def test_new_without_text_asks_for_the_form(sample: TeamConfig) -> None:
    assert parse("/ticket new", sample) == TicketNew(None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/ticket show T-7", TicketVerb("show", 7)),
        ("/ticket take t-7", TicketVerb("take", 7)),
        ("/ticket TAKE 7", TicketVerb("take", 7)),
        ("/ticket note T-7 called the user back", TicketVerb("note", 7, "called the user back")),
        (
            "/ticket dispatch T-7 #network reset the router",
            TicketVerb("dispatch", 7, "reset the router", "network"),
        ),
        ("/ticket dispatch T-7", TicketVerb("dispatch", 7)),
        ("/ticket resolve T-7 new cert", TicketVerb("resolve", 7, "new cert")),
        ("/ticket reopen T-7", TicketVerb("reopen", 7)),
        ("/queue", QueueView("unassigned")),
        ("/queue mine", QueueView("mine")),
        ("/queue ALL", QueueView("all")),
        ("/queue #network", QueueView("unassigned", "network")),
        ("/raci 故障", RaciLookup("故障")),
        ("/roster l2", RosterLookup("l2")),
        ("/help", HelpRequest("")),
        ("", HelpRequest("")),
    ],
)
def test_commands(sample: TeamConfig, text: str, expected: object) -> None:
    assert parse(text, sample) == expected


@pytest.mark.parametrize(
    ("text", "reason", "usage"),
    [
        ("/frobnicate", "Unknown command `frobnicate`", "Commands:"),
        ("/ticket", "What should I do with the ticket?", "/ticket new|show"),
        ("/ticket explode T-1", "Unknown ticket action `explode`", "/ticket new|show"),
        ("/ticket show", "Which ticket? Give its id, like T-12.", "/ticket show T-<n>"),
        ("/ticket take X-9", "is not a ticket id", "/ticket take T-<n>"),
        ("/ticket note T-3", "A note needs text", "/ticket note T-<n>"),
        ("/ticket resolve T-3", "Resolving needs a resolution", "/ticket resolve T-<n>"),
        ("/ticket new Foo #printers", "Unknown category #printers", "/ticket new SUMMARY"),
        ("/ticket new #network p2", "A ticket needs a summary", "/ticket new SUMMARY"),
        ("/ticket new Foo | colour: red", "I don't know the field", "/ticket new SUMMARY"),
        ("/ticket new Foo | link: ftp://x", "is not a link", "/ticket new SUMMARY"),
        ("/ticket new Foo via:pigeon", "Unknown intake channel", "/ticket new SUMMARY"),
        ("/ticket dispatch T-3 #printers", "Unknown category #printers", "/ticket dispatch"),
        ("/queue everything", "is not a queue view", "/queue [mine"),
        ("/queue #printers", "Unknown category #printers", "/queue [mine"),
    ],
)
def test_bad_input_gives_a_reason_and_the_usage(
    sample: TeamConfig, text: str, reason: str, usage: str
) -> None:
    with pytest.raises(ParseError) as caught:
        parse(text, sample)
    assert reason in caught.value.reason
    assert "\n" not in caught.value.reason  # one line
    assert usage in caught.value.usage


def test_summary_length_is_limited(sample: TeamConfig) -> None:
    with pytest.raises(ParseError) as caught:
        parse("/ticket new " + "x" * 301, sample)
    assert "301 characters" in caught.value.reason


def test_mention_sentinels_typed_by_a_user_are_dropped(sample: TeamConfig) -> None:
    request = parse("/ticket new boom \ue000mei\ue001", sample)
    assert isinstance(request, TicketNew) and request.fields is not None
    assert request.fields.summary == "boom mei"


def test_the_grammar_reads_person_ids_never_platform_ids(sample: TeamConfig) -> None:
    """Adapters resolve platform users to people once; the grammar knows no platform."""
    from handlers.commands.grammar import HuddleStart

    request = parse("huddle T-1 db failover @omar", sample)
    assert isinstance(request, HuddleStart) and request.extras == ("omar",)
    with pytest.raises(ParseError):
        parse("huddle T-1 db failover @U0OMAR", sample)  # a Slack id, unresolved


@pytest.mark.parametrize(
    ("text", "period", "chart"),
    [
        ("/kpi", "day", False),
        ("/kpi month", "month", False),
        ("/kpi week chart", "week", True),
        ("/kpi chart", "week", True),
        ("/kpi MONTH Chart", "month", True),
    ],
)
def test_kpi_period_and_chart(sample: TeamConfig, text: str, period: str, chart: bool) -> None:
    assert parse(text, sample) == KpiView(period, chart)


@pytest.mark.parametrize("text", ["/kpi year", "/kpi week month", "/kpi chart week"])
def test_kpi_bad_words_get_the_usage(sample: TeamConfig, text: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(text, sample)
    assert "is not a period" in caught.value.reason and "/kpi [day|week|month] [chart]" in str(
        caught.value.usage
    )
