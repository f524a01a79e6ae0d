"""What a huddle says: its card, the warning, time's up, the reminder, the outcome, the form."""

from __future__ import annotations

import datetime as dt

from handlers.chat.model import Actions, Button, Context, Form, FormField, Header, Message, Text
from handlers.chat.texts import Md, mention, name, phrase, render
from handlers.config.team import TeamConfig
from handlers.huddles.links import Room
from handlers.huddles.people import Participants
from storage.huddles import Huddle
from storage.models import Ticket

OUTCOME_FORM = "huddle.outcome"
OUTCOME_ACTION = "huddle.outcome"


def local_time(config: TeamConfig, when: dt.datetime) -> str:
    return when.astimezone(config.team.zone).strftime("%H:%M")


def _outcome_button(key: str) -> Button:
    return Button(phrase("button.huddle_outcome"), OUTCOME_ACTION, key, style="primary")


def card(
    config: TeamConfig,
    ticket: Ticket,
    huddle: Huddle,
    who: Participants,
    caller: str,
    caller_id: str,
    platform: str,
    room: Room | None,
    fell_back: bool = False,
) -> Message:
    """The huddle card in the ticket's thread."""
    ends = local_time(config, huddle.ends_at)
    url = room.url if room else None
    category = config.category(ticket.category) if ticket.category else None
    body = render(
        "huddle_card.md",
        t=ticket,
        category=category,
        caller=caller,
        # everyone is pinged but the caller, who knows already
        people=Md(", ".join(name(p) if p.id == caller_id else mention(p) for p in who.reachable)),
        minutes=int((huddle.ends_at - huddle.started_at).total_seconds() // 60),
        ends=ends,
        zone=config.team.timezone,
        url=url,
    )
    blocks: list = [Header(phrase("huddle.header", key=ticket.key, topic=huddle.topic)), Text(body)]
    notes: list[Md] = []
    if who.unreachable:
        notes.append(
            phrase(
                "huddle.unreachable",
                platform=phrase(f"platform.{platform}"),
                people=who.unreachable,
            )
        )
    if room is None:
        notes.append(phrase("huddle.no_link"))
    else:
        if fell_back:
            notes.append(phrase("huddle.link_fallback"))
        if room.kind in ("slack_huddle", "teams_call", "teams_meeting"):
            notes.append(
                phrase(
                    f"huddle.how.{room.kind}",
                    channel=config.channels.queue.name,
                    caller=caller,
                )
            )
    blocks += [Context(note) for note in notes]
    buttons = [_outcome_button(ticket.key)]
    if url:
        buttons.insert(0, Button(phrase("button.huddle_join"), "huddle.join", ticket.key, url=url))
    blocks.append(Actions(tuple(buttons)))
    fallback = phrase("huddle.fallback", key=ticket.key, ends=ends, topic=huddle.topic, url=url)
    return Message(tuple(blocks), fallback)


def ended_card(config: TeamConfig, ticket: Ticket, huddle: Huddle, actor: str) -> Message:
    """The card once the outcome is in: no join link, no button, the outcome."""
    assert huddle.outcome_at is not None
    body = render(
        "huddle_ended.md",
        outcome=huddle.outcome,
        actor=actor,
        at=local_time(config, huddle.outcome_at),
        zone=config.team.timezone,
    )
    return Message(
        (Header(phrase("huddle.header_ended", key=ticket.key, topic=huddle.topic)), Text(body)),
        phrase("huddle.ended_fallback", key=ticket.key, outcome=huddle.outcome),
    )


def warning(config: TeamConfig, ticket_key: str, huddle: Huddle) -> Message:
    people = [p for pid in huddle.participants if (p := config.person(pid))]
    minutes = config.time_rules.huddle_warning_before
    text = phrase(
        "huddle.warning", minutes=minutes, key=ticket_key, topic=huddle.topic, people=people
    )
    return Message(
        (Text(text),), phrase("huddle.warning_fallback", minutes=minutes, key=ticket_key)
    )


def times_up(config: TeamConfig, ticket_key: str, huddle: Huddle) -> Message:
    people = [p for pid in huddle.participants if (p := config.person(pid))]
    text = render("huddle_times_up.md", key=ticket_key, topic=huddle.topic, people=people)
    return Message(
        (Text(text), Actions((_outcome_button(ticket_key),))),
        phrase("huddle.times_up_fallback", key=ticket_key),
    )


def reminder(ticket_key: str, huddle: Huddle, now: dt.datetime) -> Message:
    text = render(
        "huddle_reminder.md", key=ticket_key, topic=huddle.topic, ago=now - huddle.ends_at
    )
    return Message(
        (Text(text), Actions((_outcome_button(ticket_key),))),
        phrase("huddle.reminder_fallback", key=ticket_key),
    )


def outcome_post(ticket_key: str, actor: str, outcome: str) -> Message:
    text = phrase("huddle.outcome_post", key=ticket_key, actor=actor, outcome=outcome)
    return Message.text(text)


def outcome_text(decision: str, owner: str, next_step: str) -> str:
    """The outcome as one line of plain text: it is stored, and escaped when shown."""
    return str(
        phrase(
            "huddle.outcome_text", decision=Md(decision), owner=Md(owner), next_step=Md(next_step)
        )
    )


def outcome_form(ticket_key: str, initial: dict[str, str] | None = None) -> Form:
    initial = initial or {}

    def field(name: str, kind: str = "text", required: bool = False) -> FormField:
        return FormField(
            name=name,
            label=phrase(f"field.{name}"),
            kind=kind,  # type: ignore[arg-type]
            required=required,
            initial=initial.get(name, ticket_key if name == "ticket" else ""),
        )

    return Form(
        form_id=OUTCOME_FORM,
        title=phrase("form.huddle_outcome.title", key=ticket_key),
        submit_label=phrase("form.huddle_outcome.submit"),
        fields=(
            field("ticket", required=True),
            field("decision", "multiline", required=True),
            field("owner", "person"),
            field("next_step", "multiline"),
        ),
        hint=phrase("form.huddle_outcome.hint", key=ticket_key),
    )
