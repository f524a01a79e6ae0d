"""Who and where, from a Teams activity: tenant, conversation, sender, mentions in the text.

A person is matched by what the configuration holds for them (`teams:`): the Entra object id
or the Teams id arrive with every activity; a UPN is looked up once per user (see
`bot.teams.bot`) and remembered in the database, so messages need no extra network call.
"""

from __future__ import annotations

import html
import re
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ChannelAccount
from sqlmodel import Session

from bot.teams.later import PLATFORM
from handlers.chat.model import Actor, Place, Ref, clean_input
from handlers.config.team import Person, TeamConfig
from storage import conversations

_THREAD = ";messageid="
_TAG = re.compile(r"<[^>]+>")
_AT = re.compile(r"<at[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)


def tenant_of(activity: Activity, config: TeamConfig) -> str:
    tenant = getattr(activity.conversation, "tenant_id", None) if activity.conversation else None
    if not tenant and isinstance(activity.channel_data, dict):
        tenant = (activity.channel_data.get("tenant") or {}).get("id")
    return tenant or config.team.teams_tenant_id or "local"


def split_conversation(conversation_id: str) -> tuple[str, str | None]:
    """A channel thread's id is `<channel>;messageid=<root>`: (channel, root)."""
    base, _, root = conversation_id.partition(_THREAD)
    return base, root or None


def thread_id(base: str, root: str | None) -> str:
    return f"{base}{_THREAD}{root}" if root else base


def kind_of(activity: Activity) -> str:
    conversation_type = activity.conversation.conversation_type if activity.conversation else None
    if conversation_type:
        return conversation_type
    return "groupChat" if activity.conversation and activity.conversation.is_group else "personal"


def place_of(activity: Activity, tenant: str) -> Place:
    base, root = split_conversation(activity.conversation.id)
    return Place(Ref(PLATFORM, tenant, base), thread=root)


def reference_of(activity: Activity) -> dict[str, Any]:
    """The conversation reference to store: the conversation itself, not this message."""
    reference = TurnContext.get_conversation_reference(activity)
    reference.activity_id = None
    reference.user = None
    base, _ = split_conversation(activity.conversation.id)
    reference.conversation.id = base
    return reference.serialize()


# -- people ----------------------------------------------------------------------------------


def known_person(
    session: Session, config: TeamConfig, tenant: str, account: ChannelAccount
) -> tuple[Person | None, bool]:
    """The configured person behind a Teams account, and whether a UPN look-up could help.

    No network here: ids that came with the activity, then a UPN remembered earlier.
    """
    for key in (account.aad_object_id, account.id):
        person = config.find_person(PLATFORM, key) if key else None
        if person is not None:
            return person, False
    row = conversations.user(session, tenant, account.id) if account.id else None
    if row is not None and row.upn:
        return config.find_person(PLATFORM, row.upn), False
    wants_upn = any(p.teams and "@" in p.teams for p in config.people)
    return None, wants_upn


def actor_of(
    account: ChannelAccount, tenant: str, person: Person | None, locale: str | None = None
) -> Actor:
    """`locale`: the activity's (the sender's Teams client language, `zh-CN`)."""
    ident = account.aad_object_id or account.id
    return Actor(Ref(PLATFORM, tenant, ident), person, account.name or "", locale)


# -- the text of a command ---------------------------------------------------------------------


def command_text(session: Session, config: TeamConfig, tenant: str, activity: Activity) -> str:
    """The words of a command: the bot's mention stripped, people's mentions as `@id`."""
    text = TurnContext.remove_recipient_mention(activity) or ""
    by_text: dict[str, str] = {}
    for entity in TurnContext.get_mentions(activity):
        props = entity.additional_properties or {}
        mentioned = props.get("mentioned") or {}
        label = props.get("text") or ""
        person = _mentioned_person(session, config, tenant, mentioned)
        if label and person is not None:
            by_text[_AT.sub(r"\1", label).strip()] = person.id

    def mention(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        person_id = by_text.get(name)
        return f"@{person_id}" if person_id else name

    text = _AT.sub(mention, text)
    text = html.unescape(_TAG.sub(" ", text)).replace("\xa0", " ")
    return clean_input(" ".join(text.split()))


def _mentioned_person(
    session: Session, config: TeamConfig, tenant: str, mentioned: dict[str, Any]
) -> Person | None:
    ident, name = mentioned.get("id") or "", mentioned.get("name") or ""
    person = config.find_person(PLATFORM, ident) if ident else None
    if person is None and ident:
        row = conversations.user(session, tenant, ident)
        if row is not None:
            keys = [k for k in (row.aad_object_id, row.upn) if k]
            person = next((p for k in keys if (p := config.find_person(PLATFORM, k))), None)
    if person is None and name:
        wanted = name.casefold()
        person = next((p for p in config.people if p.name.casefold() == wanted), None)
    return person
