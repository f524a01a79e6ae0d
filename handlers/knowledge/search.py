"""Finding published entries: `/kb search`, a new ticket's "Might help", and the reference
to an entry a resolution names (`/ticket resolve T-5 KB-12 ...`)."""

from __future__ import annotations

import re

from handlers.config.team import TeamConfig
from handlers.knowledge.words import words
from storage import knowledge as store
from storage.driver import Tx
from storage.knowledge import KnowledgeEntry
from storage.models import Ticket
from storage.tickets import OPEN

SEARCH_LIMIT = 10
_REFERENCE = re.compile(r"^\s*kb-?(\d{1,9})\b", re.IGNORECASE)


def find(session: Tx, scope: str, text: str, limit: int = SEARCH_LIMIT) -> list[KnowledgeEntry]:
    return store.search(session, scope, words(text), limit)


def knowledge_reference(text: str) -> int | None:
    """The entry a resolution starts with (`KB-12 reset the VPN client`), if any."""
    match = _REFERENCE.match(text)
    return int(match.group(1)) if match else None


def might_help(config: TeamConfig, session: Tx, ticket: Ticket) -> list[KnowledgeEntry]:
    """Up to `knowledge.suggestions_on_new_ticket` entries matching an open ticket's summary
    and description, for its card."""
    limit = config.knowledge.suggestions_on_new_ticket
    if not limit or ticket.status not in OPEN or not store.any_published(session, ticket.scope):
        return []  # no segmenting (nor loading jieba) for a team without entries
    return find(session, ticket.scope, f"{ticket.summary} {ticket.description}", limit)
