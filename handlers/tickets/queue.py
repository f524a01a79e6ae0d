"""`/queue`: the unassigned pool (or mine / all / one category), oldest first."""

from __future__ import annotations

from handlers.chat.model import Actor, Message, Place, Reply, Text
from handlers.chat.texts import phrase, render
from handlers.commands.grammar import QueueView
from handlers.desk import Desk
from handlers.tickets import clocks
from storage import tickets as repo
from storage.models import Ticket

LIMIT = 50


def listing(
    desk: Desk,
    scope: str,
    view: str = "unassigned",
    *,
    assignee: str | None = None,
    category: str | None = None,
    tickets: list[Ticket] | None = None,
) -> Message:
    """The queue as a message; also what the scheduled reminders post.

    `tickets`: the view already read (`repo.queue`, LIMIT + 1 rows), as the reminders do to
    see first whether the pool is empty.
    """
    now = desk.now()
    if tickets is None:
        with desk.reading() as session:
            tickets = repo.queue(
                session,
                scope,
                unassigned_only=view == "unassigned",
                assignee=assignee,
                category=category,
                limit=LIMIT + 1,
            )
    rows = [(t, clocks.first_response(desk.config, t, now)) for t in tickets[:LIMIT]]
    body = render(
        "queue.md",
        rows=rows,
        view=view,
        category=category,
        now=now,
        more=len(tickets) > LIMIT,
        config=desk.config,
    )
    return Message((Text(body),), phrase("queue.fallback", count=len(rows), view=view))


def show(desk: Desk, actor: Actor, place: Place, request: QueueView) -> Reply:
    assignee = actor.key if request.view == "mine" else None
    return Reply(
        listing(
            desk, place.channel.scope, request.view, assignee=assignee, category=request.category
        )
    )
