"""Knowledge entries (seed 003 §2.1.4): write one (a form or `/kb new`, also pre-filled from a
ticket), the knowledge manager's review (approve / return), show one, search.

An entry is submitted for review when written; the review clock (24 h by default) is
`schedules.knowledge_review`. Publishing puts it in the full-text index.
"""

from __future__ import annotations

from sqlmodel import Session

from handlers.chat.model import (
    Actor,
    Choice,
    Form,
    FormField,
    Message,
    Place,
    Post,
    Reply,
    Target,
)
from handlers.chat.refusals import Refused
from handlers.chat.texts import label, phrase
from handlers.commands.quality import KbReview
from handlers.config.team import Person, TeamConfig
from handlers.desk import Desk
from handlers.knowledge import messages
from handlers.knowledge.search import find
from handlers.knowledge.words import search_text
from storage import knowledge as store
from storage import tickets as ticket_repo
from storage.knowledge import KnowledgeEntry

FORM_ID = "kb.new"
ELEMENTS = ("problem", "steps", "solution", "prevention", "related")
TITLE_MAX = 300


def reviewers(config: TeamConfig) -> list[Person]:
    return [p for p in config.people if p.holds(config.knowledge.reviewer)]


def form(config: TeamConfig, initial: dict[str, str] | None = None) -> Form:
    values = initial or {}
    k = config.knowledge

    def choices(items: tuple) -> tuple[Choice, ...]:  # type: ignore[type-arg]
        return tuple(Choice(c.id, label(c)) for c in items)

    fields = [
        FormField(
            "title", phrase("kb.field.title"), required=True, initial=values.get("title", "")
        ),
        *(
            FormField(
                name,
                phrase(f"kb.field.{name}"),
                kind="multiline",
                required=name in ("problem", "solution"),
                initial=values.get(name, ""),
            )
            for name in ELEMENTS
        ),
        *(
            FormField(
                name,
                phrase(f"kb.field.{name}"),
                kind="select",
                choices=choices(items),
                initial=values.get(name, ""),
            )
            for name, items in (("system", k.systems), ("problem_type", k.problem_types))
        ),
        FormField("ticket", phrase("kb.field.ticket"), initial=values.get("ticket", "")),
    ]
    return Form(
        FORM_ID,
        phrase("kb.form.title"),
        phrase("kb.form.submit"),
        tuple(fields),
        phrase("kb.form.hint"),
    )


def draft_from_ticket(desk: Desk, scope: str, number: int) -> dict[str, str]:
    """A ticket's summary, what was tried, root cause and resolution as a new entry's fields:
    what the Resolve form's "Save as knowledge" choice pre-fills."""
    with desk.reading() as session:
        ticket = ticket_repo.get(session, scope, number)
    if ticket is None:
        raise Refused(phrase("error.unknown_ticket", key=f"T-{number}"))
    problem = "\n".join(x for x in (ticket.description, ticket.environment) if x) or ticket.summary
    steps = "\n".join(x for x in (ticket.tried, ticket.root_cause) if x)
    return {
        "title": ticket.summary,
        "problem": problem,
        "steps": steps,
        "solution": ticket.resolution,
        "ticket": ticket.key,
    }


def new_form(desk: Desk, place: Place, ticket: int | None) -> Reply:
    initial = draft_from_ticket(desk, place.channel.scope, ticket) if ticket else None
    return Reply(form=form(desk.config, initial))


def _validate(config: TeamConfig, values: dict[str, str]) -> dict[str, str]:
    v = {k: (val or "").strip() for k, val in values.items()}
    errors: dict[str, str] = {}
    if not v.get("title"):
        errors["title"] = phrase("error.kb_title_missing")
    elif len(v["title"]) > TITLE_MAX:
        errors["title"] = phrase("error.summary_long", limit=TITLE_MAX, length=len(v["title"]))
    for name in ("problem", "solution"):
        if not v.get(name):
            errors[name] = phrase("error.kb_element_missing", element=phrase(f"kb.field.{name}"))
    for name, items in (
        ("system", config.knowledge.systems),
        ("problem_type", config.knowledge.problem_types),
    ):
        given = v.get(name, "").lower()
        known = [c.id for c in items]
        if given and given not in known:
            errors[name] = phrase("error.unknown_class", given=given, known=known)
        v[name] = given
    ticket = v.get("ticket", "").upper().removeprefix("T-")
    if ticket and not ticket.isdigit():
        errors["ticket"] = phrase("error.bad_id", given=v["ticket"])
    v["ticket"] = ticket
    if errors:
        raise EntryErrors(errors)
    return v


class EntryErrors(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = errors


def submit(
    desk: Desk, actor: Actor, place: Place, values: dict[str, str], from_form: bool
) -> Reply:
    """A new entry, submitted for review: the knowledge managers get it with the buttons."""
    config = desk.config
    try:
        v = _validate(config, values)
    except EntryErrors as exc:
        if from_form:
            return Reply(form=form(config, values), form_errors=exc.errors, ok=False)
        raise Refused(
            phrase("error.with_usage", reason=str(exc), usage=phrase("usage.kb.new"))
        ) from exc
    now, scope = desk.now(), place.channel.scope
    with desk.writing() as session:
        entry = KnowledgeEntry(
            scope=scope,
            number=0,
            title=v["title"],
            **{name: v.get(name, "") for name in ELEMENTS},
            system=v["system"] or None,
            problem_type=v["problem_type"] or None,
            ticket_number=int(v["ticket"]) if v["ticket"] else None,
            author=actor.key,
            search_text=search_text(v["title"], *(v.get(n, "") for n in ELEMENTS)),
            submitted_at=now,
        )
        store.add(session, entry)
        people = reviewers(config)
        for person in people:
            post = Post(
                Target("person", person.id),
                messages.review_request(config, entry),
                f"{scope}:{entry.key}:review:{person.id}",
            )
            desk.post(session, actor.ref.platform, scope, post)
    return Reply(Message.text(phrase("done.kb_new", e=entry, reviewers=people)), ephemeral=False)


def review(desk: Desk, actor: Actor, place: Place, request: KbReview) -> Reply:
    config, now, scope = desk.config, desk.now(), place.channel.scope
    allowed = (config.knowledge.reviewer, config.knowledge.escalate_to)
    if actor.person is None or not any(actor.person.holds(r) for r in allowed):
        raise Refused(phrase("refused.kb_review", key=f"KB-{request.number}"))
    with desk.writing() as session:
        entry = _get(session, scope, request.number, lock=True)
        if entry.status != "submitted":
            raise Refused(phrase("refused.kb_not_submitted", e=entry))
        entry.status = "published" if request.approve else "returned"
        entry.reviewer, entry.reviewed_at = actor.key, now
        entry.review_comment = request.comment
        if request.approve:
            entry.published_at = now
        session.add(entry)
        session.flush()
        if request.approve:
            store.index(session, entry)
        author = config.person(entry.author)
        if author is not None and author.id != actor.key:
            post = Post(
                Target("person", author.id),
                Message.text(phrase("kb.reviewed", e=entry, reviewer=actor.name)),
                f"{scope}:{entry.key}:reviewed",
            )
            desk.post(session, actor.ref.platform, scope, post)
    done = "done.kb_approve" if request.approve else "done.kb_return"
    return Reply(Message.text(phrase(done, e=entry)), ephemeral=False)


def show(desk: Desk, place: Place, number: int) -> Reply:
    with desk.reading() as session:
        entry = _get(session, place.channel.scope, number)
    return Reply(messages.entry(desk.config, entry))


def search(desk: Desk, place: Place, text: str) -> Reply:
    with desk.reading() as session:
        found = find(session, place.channel.scope, text)
    return Reply(messages.results(desk.config, text, found))


def _get(session: Session, scope: str, number: int, lock: bool = False) -> KnowledgeEntry:
    entry = store.get(session, scope, number, lock=lock)
    if entry is None:
        raise Refused(phrase("error.unknown_entry", key=f"KB-{number}"))
    return entry


def check_reference(desk: Desk, scope: str, number: int) -> None:
    """A resolution may name only a published entry of the team."""
    with desk.reading() as session:
        entry = _get(session, scope, number)
    if entry.status != "published":
        raise Refused(phrase("refused.kb_unpublished", e=entry))
