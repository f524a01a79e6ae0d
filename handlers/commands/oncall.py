"""`/oncall` arguments: a view, a take or a give.

    /oncall                          every rota: who is on now and next
    /oncall l1 | #system | managers  one rota (by id, role or category)
    /oncall take ROTA [until HH:MM]  put me on call (instead of the first scheduled)
    /oncall give @person [ROTA] [until HH:MM]   hand my shift to someone

Without `until`, an override lasts to the end of the current shift.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from handlers.chat.texts import phrase
from handlers.config.team import Person, TeamConfig

_UNTIL = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_MENTION = re.compile(r"^@([\w.:@-]+?)[,.;:!?]*$")


@dataclass(frozen=True)
class OncallView:
    query: str  # empty: every rota


@dataclass(frozen=True)
class OncallTake:
    rota: str
    until: dt.time | None = None


@dataclass(frozen=True)
class OncallGive:
    person: str
    rota: str | None = None
    until: dt.time | None = None


class OncallArgsError(ValueError):
    """A one-line reason; the grammar adds the usage."""


def parse_oncall(
    rest: str, config: TeamConfig, find: Callable[[TeamConfig, str], Person | None]
) -> OncallView | OncallTake | OncallGive:
    words = rest.split()
    verb = words[0].lower() if words else ""
    if verb not in ("take", "give"):
        return OncallView(rest.strip().lower())
    args, until = _until(words[1:])
    if verb == "take":
        if len(args) != 1:
            raise OncallArgsError(phrase("error.oncall_which_rota"))
        return OncallTake(args[0].lower(), until)
    mentions = [m.group(1) for a in args if (m := _MENTION.match(a))]
    others = [a.lower() for a in args if not _MENTION.match(a)]
    if len(mentions) != 1 or len(others) > 1:
        raise OncallArgsError(phrase("error.oncall_give_whom"))
    person = find(config, mentions[0])
    if person is None:
        raise OncallArgsError(phrase("error.unknown_person", given=mentions[0]))
    return OncallGive(person.id, others[0] if others else None, until)


def _until(words: list[str]) -> tuple[list[str], dt.time | None]:
    if len(words) >= 2 and words[-2].lower() == "until":
        match = _UNTIL.match(words[-1])
        if not match:
            raise OncallArgsError(phrase("error.oncall_until", given=words[-1]))
        return words[:-2], dt.time(int(match.group(1)), int(match.group(2)))
    return words, None
