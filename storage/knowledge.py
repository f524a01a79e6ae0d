"""Knowledge entries and their full-text index.

Search runs on `search_text`: the entry's words, Chinese already segmented into words by the
caller (`handlers.knowledge.words`), so both engines see space-separated terms. SQLite keeps
them in an FTS5 table (`knowledge_fts`, kept in step here, ranked by bm25); PostgreSQL reads
`to_tsvector('simple', search_text)` through a GIN expression index, ranked by ts_rank. The
index is not a model: `SEARCH_INDEX` names it for the schema comparison to leave alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, UniqueConstraint, bindparam, text
from sqlmodel import Field, Session, SQLModel, col, select

from storage import driver
from storage.models import _when
from storage.tickets import next_number

SEARCH_INDEX = "knowledge_fts"


def not_search_index(name: str | None, type_: str, *_: Any) -> bool:
    """Alembic `include_name`: the full-text index (and FTS5's shadow tables) is no model."""
    return not (name or "").startswith(SEARCH_INDEX)


class KnowledgeEntry(SQLModel, table=True):
    """The five elements of seed 003 §2.1.4, two classifications, and the review."""

    __tablename__ = "knowledge_entry"
    __table_args__ = (
        UniqueConstraint("scope", "number", name="uq_knowledge_scope_number"),
        Index("ix_knowledge_scope_status", "scope", "status", "submitted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=200)
    number: int
    title: str = Field(max_length=300)
    problem: str = ""
    steps: str = ""
    solution: str = ""
    prevention: str = ""
    related: str = ""
    system: str | None = Field(default=None, max_length=64)
    problem_type: str | None = Field(default=None, max_length=64)
    ticket_number: int | None = None  # the ticket it was written from
    author: str = Field(max_length=200)
    status: str = Field(default="submitted", max_length=20)  # submitted, returned, published
    review_comment: str = ""
    reviewer: str | None = Field(default=None, max_length=200)
    search_text: str = ""
    submitted_at: dt.datetime = _when(nullable=False)
    reviewed_at: dt.datetime | None = _when()
    published_at: dt.datetime | None = _when()

    @property
    def key(self) -> str:
        return f"KB-{self.number}"


def add(session: Session, entry: KnowledgeEntry) -> KnowledgeEntry:
    entry.number = next_number(session, f"{entry.scope}#knowledge")
    session.add(entry)
    session.flush()
    return entry


def get(session: Session, scope: str, number: int, lock: bool = False) -> KnowledgeEntry | None:
    query = select(KnowledgeEntry).where(
        KnowledgeEntry.scope == scope, KnowledgeEntry.number == number
    )
    return session.exec(query.with_for_update() if lock else query).first()


def awaiting_review(session: Session) -> list[KnowledgeEntry]:
    query = select(KnowledgeEntry).where(KnowledgeEntry.status == "submitted")
    return list(session.exec(query.order_by(col(KnowledgeEntry.submitted_at))))


def published_between(
    session: Session, scope: str, start: dt.datetime, end: dt.datetime
) -> list[KnowledgeEntry]:
    query = select(KnowledgeEntry).where(
        KnowledgeEntry.scope == scope,
        KnowledgeEntry.status == "published",
        col(KnowledgeEntry.published_at) >= start,
        col(KnowledgeEntry.published_at) < end,
    )
    return list(session.exec(query))


def any_published(session: driver.Tx, scope: str) -> bool:
    """Whether a scope has a published entry: asked for every ticket logged, so one indexed
    look-up prebuilt on the driver (read each time: another replica may publish)."""
    stmt = driver.prepared(session, "knowledge.any_published", _any_published)
    return bool(driver.rows(session, stmt, {"scope": scope}))


def _any_published(_dialect: str) -> tuple[Any, tuple[str, ...]]:
    stmt = (
        select(KnowledgeEntry.id)
        .where(
            col(KnowledgeEntry.scope) == bindparam("scope"),
            col(KnowledgeEntry.status) == "published",
        )
        .limit(1)
    )
    return stmt, ()


def index(session: Session, entry: KnowledgeEntry) -> None:
    """Make a published entry findable (PostgreSQL indexes the column by itself)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"DELETE FROM {SEARCH_INDEX} WHERE entry_id = :id"), {"id": entry.id})
        session.execute(
            text(f"INSERT INTO {SEARCH_INDEX} (entry_id, body) VALUES (:id, :body)"),
            {"id": entry.id, "body": entry.search_text},
        )


def search(tx: driver.Tx, scope: str, terms: list[str], limit: int) -> list[KnowledgeEntry]:
    """Published entries of a scope matching any of the terms, best first."""
    if not terms:
        return []
    with driver.orm(tx) as session:  # a new ticket's card asks on a Core connection
        return _search(session, scope, terms, limit)


def _search(session: Session, scope: str, terms: list[str], limit: int) -> list[KnowledgeEntry]:
    if session.get_bind().dialect.name == "sqlite":
        # each term quoted: FTS5 syntax in user input is taken as words
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        rows = session.execute(
            text(
                f"SELECT entry_id FROM {SEARCH_INDEX} WHERE {SEARCH_INDEX} MATCH :q "
                f"ORDER BY bm25({SEARCH_INDEX}) LIMIT :n"
            ),
            {"q": match, "n": limit * 4},
        ).scalars()
    else:
        query = " | ".join("'" + t.replace("'", "''").replace("\\", "") + "'" for t in terms)
        rows = session.execute(
            text(
                "SELECT id FROM knowledge_entry, to_tsquery('simple', :q) AS query "
                "WHERE scope = :scope AND status = 'published' "
                "AND to_tsvector('simple', search_text) @@ query "
                "ORDER BY ts_rank(to_tsvector('simple', search_text), query) DESC, id "
                "LIMIT :n"
            ),
            {"q": query, "scope": scope, "n": limit},
        ).scalars()
    ids = list(rows)
    if not ids:
        return []
    found = {
        e.id: e
        for e in session.exec(select(KnowledgeEntry).where(col(KnowledgeEntry.id).in_(ids)))
        if e.scope == scope and e.status == "published"
    }
    return [found[i] for i in ids if i in found][:limit]
