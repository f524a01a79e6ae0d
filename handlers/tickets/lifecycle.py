"""The ticket state machine: new → in progress → dispatched → resolved → closed; reopen.

`move` says where a verb takes a ticket from its status, or refuses with the reason; it
changes nothing itself, so a refused move writes nothing.
"""

from __future__ import annotations

from handlers.chat.refusals import Refused
from handlers.chat.texts import phrase

NEW, IN_PROGRESS, DISPATCHED, RESOLVED, CLOSED = (
    "new",
    "in_progress",
    "dispatched",
    "resolved",
    "closed",
)
OPEN_STATES = (NEW, IN_PROGRESS, DISPATCHED)
# verb -> {from status: to status}
MOVES: dict[str, dict[str, str]] = {
    "take": {NEW: IN_PROGRESS, IN_PROGRESS: IN_PROGRESS, DISPATCHED: DISPATCHED},
    "assign": {NEW: IN_PROGRESS, IN_PROGRESS: IN_PROGRESS, DISPATCHED: DISPATCHED},
    "edit": {NEW: NEW, IN_PROGRESS: IN_PROGRESS, DISPATCHED: DISPATCHED, RESOLVED: RESOLVED},
    "note": {NEW: NEW, IN_PROGRESS: IN_PROGRESS, DISPATCHED: DISPATCHED},
    "dispatch": {NEW: DISPATCHED, IN_PROGRESS: DISPATCHED},
    "rca": {DISPATCHED: DISPATCHED, RESOLVED: RESOLVED},
    "resolve": {IN_PROGRESS: RESOLVED, DISPATCHED: RESOLVED},
    # from an open state only with a reason (duplicate, cancelled, ...): see changes.close
    "close": {NEW: CLOSED, IN_PROGRESS: CLOSED, DISPATCHED: CLOSED, RESOLVED: CLOSED},
    "reopen": {RESOLVED: IN_PROGRESS, CLOSED: IN_PROGRESS},
}


def move(verb: str, key: str, status: str, has_assignee: bool) -> str:
    allowed = MOVES[verb]
    if status not in allowed:
        raise Refused(
            phrase("refused.move", verb=verb, key=key, status=status, allowed=list(allowed))
        )
    target = allowed[status]
    if verb == "reopen" and not has_assignee:
        return NEW  # nobody to continue it: back to the pool
    return target
