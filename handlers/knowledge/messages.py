"""How entries look: the full entry, the review request, search results."""

from __future__ import annotations

from handlers.chat.model import Actions, Button, Header, Message, Text
from handlers.chat.texts import label, phrase, render
from handlers.config.team import TeamConfig
from storage.knowledge import KnowledgeEntry

APPROVE_ACTION, RETURN_ACTION = "kb.approve", "kb.return"


def _classes(config: TeamConfig, entry: KnowledgeEntry) -> dict[str, str]:
    k = config.knowledge
    found = {}
    for name, items, value in (
        ("system", k.systems, entry.system),
        ("problem_type", k.problem_types, entry.problem_type),
    ):
        item = next((c for c in items if c.id == value), None)
        found[name] = label(item) if item else (value or "")
    return found


def entry(config: TeamConfig, e: KnowledgeEntry) -> Message:
    body = render("kb_entry.md", e=e, classes=_classes(config, e), config=config)
    return Message((Header(phrase("kb.header", e=e)), Text(body)), phrase("kb.fallback", e=e))


def review_request(config: TeamConfig, e: KnowledgeEntry) -> Message:
    body = render("kb_entry.md", e=e, classes=_classes(config, e), config=config)
    buttons = (
        Button(phrase("button.kb_approve"), APPROVE_ACTION, e.key, style="primary"),
        Button(phrase("button.kb_return"), RETURN_ACTION, e.key),
    )
    return Message(
        (
            Text(phrase("kb.review_intro", e=e, hours=config.knowledge.review // 60)),
            Header(phrase("kb.header", e=e)),
            Text(body),
            Actions(buttons),
        ),
        phrase("kb.review_fallback", e=e),
    )


def results(config: TeamConfig, query: str, found: list[KnowledgeEntry]) -> Message:
    body = render(
        "kb_results.md",
        query=query,
        entries=found,
        classes={e.key: _classes(config, e) for e in found},
    )
    return Message((Text(body),), phrase("kb.results_fallback", query=query, count=len(found)))
