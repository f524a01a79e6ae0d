"""Which platform meeting services the huddles use, from the environment and configuration.

`deskbot serve` hands these to the core on `Desk.rooms`; a platform not listed gets the
links the configuration builds (handlers/huddle_links.py).
"""

from __future__ import annotations

import logging

from bot.config import Settings
from handlers.config.team import TeamConfig
from handlers.desk import Desk
from handlers.huddles.links import Rooms

log = logging.getLogger(__name__)


def rooms_from(settings: Settings, config: TeamConfig) -> dict[str, Rooms]:
    rooms: dict[str, Rooms] = {}
    links = config.huddles
    if links.slack == "template" and links.slack_call_provider and settings.slack_bot_token:
        from bot.slack.calls import SlackCalls, client

        rooms["slack"] = SlackCalls(
            client(settings.slack_bot_token, settings.slack_api_url), links.slack_call_provider
        )
    tenant = settings.microsoft_app_tenant_id or config.team.teams_tenant_id
    if (
        links.teams == "meeting"
        and settings.microsoft_app_id
        and settings.microsoft_app_password
        and tenant
    ):
        from bot.teams.graph import AppTokens, GraphMeetings

        tokens = AppTokens(settings.microsoft_app_id, settings.microsoft_app_password, tenant)
        rooms["teams"] = GraphMeetings(tokens)
    log.info("huddle rooms from platform services: %s", ", ".join(rooms) or "none")
    return rooms


def install(settings: Settings, desk: Desk) -> None:
    desk.rooms.update(rooms_from(settings, desk.config))
