"""Issue 11, point 8: display and grammar defects, each seen on main before its fix."""

from __future__ import annotations

import pytest

from bot.slack import render as slack_render
from handlers import router
from handlers.commands.grammar import ParseError, TicketNew, parse
from handlers.config.team import TeamConfig
from handlers.desk import Desk
from tests.conftest import PLACE, actor_of
from tests.support import text_of, ticket


def say(desk: Desk, who: str, text: str):  # type: ignore[no-untyped-def]
    return router.handle_text(desk, actor_of(desk.config, who), PLACE, text)


def test_show_puts_the_links_on_their_own_line_in_every_rendering(desk: Desk) -> None:
    say(desk, "lee", "/ticket new Screen flickers | link: https://x.example/shot.png")
    shown = say(desk, "lee", "/ticket show T-1").message
    assert "(https://x.example/shot.png)\n_Missing key fields" in text_of(shown)
    slack = slack_render.payload(desk.config, shown)
    text = "".join(b.get("text", {}).get("text", "") for b in slack["blocks"])
    assert "*Links:* <https://x.example/shot.png>\n_Missing key fields" in text


@pytest.mark.parametrize("word", ["p5", "P0", "p12"])
def test_an_unknown_priority_is_refused_like_an_unknown_intake(
    sample: TeamConfig, word: str
) -> None:
    with pytest.raises(ParseError) as refused:
        parse(f"/ticket new VPN down {word}", sample)
    assert f"Unknown priority `{word.lower()}`; use p1, p2, p3, p4." in refused.value.reason


@pytest.mark.parametrize(
    "text",
    [
        "/ticket new VPN down|env: Win 11|tried: reboot",
        "/ticket new VPN down |env: Win 11| tried: reboot",
        "/ticket new VPN down| env: Win 11 |tried: reboot",
    ],
)
def test_a_bar_without_spaces_still_separates_fields(sample: TeamConfig, text: str) -> None:
    request = parse(text, sample)
    assert isinstance(request, TicketNew) and request.fields is not None
    assert (request.fields.summary, request.fields.environment, request.fields.tried) == (
        "VPN down",
        "Win 11",
        "reboot",
    )


def test_permission_refusals_read_as_a_sentence(desk: Desk) -> None:
    say(desk, "lee", "/ticket new VPN down")
    reply = say(desk, "grace", "/ticket take T-1")
    assert reply.message.fallback == "Only L1 and L2 engineers and the team lead may take T-1."
    assert ticket(desk.engine, 1).assignee is None


def test_raci_headings_carry_no_source_notes(desk: Desk) -> None:
    listing = text_of(say(desk, "lee", "/raci").message)
    assert "**Collaboration matrix**" in listing or "Collaboration matrix" in listing
    assert "seed" not in listing and "§" not in listing and "协作矩阵" not in listing
