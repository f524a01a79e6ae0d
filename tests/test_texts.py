"""Templates and the Markdown subset: user text stays literal, mentions only via the function."""

from __future__ import annotations

from bot import markdown
from handlers.chat.model import mention_token, mentioned_ids
from handlers.chat.texts import escape_md, phrase, render


def test_user_values_are_escaped_as_markdown() -> None:
    text = phrase("card.header", t=type("T", (), {"key": "T-1", "summary": "*boom* _x_ [a](b)"}))
    spans = markdown.spans(text)
    assert [s.kind for s in spans] == ["text"]
    assert spans[0].text == "T-1 · *boom* _x_ [a](b)"


def test_markdown_subset_parses_to_spans() -> None:
    text = f"**T-1** is _late_, see [the card](https://x.example/1) and ping {mention_token('raj')}"
    kinds = [(s.kind, s.text) for s in markdown.spans(text)]
    assert kinds == [
        ("bold", "T-1"),
        ("text", " is "),
        ("italic", "late"),
        ("text", ", see "),
        ("link", "the card"),
        ("text", " and ping "),
        ("mention", "raj"),
    ]


def test_snake_case_words_are_not_italic() -> None:
    assert [s.kind for s in markdown.spans("in_progress and first_response")] == ["text"]


def test_mention_inside_bold_is_still_a_mention() -> None:
    spans = markdown.spans(f"**{mention_token('mei')} decides**")
    assert [(s.kind, s.text) for s in spans] == [("mention", "mei"), ("bold", " decides")]


def test_forged_sentinels_are_removed() -> None:
    forged = f"hello {mention_token('mei')}"
    assert mentioned_ids(escape_md(forged)) == []


def test_help_lists_every_command() -> None:
    body = render("help.md", topic="")
    for command in ("/ticket", "/queue", "/raci", "/roster", "/help"):
        assert command in body


def test_no_phrase_is_defined_twice() -> None:
    """YAML keeps the last of two equal keys without a word; a merge can leave one behind."""
    import collections
    import re
    from importlib.resources import files

    source = (files("handlers.chat") / "templates" / "phrases.yaml").read_text("utf-8")
    keys = re.findall(r"^([\w.]+):", source, re.MULTILINE)
    assert [k for k, n in collections.Counter(keys).items() if n > 1] == []


def test_phrases_filled_without_jinja_read_as_jinja_renders_them() -> None:
    """Phrases that only print values skip Jinja (`texts._fill`); every one of them, in
    every language, reads exactly as Jinja renders it: escaped text, names, numbers, None."""
    from handlers.chat import catalogs, language, texts

    class Probe(str):
        """Text with Markdown specials whose every attribute is more of it (or a number,
        or nothing), whatever the path a phrase prints."""

        def __getattr__(self, name: str) -> object:
            if name.startswith("__"):
                raise AttributeError(name)
            return {"number": 7, "assignee": None}.get(name, Probe(f"{self}.{name}_[x]*"))

    values = {"channel": "help_desk*", "count": 3, "person": escape_md("A*B")}
    filled = 0
    for lang in ["en", *catalogs.CATALOG_DIRS]:
        with language.speaking(lang, False):
            for key in texts.english_phrases():
                parts = texts._plain_parts(key, lang)
                if parts is None or len(parts) < 2:
                    continue
                dotted = {p[0] for _, p in parts if len(p) > 1}
                context = {
                    p[0]: Probe(f"*{p[0]}") if p[0] in dotted else values.get(p[0], Probe(p[0]))
                    for _, p in parts
                    if p
                }
                jinja = texts._template(f"phrase:{key}", lang).render(**context).strip()
                assert phrase(key, **context) == jinja, (lang, key)
                filled += 1
    assert filled > 50
