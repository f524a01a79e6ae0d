"""A Slack user's locale (`users.info` with `include_locale`), for replies in their language.

Looked up after the ack, only when it can matter: the team follows platform locales and the
person has no language of their own in the configuration. Remembered for a while, so a
user's next request carries it from the start (and a recovered one has it persisted).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from slack_sdk.web.async_client import AsyncWebClient

from handlers.config.team import TeamConfig

log = logging.getLogger(__name__)
TTL = 3600.0  # seconds a locale is trusted; a user who changes theirs is heard within the hour
TIMEOUT = 1.0  # the answer waits at most this long for Slack; then the team's language


class Locales:
    def __init__(self, config: TeamConfig, web: Callable[[], AsyncWebClient]) -> None:
        self.config = config
        self.web = web
        self._known: dict[str, tuple[float, str | None]] = {}

    def wanted(self, user: str) -> bool:
        if not self.config.team.follow_platform_locale or not user:
            return False
        person = self.config.find_person("slack", user)
        return person is None or person.language is None

    def known(self, user: str) -> str | None:
        found = self._known.get(user)
        if found is None or time.monotonic() - found[0] > TTL:
            return None
        return found[1]

    async def fetch(self, user: str) -> str | None:
        """The user's locale (`zh-CN`), from memory or Slack; None when Slack does not say."""
        if not self.wanted(user):
            return None
        if (user in self._known) and (time.monotonic() - self._known[user][0] <= TTL):
            return self._known[user][1]
        try:
            resp = await asyncio.wait_for(
                self.web().users_info(user=user, include_locale=True), TIMEOUT
            )
            locale = (resp.get("user") or {}).get("locale")
        except Exception as exc:  # the answer goes out in the team's language
            log.warning("slack users.info %s failed: %s", user, exc)
            return None
        self._known[user] = (time.monotonic(), locale)
        return locale
