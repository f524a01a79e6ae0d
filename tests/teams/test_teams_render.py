"""Rendering: user text stays text, mentions ping only configured people with a Teams id."""

from __future__ import annotations

from bot.teams import render
from handlers.chat.model import Actions, Button, Fields, Header, Message, Text, mention_token
from handlers.chat.texts import escape_md
from handlers.config.team import TeamConfig


def test_a_text_message_escapes_html_and_keeps_real_mentions(sample: TeamConfig) -> None:
    hostile = escape_md("<at>Mei Chen</at> <b>boss</b> & co")
    md = f"{mention_token('omar')} please look: {hostile} **now**"
    activity = render.payload(sample, Message((Text(md),), md))

    assert activity["text"].startswith("<at>Omar Haddad</at> please look: &lt;at&gt;Mei Chen")
    assert "&lt;b&gt;boss&lt;/b&gt; &amp; co <b>now</b>" in activity["text"]
    assert [e["mentioned"] for e in activity["entities"]] == [
        {"id": "omar@example.org", "name": "Omar Haddad"}
    ]


def test_a_card_escapes_markdown_and_breaks_user_tags(sample: TeamConfig) -> None:
    summary = escape_md("**urgent** <at>Mei Chen</at> [x](https://evil)")
    message = Message(
        (
            Header(f"T-1 · {summary}"),
            Fields((("Assignee", mention_token("lee")),)),
            Actions((Button("Take", "ticket.take", "T-1", style="primary"),)),
        ),
        f"T-1: {summary}",
    )
    card = render.payload(sample, message)["attachments"][0]["content"]

    header = card["body"][0]["text"]
    assert "\\*\\*urgent\\*\\*" in header and "\\[x\\]" in header
    assert "<at>" not in header  # the user's tag is broken apart: it pings nobody
    assert card["body"][1]["facts"] == [{"title": "Assignee", "value": "<at>Lee Wang</at>"}]
    assert card["msteams"]["entities"] == [
        {
            "type": "mention",
            "text": "<at>Lee Wang</at>",
            "mentioned": {"id": "lee@example.org", "name": "Lee Wang"},
        }
    ]
    (take,) = card["body"][2]["actions"]
    assert take["style"] == "positive"
    assert card["fallbackText"].startswith("T-1: **urgent**")


def test_people_without_a_teams_id_are_plain_names(sample: TeamConfig) -> None:
    raw = sample.model_dump()
    for person in raw["people"]:
        if person["id"] == "omar":
            person["teams"] = None
    config = TeamConfig.model_validate(raw)
    md = f"{mention_token('omar')} and {mention_token('sofia')}"
    activity = render.payload(config, Message((Text(md),), md))

    assert activity["text"] == "Omar Haddad and <at>Sofia Rossi</at>"
    assert [e["mentioned"]["id"] for e in activity["entities"]] == ["sofia@example.org"]
