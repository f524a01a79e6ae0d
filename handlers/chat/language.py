"""Who reads which language: the team's, a person's own, or the platform's locale.

A reply goes in the asker's language, a channel post in the team's, a DM in the
recipient's. The texts module renders in whatever `speaking` set for the current context.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from handlers.config.base import LANGUAGES
from handlers.config.team import Person, TeamConfig

# (language, both names): what texts rendered now are written in.
_CURRENT: ContextVar[tuple[str, bool]] = ContextVar("deskbot_language", default=("en", False))


def current() -> str:
    return _CURRENT.get()[0]


def both_names() -> bool:
    """Configured names in both languages (`team.both_names`), the reader's first."""
    return _CURRENT.get()[1]


@contextmanager
def speaking(language: str, both_names: bool = False) -> Iterator[None]:
    """Render every text inside in `language` (one of LANGUAGES)."""
    token = _CURRENT.set((language if language in LANGUAGES else "en", both_names))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def from_locale(locale: str | None) -> str | None:
    """A platform locale (`zh-CN`, `zh_TW`, `en-US`) as one of LANGUAGES, or None."""
    if not locale:
        return None
    base = locale.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def of_person(config: TeamConfig, person: Person | None) -> str:
    """A DM's language: the recipient's configured one, else the team's."""
    if person is not None and person.language:
        return person.language
    return config.team.language


def of_reader(config: TeamConfig, person: Person | None, locale: str | None) -> str:
    """The asker's language: configured for them, else their platform's locale when the
    team follows it, else the team's."""
    if person is not None and person.language:
        return person.language
    if config.team.follow_platform_locale and (found := from_locale(locale)):
        return found
    return config.team.language
