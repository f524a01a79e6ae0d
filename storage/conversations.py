"""Teams conversation references and users: what proactive posts and DMs need.

A reference is stored for every conversation the bot hears from, and refreshed each time
(Teams may move a conversation to another service URL). Users are remembered with their
ids so that a configured UPN or Entra object id can be matched without a network call.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from storage.db import dialect_insert
from storage.models import TeamsConversation, TeamsUser


def remember_conversation(
    session: Session,
    *,
    conversation_id: str,
    tenant_id: str,
    kind: str,
    service_url: str,
    reference: dict[str, Any],
    now: dt.datetime,
    user_id: str | None = None,
) -> None:
    """Insert or refresh the reference of a conversation (one row per conversation id)."""
    values: dict[str, Any] = {
        "conversation_id": conversation_id,
        "tenant_id": tenant_id,
        "kind": kind,
        "service_url": service_url,
        "reference": reference,
        "updated_at": now,
    }
    # hearing from a conversation again means the bot is back in it
    changes = dict(values, inactive_since=None, inactive_reason="")
    if user_id is not None:  # a channel post does not tell whose 1:1 chat it is: keep it
        values["user_id"] = changes["user_id"] = user_id
    stmt = dialect_insert(session, TeamsConversation).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=["conversation_id"], set_=changes)
    session.execute(stmt)


def conversation(session: Session, conversation_id: str) -> TeamsConversation | None:
    query = select(TeamsConversation).where(TeamsConversation.conversation_id == conversation_id)
    return session.exec(query).first()


def mark_inactive(session: Session, conversation_id: str, now: dt.datetime, reason: str) -> bool:
    """Teams refused a post (the bot was removed): skip posts there until it is heard from
    again. True when it was active until now (so the caller logs it once)."""
    query = (
        update(TeamsConversation)
        .where(
            col(TeamsConversation.conversation_id) == conversation_id,
            col(TeamsConversation.inactive_since).is_(None),
        )
        .values(inactive_since=now, inactive_reason=reason[:500])
    )
    return bool(session.execute(query).rowcount)


def inactive_conversations(session: Session) -> list[TeamsConversation]:
    """Conversations the bot can no longer post to, oldest first (for `deskbot doctor`)."""
    query = (
        select(TeamsConversation)
        .where(col(TeamsConversation.inactive_since).is_not(None))
        .order_by(col(TeamsConversation.inactive_since), col(TeamsConversation.id))
    )
    return list(session.exec(query))


def personal_conversation(
    session: Session, tenant_id: str, user_ids: list[str]
) -> TeamsConversation | None:
    """The bot's 1:1 chat with one of these user ids, if it has one."""
    if not user_ids:
        return None
    query = (
        select(TeamsConversation)
        .where(
            TeamsConversation.tenant_id == tenant_id,
            TeamsConversation.kind == "personal",
            col(TeamsConversation.user_id).in_(user_ids),
        )
        .order_by(col(TeamsConversation.updated_at).desc())
    )
    return session.exec(query).first()


def latest_in_tenant(session: Session, tenant_id: str) -> TeamsConversation | None:
    """The most recently heard conversation of a tenant: its service URL and bot account."""
    query = (
        select(TeamsConversation)
        .where(TeamsConversation.tenant_id == tenant_id)
        .order_by(col(TeamsConversation.updated_at).desc())
    )
    return session.exec(query).first()


def remember_user(
    session: Session,
    *,
    tenant_id: str,
    user_id: str,
    now: dt.datetime,
    aad_object_id: str | None = None,
    name: str = "",
    upn: str | None = None,
) -> None:
    """Insert or refresh a user; values not given now (a UPN looked up once) are kept."""
    values: dict[str, Any] = {"tenant_id": tenant_id, "user_id": user_id, "updated_at": now}
    optional = {"aad_object_id": aad_object_id, "name": name or None, "upn": upn}
    changes = {"updated_at": now, **{k: v for k, v in optional.items() if v}}
    values.update({k: v for k, v in optional.items() if v})
    values.setdefault("name", "")
    stmt = dialect_insert(session, TeamsUser).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=["tenant_id", "user_id"], set_=changes)
    session.execute(stmt)


def user(session: Session, tenant_id: str, key: str) -> TeamsUser | None:
    """A user by Teams id, Entra object id or UPN (case-insensitive)."""
    wanted = key.casefold()
    query = select(TeamsUser).where(
        TeamsUser.tenant_id == tenant_id,
        or_(
            col(TeamsUser.user_id) == key,
            func.lower(col(TeamsUser.aad_object_id)) == wanted,
            func.lower(col(TeamsUser.upn)) == wanted,
        ),
    )
    return session.exec(query).first()
