"""A ticket's audit trail as lines a person reads: who did what, and what changed."""

from __future__ import annotations

from typing import Any

from handlers.chat.texts import Md, event_name, phrase
from handlers.config.team import TeamConfig
from storage.models import TicketEvent

# The detail that says most about an event of each kind, shown after its name.
_TEXT_KEYS = ("text", "resolution", "tried", "reason", "outcome", "topic")


def lines(config: TeamConfig, events: list[TicketEvent]) -> list[Md]:
    out: list[Md] = []
    for e in events:
        at = e.at.astimezone(config.team.zone).strftime("%Y-%m-%d %H:%M")
        who = _name(config, e.actor)
        if e.kind == "edit":
            out += [
                phrase("history.change", at=at, field=phrase(f"field.{f}"), who=who, old=o, new=n)
                for f, o, n in e.detail.get("changes", [])
            ]
            continue
        text = next((str(e.detail[k]) for k in _TEXT_KEYS if e.detail.get(k)), "")
        text = text or _quality_detail(e.detail)
        out.append(phrase("history.line", at=at, what=_what(config, e), who=who, text=text))
    return out


def _quality_detail(detail: dict[str, Any]) -> str:
    """A satisfaction score or a QA check, as the history says it."""
    if detail.get("score"):
        comment = f" ({detail['comment']})" if detail.get("comment") else ""
        return f"{detail['score']}/5{comment}"
    if detail.get("check"):
        return f"{detail['check']} {'pass' if detail['passed'] else 'fail'}"
    return ""


def _what(config: TeamConfig, e: TicketEvent) -> Md:
    d = e.detail
    previous = d.get("previous_assignee")
    if e.kind == "take" and previous and previous != e.actor:
        return phrase("history.taken_from", previous=_name(config, previous))
    if e.kind == "assign":
        return phrase(
            "history.assigned",
            person=_name(config, d.get("assignee") or ""),
            previous=_name(config, previous) if previous else "",
        )
    if e.kind == "dispatch" and "assignee" in d:
        assignee = d.get("assignee")
        return phrase("history.dispatched_to", person=_name(config, assignee) if assignee else "")
    if e.kind == "close" and d.get("close_reason"):
        return phrase(
            "history.closed_because",
            reason=phrase(f"close_reason.{d['close_reason']}"),
            other=d.get("duplicate_of", ""),
        )
    return event_name(e.kind)


def _name(config: TeamConfig, key: str) -> str:
    person = config.person(key)
    return person.name if person else key
