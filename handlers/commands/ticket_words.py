"""The words of a ticket command after its verb: tags, `| name: value` sections, mentions.

Shared by `ticket new` and `ticket edit` (the same fields, the same spelling) and by the
verbs that name a person (`dispatch`, `assign`) or a close reason (`close`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from handlers.chat.texts import Md, phrase
from handlers.config.base import PRIORITIES
from handlers.config.team import Person, TeamConfig

CATEGORY_TAG = re.compile(r"^#([^\W\d][\w-]*)$")  # #network, #网络类; not #3
MENTION = re.compile(r"^@([\w.:@-]+?)[,.;:!?]*$")
_PRIORITY_LIKE = re.compile(r"^p\d+$", re.IGNORECASE)
_TICKET_ID = re.compile(r"^(?:t-?)?(\d{1,9})$", re.IGNORECASE)
# `|` separates sections with or without spaces around it.
_SECTION_BAR = re.compile(r"\s*\|\s*")
SECTION_NAMES = {
    "desc": "description",
    "description": "description",
    "env": "environment",
    "environment": "environment",
    "tried": "tried",
    "reporter": "reporter",
    "link": "links",
    "links": "links",
}
CLOSE_REASONS = {
    "duplicate": "duplicate",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "not-reproducible": "not_reproducible",
    "not_reproducible": "not_reproducible",
}

Fail = Callable[[Md], Exception]  # builds the ParseError with the verb's usage


def fields(text: str, fail: Fail) -> tuple[dict[str, str], list[str]]:
    """Raw field values from tags and sections, and the words left for the summary.

    Several `link:` sections add up (space-separated) instead of replacing each other.
    """
    head, *sections = [s for s in _SECTION_BAR.split(text.strip())]
    values: dict[str, str] = {}
    summary: list[str] = []
    for word in head.split():
        lower = word.lower()
        if CATEGORY_TAG.match(word):
            values["category"] = word  # an unknown one is an error, never summary text
        elif lower in PRIORITIES:
            values["priority"] = lower
        elif _PRIORITY_LIKE.match(word):
            raise fail(phrase("error.bad_priority", given=lower, known=PRIORITIES))
        elif lower.startswith("via:"):
            values["intake"] = lower
        else:
            summary.append(word)
    for section in sections:
        if not section:
            continue
        key, sep, value = section.partition(":")
        name = SECTION_NAMES.get(key.strip().lower())
        if not sep or name is None:
            raise fail(phrase("error.bad_section", given=section, known=sorted(set(SECTION_NAMES))))
        value = value.strip()
        if name == "links" and values.get("links"):
            value = f"{values['links']} {value}"
        values[name] = value
    return values, summary


def person(config: TeamConfig, given: str) -> Person | None:
    """A mention as the adapters leave it: `@personid`, or a platform's user id."""
    return (
        config.person(given.lower())
        or config.find_person("slack", given)
        or config.find_person("teams", given)
    )


def leading_mention(config: TeamConfig, text: str, fail: Fail) -> tuple[str | None, str]:
    """An `@person` at the start of the text: their id, and the rest of the text."""
    words = text.split(None, 1)
    if not words or not (mention := MENTION.match(words[0])):
        return None, text
    found = person(config, mention.group(1))
    if found is None:
        raise fail(phrase("error.unknown_person", given=mention.group(1)))
    return found.id, (words[1].strip() if len(words) > 1 else "")


def close_reason(text: str, fail: Fail) -> tuple[str, int | None, str]:
    """`duplicate T-2`, `cancelled REASON`, `not-reproducible`, or nothing: (reason, of, text)."""
    words = text.split(None, 1)
    if not words:
        return "", None, ""
    reason = CLOSE_REASONS.get(words[0].lower())
    rest = words[1].strip() if len(words) > 1 else ""
    if reason is None:
        raise fail(phrase("error.bad_close_reason", given=words[0]))
    if reason == "duplicate":
        match = _TICKET_ID.match(rest.split(None, 1)[0]) if rest else None
        if match is None:
            raise fail(phrase("error.duplicate_of_missing"))
        return reason, int(match.group(1)), ""
    if reason == "cancelled" and not rest:
        raise fail(phrase("error.cancel_reason_missing"))
    return reason, None, rest
