"""Neutral messages as Block Kit: escaped, mentioning the right people, within Slack's limits."""

from __future__ import annotations

from typing import Any

from bot.slack import render
from bot.slack.incoming import text_in
from handlers.chat.model import (
    Actions,
    Button,
    Context,
    Divider,
    Fields,
    Header,
    Items,
    Message,
    Text,
    mention_token,
)
from handlers.chat.texts import escape_md
from handlers.config.team import TeamConfig
from tests.slack.conftest import block_texts


def _texts(payload: dict[str, Any]) -> list[str]:
    return block_texts(payload["blocks"])


def test_typed_special_mentions_ping_nobody(sample: TeamConfig) -> None:
    typed = escape_md("<!channel> <!here> <@U0MEI> a&b <https://evil.example|click>")
    message = Message((Header(typed), Text(typed), Context(typed)), typed)
    payload = render.payload(sample, message)
    for text in [payload["text"], *_texts(payload)]:
        assert "<!" not in text and "<@" not in text and "<http" not in text
        assert "&lt;!channel&gt;" in text and "a&amp;b" in text


def test_mentions_use_the_slack_id_or_the_name(sample: TeamConfig) -> None:
    text = f"{mention_token('raj')} and {mention_token('ghost')}"
    assert render.mrkdwn(sample, text) == "<@U0RAJ> and ghost"
    data = sample.model_dump()
    data["people"] = [{**p, "slack": None} for p in data["people"]]
    no_slack = TeamConfig.model_validate(data)
    assert render.mrkdwn(no_slack, mention_token("raj")) == "Raj Patel"
    assert render.plain(sample, mention_token("raj")) == "@Raj Patel"  # headers never ping


def test_markdown_becomes_mrkdwn(sample: TeamConfig) -> None:
    md = "**T-3** is _urgent_: see [the runbook](https://wiki.example/x?a=1&b=2) `ip a`\n- one"
    assert render.mrkdwn(sample, md) == (
        "*T-3* is _urgent_: see <https://wiki.example/x?a=1&amp;b=2|the runbook> `ip a`\n• one"
    )
    assert render.mrkdwn(sample, "[x](javascript:alert)") == "x"  # no such links


def test_every_mrkdwn_object_is_verbatim(sample: TeamConfig) -> None:
    message = Message((Text("hi"), Fields((("a", "b"),)), Context("c")), "hi")
    payload = render.payload(sample, message)

    def objects(node: Any) -> list[dict[str, Any]]:
        found = []
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node)
            for value in node.values():
                found += objects(value)
        elif isinstance(node, list):
            for item in node:
                found += objects(item)
        return found

    assert objects(payload["blocks"]) and all(o["verbatim"] for o in objects(payload["blocks"]))


def test_long_text_is_cut_with_an_ellipsis_within_every_limit(sample: TeamConfig) -> None:
    long = "x" * 5000
    message = Message(
        (
            Header(long),
            Text(long),
            Fields(tuple((f"label {i}", long) for i in range(13))),
            Context(long),
            Actions(tuple(Button(long, f"a.{i}", long) for i in range(30))),
        ),
        long * 3,
    )
    payload = render.payload(sample, message)  # slack_sdk validates every limit here
    blocks = payload["blocks"]
    header = blocks[0]["text"]["text"]
    assert len(header) == render.HEADER_MAX and header.endswith("…")
    section = next(b for b in blocks if b["type"] == "section" and "text" in b)
    assert len(section["text"]["text"]) == render.TEXT_MAX
    fields = [b for b in blocks if "fields" in b]
    assert [len(b["fields"]) for b in fields] == [10, 3]
    assert all(
        len(f["text"]) <= 2000 and f["text"].endswith("…") for b in fields for f in b["fields"]
    )
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [len(b["elements"]) for b in actions] == [25, 5]
    assert all(len(e["text"]["text"]) == 75 for b in actions for e in b["elements"])
    assert len(payload["text"]) == render.TEXT_MAX and payload["text"].endswith("…")


def test_a_cut_never_splits_an_escape_a_mention_or_a_link(sample: TeamConfig) -> None:
    text = "&" * 10 + mention_token("raj") + "[label](https://example.org)"
    for limit in range(1, 80):
        cut = render.mrkdwn(sample, text, limit)
        assert len(cut) <= limit
        body = cut.removesuffix("…")
        assert body.count("&") == body.count("&amp;")  # whole entities only
        assert "<@" not in body or "<@U0RAJ>" in body
        assert "<https" not in body or body.endswith(">")


def test_more_than_fifty_blocks_are_cut(sample: TeamConfig) -> None:
    message = Message(tuple(Divider() for _ in range(70)), "many")
    blocks = render.payload(sample, message)["blocks"]
    assert len(blocks) == render.MAX_BLOCKS
    assert blocks[-1]["type"] == "context"


def test_a_long_listing_is_split_into_sections_between_lines(sample: TeamConfig) -> None:
    items = tuple(f"T-{i} " + "y" * 90 for i in range(80))
    blocks = render.payload(sample, Message((Items(items),), "queue"))["blocks"]
    sections = [b["text"]["text"] for b in blocks]
    assert len(sections) > 1 and all(len(s) <= render.TEXT_MAX for s in sections)
    assert "\n".join(sections).count("• T-") == 80  # nothing lost


def test_slack_markup_comes_back_as_command_words(sample: TeamConfig) -> None:
    text = "<@U0BOT> ticket new VPN &lt;down&gt; &amp; out <#C1|network> | reporter: <@U0SAM|sam>"
    assert text_in(sample, text, "U0BOT") == (
        "ticket new VPN <down> & out #network | reporter: @sam"
    )
    assert text_in(sample, "<@U0NOBODY> <!here> <https://x.example/a|x.example>") == (
        "@U0NOBODY @here https://x.example/a"
    )
