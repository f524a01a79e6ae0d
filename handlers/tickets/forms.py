"""The forms behind a ticket card's buttons: Resolve, Dispatch, Edit; and the Take-over
question. A form's id carries its ticket (`ticket.resolve:T-3`); submitting it runs the same
use case as the text command, and bad values come back as errors beside their fields.
"""

from __future__ import annotations

from handlers.chat.model import (
    Actions,
    Actor,
    Button,
    Choice,
    Form,
    FormField,
    Message,
    Place,
    Reply,
    Text,
)
from handlers.chat.refusals import Refused
from handlers.chat.texts import phrase
from handlers.commands.fields import FieldErrors, new_ticket_form
from handlers.commands.grammar import TicketVerb
from handlers.config.team import TeamConfig
from handlers.desk import Desk
from handlers.knowledge import entries as knowledge
from handlers.tickets import changes, lifecycle, permissions, workflow
from handlers.tickets.lifecycle import DISPATCHED
from storage import tickets as repo
from storage.models import Ticket

FORM_VERBS = ("resolve", "dispatch", "edit")
TAKE_OVER = "ticket.take_over"  # the confirmed press of Take on someone else's ticket
POOL = "pool"
SAVE_AS_KNOWLEDGE = "save_as_knowledge"  # the Resolve form's choice: go on to a KB entry


def form_id(verb: str, key: str) -> str:
    return f"ticket.{verb}:{key}"


def open_form(desk: Desk, place: Place, verb: str, key: str) -> Reply:
    """The form a card's button opens, pre-filled from the ticket."""
    t = _ticket(desk, place, key)
    lifecycle.move(verb, t.key, t.status, t.assignee is not None)  # refuse before the form
    return Reply(form=_form(desk.config, verb, t, {}))


def confirm_take(desk: Desk, actor: Actor, place: Place, key: str) -> Reply | None:
    """Take pressed on a ticket someone else holds: ask first. None: just take it."""
    t = _ticket(desk, place, key)
    if not t.assignee or t.assignee == actor.key:
        return None
    holder = desk.config.person(t.assignee)
    question = phrase("confirm.take_over", key=t.key, person=holder.name if holder else t.assignee)
    button = Button(phrase("button.take_over"), TAKE_OVER, t.key, style="primary")
    return Reply(Message((Text(question), Actions((button,))), question))


def submit(desk: Desk, actor: Actor, place: Place, form: str, values: dict[str, str]) -> Reply:
    verb, _, key = form.removeprefix("ticket.").partition(":")
    t = _ticket(desk, place, key)
    values = {k: (v or "").strip() for k, v in values.items()}
    try:
        requests = _requests(desk.config, verb, t, values)
    except FieldErrors as exc:
        return Reply(form=_form(desk.config, verb, t, values), form_errors=exc.errors, ok=False)
    # every step allowed before the first one runs: no root cause recorded by someone the
    # resolution is then refused to
    for request in requests:
        lifecycle.move(request.verb, t.key, t.status, t.assignee is not None)
        permissions.check(desk.config, actor, request.verb, t)
    reply = Reply()
    for request in requests:
        reply = workflow.act(desk, actor, place, request)
    if verb == "resolve" and reply.ok and values.get(SAVE_AS_KNOWLEDGE) == "yes":
        # on to the knowledge entry, pre-filled from what the ticket now says
        entry = knowledge.new_form(desk, place, t.number)
        return Reply(reply.message, reply.ephemeral, form=entry.form)
    return reply


def _requests(config: TeamConfig, verb: str, t: Ticket, v: dict[str, str]) -> list[TicketVerb]:
    """The use-case requests a filled form stands for, or FieldErrors."""
    if verb == "resolve":
        if not v.get("resolution"):
            raise FieldErrors({"resolution": phrase("error.missing_resolution")})
        first = []
        if v.get("root_cause") and v["root_cause"] != t.root_cause:
            first = [TicketVerb("rca", t.number, v["root_cause"])]
        return [*first, TicketVerb("resolve", t.number, v["resolution"])]
    if verb == "dispatch":
        category = v.get("category", "").removeprefix("#").lower()
        if not category or config.category(category) is None:
            raise FieldErrors({"category": phrase("error.dispatch_category_missing")})
        experts = config.experts(category)
        if not experts:
            raise FieldErrors(
                {"category": phrase("refused.no_experts", key=t.key, category=category)}
            )
        person = v.get("expert", "") or POOL
        if person != POOL and (named := config.person(person)) not in experts:
            person = named.name if named else person
            raise FieldErrors(
                {
                    "expert": phrase(
                        "refused.not_an_expert",
                        key=t.key,
                        person=person,
                        category=category,
                        experts=experts,
                    )
                }
            )
        return [
            TicketVerb(
                "dispatch",
                t.number,
                v.get("tried", ""),
                category,
                person=None if person == POOL else person,
            )
        ]
    if verb == "edit":
        submitted = {k: val for k, val in v.items() if k in changes.EDITABLE}
        changes.merged(t, submitted, config)  # raises FieldErrors for the form
        wanted = {k: val for k, val in submitted.items() if val != changes.current_values(t).get(k)}
        return [TicketVerb("edit", t.number, changes=tuple(wanted.items()))]
    raise Refused(phrase("error.unknown_form", given=f"ticket.{verb}"))


def _form(config: TeamConfig, verb: str, t: Ticket, values: dict[str, str]) -> Form:
    def field(
        name: str,
        kind: str = "multiline",
        required: bool = False,
        choices: tuple[Choice, ...] = (),
        initial: str = "",
    ) -> FormField:
        return FormField(
            name=name,
            label=phrase(f"field.{name}"),
            kind=kind,  # type: ignore[arg-type]
            required=required,
            choices=choices,
            initial=values.get(name, initial),
        )

    key = t.key
    if verb == "resolve":
        fields = [field("resolution", required=True, initial=t.resolution)]
        if t.status == DISPATCHED or t.dispatched_at is not None:
            fields.append(field("root_cause", initial=t.root_cause))
        yes_no = (Choice("no", phrase("choice.no")), Choice("yes", phrase("choice.yes")))
        fields.append(field(SAVE_AS_KNOWLEDGE, "select", choices=yes_no, initial="no"))
    elif verb == "dispatch":
        experts = [p for p in config.people if p.specialties]
        fields = [
            field(
                "category",
                "select",
                required=True,
                choices=tuple(Choice(c.id, c.name) for c in config.categories),
                initial=t.category or "",
            ),
            field(
                "expert",
                "select",
                choices=(
                    Choice(POOL, phrase("choice.pool")),
                    *(Choice(p.id, f"{p.name} ({', '.join(p.specialties)})") for p in experts),
                ),
                initial=POOL,
            ),
            field("tried", initial=t.tried),
        ]
    else:
        base = new_ticket_form(config, {**changes.current_values(t), **values})
        return Form(
            form_id(verb, key),
            phrase("form.edit.title", key=key),
            phrase("form.edit.submit"),
            base.fields,
            phrase("form.edit.hint", key=key),
        )
    return Form(
        form_id(verb, key),
        phrase(f"form.{verb}.title", key=key),
        phrase(f"form.{verb}.submit"),
        tuple(fields),
        phrase(f"form.{verb}.hint", key=key),
    )


def _ticket(desk: Desk, place: Place, key: str) -> Ticket:
    number = key.upper().removeprefix("T-")
    with desk.reading() as session:
        t = repo.get(session, place.channel.scope, int(number)) if number.isdigit() else None
        if t is None:
            raise Refused(phrase("error.unknown_ticket", key=key))
        session.expunge(t)
    return t
