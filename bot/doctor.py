"""`deskbot doctor`: the configuration checked against the live platforms and the database.

Each check prints one line, `ok`, `warn` or `error`, and for anything wrong what to do about
it. Exit 1 on any error. Read-only: it posts nothing and changes nothing.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bot.config import Settings
from handlers.config.team import TeamConfig

TIMEOUT = 15.0  # seconds for one platform call


@dataclass(frozen=True)
class Finding:
    level: str  # ok, warn, error
    what: str
    fix: str = ""

    def __str__(self) -> str:
        line = f"{self.level:<5} {self.what}"
        return f"{line}\n      -> {self.fix}" if self.fix else line


def ok(what: str) -> Finding:
    return Finding("ok", what)


def warn(what: str, fix: str = "") -> Finding:
    return Finding("warn", what, fix)


def error(what: str, fix: str) -> Finding:
    return Finding("error", what, fix)


def doctor(settings: Settings) -> int:
    findings = asyncio.run(examine(settings))
    for finding in findings:
        print(finding)
    errors = sum(f.level == "error" for f in findings)
    warnings = sum(f.level == "warn" for f in findings)
    print(f"{errors} error(s), {warnings} warning(s)")
    sys.stdout.flush()
    return 1 if errors else 0


async def examine(settings: Settings) -> list[Finding]:
    config = settings.team  # a configuration with errors stops here (ConfigError)
    findings = list(calendar(config))
    findings += await asyncio.to_thread(lambda: list(database(settings.database_url)))
    if settings.slack_bot_token:
        findings += await slack(settings, config)
    else:
        findings.append(ok("Slack: not configured (no SLACK_BOT_TOKEN)"))
    findings += await asyncio.to_thread(lambda: list(teams(settings, config)))
    return findings


# -- the team's calendar ----------------------------------------------------------------------


def calendar(config: TeamConfig) -> Iterator[Finding]:
    from handlers.config.workdays import known_country

    yield ok(f"time zone {config.team.timezone} is known")
    country = config.team.holidays_country
    if not country:
        yield warn(
            "no holiday country: public holidays count as working days",
            "set team > holidays_country (e.g. CN, DE-BY)",
        )
    elif known_country(country):
        yield ok(f"holiday calendar {country} is known")
    else:
        yield error(
            f"holiday country {country!r} is unknown",
            "use an ISO country code the `holidays` package has, e.g. CN or DE-BY",
        )


# -- the database -------------------------------------------------------------------------


def database(url: str) -> Iterator[Finding]:
    from sqlalchemy.engine import make_url

    from storage.db import HEAD, current_revision, make_engine

    shown = make_url(url).render_as_string(hide_password=True)
    engine = make_engine(url)
    try:
        revision = current_revision(engine)
    except Exception as exc:
        yield error(
            f"database {shown} is unreachable ({type(exc).__name__})",
            "check DESKBOT_DATABASE_URL and that the server accepts connections",
        )
        return
    finally:
        engine.dispose()
    if revision == HEAD:
        yield ok(f"database {shown} is reachable and migrated ({HEAD})")
    else:
        yield error(
            f"database {shown} is at migration {revision or 'none'}, not {HEAD}",
            "run `deskbot db upgrade`",
        )


# -- Slack ------------------------------------------------------------------------------------


async def slack(settings: Settings, config: TeamConfig) -> list[Finding]:
    import aiohttp
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.slack.manifest import load

    out: list[Finding] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as session:
        web = AsyncWebClient(
            token=settings.slack_bot_token,
            base_url=settings.slack_api_url.rstrip("/") + "/",
            session=session,
        )
        try:
            auth = await web.auth_test()
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            out.append(
                error(
                    f"Slack token rejected: {_slack_error(exc)}",
                    "copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions "
                    "into SLACK_BOT_TOKEN",
                )
            )
            return out
        out.append(ok(f"Slack token valid: bot {auth.get('user_id')} in {auth.get('team_id')}"))
        granted = {s.strip() for s in auth.headers.get("x-oauth-scopes", "").split(",")}
        wanted = set(load()["oauth_config"]["scopes"]["bot"])
        missing = sorted(wanted - granted - {""})
        if missing:
            out.append(
                error(
                    f"Slack scopes missing: {', '.join(missing)}",
                    "add them under OAuth & Permissions (or update the app from "
                    "`deskbot manifest slack`) and reinstall the app",
                )
            )
        else:
            out.append(ok("Slack scopes: all the manifest asks for are granted"))
        team_id = config.team.slack_team_id
        if team_id and auth.get("team_id") and auth.get("team_id") != team_id:
            out.append(
                error(
                    f"Slack workspace is {auth.get('team_id')}, the configuration says {team_id}",
                    "fix team > slack_team_id, or use the token of that workspace",
                )
            )
        out += await _slack_channels(web, config)
        out += await _slack_people(web, config)
        out += await _slack_ingress(web, settings)
    return out


async def _slack_channels(web: Any, config: TeamConfig) -> list[Finding]:
    from slack_sdk.errors import SlackApiError

    out: list[Finding] = []
    for place, channel in _channels(config):
        if not channel.slack:
            continue
        where = f"channel {place} ({channel.slack}, #{channel.name})"
        try:
            info = (await web.conversations_info(channel=channel.slack))["channel"]
        except SlackApiError as exc:
            out.append(
                error(
                    f"Slack {where}: {_slack_error(exc)}",
                    f"fix channels > {place} > slack (the channel id, from the channel's details)",
                )
            )
            continue
        if info.get("is_member") or info.get("is_im"):
            out.append(ok(f"Slack {where}: exists, the bot is a member"))
        else:
            out.append(
                error(
                    f"Slack {where}: the bot is not a member",
                    f"invite it: `/invite @deskbot` in #{info.get('name') or channel.name}",
                )
            )
    return out


async def _slack_people(web: Any, config: TeamConfig) -> list[Finding]:
    from slack_sdk.errors import SlackApiError

    out: list[Finding] = []
    missing: list[str] = []
    for person in config.people:
        if not person.slack:
            continue
        try:
            await web.users_info(user=person.slack)
        except SlackApiError as exc:
            missing.append(f"{person.id} ({person.slack}: {_slack_error(exc)})")
    if missing:
        out.append(
            error(
                f"Slack people not found: {', '.join(missing)}",
                "fix people > slack (the member id, from the person's profile > Copy member ID)",
            )
        )
    else:
        out.append(ok("Slack people: every configured member id exists"))
    return out


async def _slack_ingress(web: Any, settings: Settings) -> list[Finding]:
    """How Slack reaches the bot: Socket Mode (an app token) or signed HTTP requests."""
    from slack_sdk.errors import SlackApiError

    if settings.slack_app_token:
        try:
            await web.apps_connections_open(app_token=settings.slack_app_token)
        except SlackApiError as exc:
            return [
                error(
                    f"Slack Socket Mode: the app token is rejected ({_slack_error(exc)})",
                    "create an app-level token with connections:write (Basic Information) "
                    "into SLACK_APP_TOKEN, and turn Socket Mode on",
                )
            ]
        return [ok("Slack Socket Mode: the app token opens a connection")]
    if not settings.slack_signing_secret:
        return [
            error(
                "Slack: neither SLACK_SIGNING_SECRET (HTTP) nor SLACK_APP_TOKEN (Socket Mode)",
                "set one: requests cannot be taken without it",
            )
        ]
    return [ok("Slack: HTTP requests at /slack/events, signed (SLACK_SIGNING_SECRET is set)")]


def _slack_error(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if response is not None:
        return str(response.get("error") or exc)
    return type(exc).__name__


# -- Teams ------------------------------------------------------------------------------------


def teams(settings: Settings, config: TeamConfig) -> Iterator[Finding]:
    if not settings.microsoft_app_id:
        yield warn(
            "Teams: local mode (no MicrosoftAppId): /api/messages takes unauthenticated requests",
            "set MicrosoftAppId and MicrosoftAppPassword for a real Teams installation",
        )
        return
    yield _teams_token(settings)
    yield from _teams_conversations(settings, config)


def _teams_token(settings: Settings) -> Finding:
    from botframework.connector.auth import MicrosoftAppCredentials

    credentials = MicrosoftAppCredentials(
        settings.microsoft_app_id,
        settings.microsoft_app_password,
        channel_auth_tenant=settings.microsoft_app_tenant_id or None,
    )
    try:
        token = credentials.get_access_token()
    except Exception as exc:
        token, why = "", f"{type(exc).__name__}: {exc}"[:200]
    else:
        why = "no token in the answer"
    if token:
        return ok("Teams credentials obtain a token")
    return error(
        f"Teams credentials get no token ({why})",
        "check MicrosoftAppId, MicrosoftAppPassword (a current client secret), "
        "MicrosoftAppType and MicrosoftAppTenantId against the Azure Bot registration",
    )


def _teams_conversations(settings: Settings, config: TeamConfig) -> Iterator[Finding]:
    from storage import conversations
    from storage.db import make_engine, session_scope

    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            for place, channel in _channels(config):
                if not channel.teams:
                    continue
                where = f"Teams channel {place} ({channel.name})"
                row = conversations.conversation(session, channel.teams)
                if row is None:
                    yield error(
                        f"{where}: no stored conversation reference, the bot cannot post there",
                        f"@mention the bot once in {channel.name}",
                    )
                elif row.inactive_since is not None:  # Teams said 403, or the app was removed
                    yield error(
                        f"{where}: Teams refused the bot's posts there ({row.inactive_reason})",
                        f"add the bot to the team again, then @mention it once in {channel.name}",
                    )
                else:
                    yield ok(f"{where}: conversation reference stored")
            configured = {c.teams for _, c in _channels(config) if c.teams}
            for row in conversations.inactive_conversations(session):
                if row.conversation_id not in configured:
                    yield warn(
                        f"Teams conversation {row.conversation_id}: the bot was removed there "
                        f"({row.inactive_reason}); posts to it are skipped",
                        "add the bot again if it should post there",
                    )
    except Exception as exc:
        yield error(
            f"Teams conversation references could not be read ({type(exc).__name__})",
            "fix the database first (see above)",
        )
    finally:
        engine.dispose()


def _channels(config: TeamConfig) -> Iterator[tuple[str, Any]]:
    yield "queue", config.channels.queue
    yield "managers", config.channels.managers
    for category, channel in config.channels.l2.items():
        yield f"l2 > {category}", channel
