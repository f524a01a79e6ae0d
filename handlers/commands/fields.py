"""The fields of a new ticket and their rules, shared by the text command and every form."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from handlers.chat import language
from handlers.chat.model import Choice, Form, FormField, clean_input
from handlers.chat.texts import label, phrase
from handlers.config.base import INTAKES, PRIORITIES
from handlers.config.team import TeamConfig

# The longest value each field takes, in characters: one limit per field, enforced here for
# the text command and every form, given to the forms' inputs, and equal to the column
# lengths in storage.models (tests/test_fields.py pins them equal).
LIMITS: dict[str, int] = {
    "summary": 300,
    "description": 4000,
    "environment": 2000,
    "reporter": 200,
    "tried": 4000,
    "links": 2000,
}
SUMMARY_MAX = LIMITS["summary"]
TEXT_MAX = 4000  # the free text after a ticket verb: a note, a root cause, a resolution
_URL = re.compile(r"^https?://\S+$")
_VIA = re.compile(r"^via:", re.IGNORECASE)
_LINK_GAP = re.compile(r"[\s,]+")
# Characters no chat client sends on purpose, and PostgreSQL refuses in text (NUL), or that
# cannot be stored as UTF-8 (lone surrogates). Tab and line breaks are fine.
_UNFIT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def unfit_character(text: str) -> str | None:
    """The reason a text cannot be taken, when it holds a character that cannot be stored."""
    found = _UNFIT.search(text)
    if found is None:
        return None
    return phrase("error.bad_character", code=f"U+{ord(found.group()):04X}", at=found.start() + 1)


def too_long(name: str, value: str, limit: int | None = None) -> str | None:
    """The reason a field's value is too long, if it is."""
    limit = limit or LIMITS[name]
    if len(value) <= limit:
        return None
    if name == "summary":
        return phrase("error.summary_long", limit=limit, length=len(value))
    label = phrase(f"field.{name}")
    return phrase("error.field_long", field=label, limit=limit, length=len(value))


@dataclass(frozen=True)
class NewTicket:
    summary: str
    category: str | None = None
    priority: str = "p3"
    intake: str = "chat"
    description: str = ""
    environment: str = ""
    reporter: str = ""
    tried: str = ""
    links: tuple[str, ...] = ()


@dataclass
class FieldErrors(Exception):
    """Per-field reasons; a form shows them inline, a text command its first one."""

    errors: dict[str, str] = field(default_factory=dict)

    def first(self) -> str:
        return next(iter(self.errors.values()))


def unknown_category(config: TeamConfig, given: str) -> str:
    """The one explanation of a category that is not configured, with the ones that are."""
    return phrase("error.unknown_category", given=given, known=known_tags(config))


def validate(values: dict[str, str], config: TeamConfig) -> NewTicket:
    """Check raw field values (strings) and build a NewTicket, or raise FieldErrors."""
    # (empty values skipped: most of an imported row's fields are)
    v = {k: clean_input(val).strip() if val else "" for k, val in values.items() if val is not None}
    errors: dict[str, str] = {}
    for name, value in v.items():
        if not value:
            continue
        reason = unfit_character(value) or (too_long(name, value) if name in LIMITS else None)
        if reason:
            errors[name] = reason
    summary = v.get("summary", "")
    if not summary:
        errors["summary"] = phrase("error.summary_missing")
    given = v.get("category", "").removeprefix("#")
    found = config.find_category(given) if given else None
    category = found.id if found else None
    if given and found is None:
        errors["category"] = unknown_category(config, given)
    priority = v.get("priority", "").lower() or "p3"
    if priority not in PRIORITIES:
        errors["priority"] = phrase("error.bad_priority", given=priority, known=PRIORITIES)
    given_intake = _VIA.sub("", v.get("intake", "")) or "chat"
    intake = config.find_intake(given_intake) or given_intake
    if intake not in INTAKES:
        errors["intake"] = phrase("error.bad_intake", given=given_intake, known=INTAKES)
    links = tuple(x for x in _LINK_GAP.split(v.get("links", "")) if x)
    bad = [x for x in links if not _URL.match(x)]
    if bad and "links" not in errors:
        errors["links"] = phrase("error.bad_link", given=bad[0])
    if errors:
        raise FieldErrors(errors)
    return NewTicket(
        summary=summary,
        category=category,
        priority=priority,
        intake=intake,
        description=v.get("description", ""),
        environment=v.get("environment", ""),
        reporter=v.get("reporter", "").removeprefix("@"),
        tried=v.get("tried", ""),
        links=links,
    )


def known_tags(config: TeamConfig) -> list[str]:
    """The category tags to suggest, as the reader would type them (`网络类` or `network`)."""
    chinese = language.current() == "zh"
    return [c.name_zh if chinese and c.name_zh else c.id for c in config.categories]


def missing_key_fields(ticket: object) -> list[str]:
    """Key fields a ticket lacks (domain: description accuracy ≥ 95 %); shown as a flag."""
    wanted = ("description", "environment")
    return [name for name in wanted if not getattr(ticket, name, "")]


def new_ticket_form(config: TeamConfig, initial: dict[str, str] | None = None) -> Form:
    initial = initial or {}

    def f(name: str, kind: str = "text", required: bool = False, choices=()) -> FormField:  # type: ignore[no-untyped-def]
        return FormField(
            name=name,
            label=phrase(f"field.{name}"),
            kind=kind,  # type: ignore[arg-type]
            required=required,
            choices=tuple(choices),
            initial=initial.get(name, ""),
            max_length=LIMITS.get(name),
        )

    return Form(
        form_id="ticket.new",
        title=phrase("form.new_ticket.title"),
        submit_label=phrase("form.new_ticket.submit"),
        fields=(
            f("summary", required=True),
            f("description", "multiline"),
            f("category", "select", choices=[Choice(c.id, label(c)) for c in config.categories]),
            f("priority", "select", choices=[Choice(p, p.upper()) for p in PRIORITIES]),
            f("intake", "select", choices=[Choice(i, phrase(f"intake.{i}")) for i in INTAKES]),
            f("environment", "multiline"),
            f("reporter", "person"),
            f("tried", "multiline"),
            f("links"),
        ),
        hint=phrase("form.new_ticket.hint"),
    )
