"""Where posts about a ticket go: its queue card, the card's thread, a person's DMs."""

from __future__ import annotations

from handlers.chat.model import Message, Post, Target
from storage.models import Ticket


def card_key(ticket: Ticket) -> str:
    """The dedupe key of a ticket's queue card: threads and edits point at it."""
    return f"{ticket.scope}:{ticket.key}:card"


def in_thread(ticket: Ticket, markdown: str, key: str) -> Post:
    """A text reply under the ticket's queue card."""
    return Post(Target("channel", "queue", thread=card_key(ticket)), Message.text(markdown), key)


def dm(person_id: str, message: Message | str, key: str) -> Post:
    body = Message.text(message) if isinstance(message, str) else message
    return Post(Target("person", person_id), body, f"{key}:{person_id}")
