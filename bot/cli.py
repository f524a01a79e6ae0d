"""The `deskbot` command line."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys

from bot import logs
from bot.config import ConfigError, Settings, read
from handlers.config.base import LANGUAGES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deskbot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    console_cmd = commands.add_parser("console", help="chat with the bot in this terminal")
    console_cmd.add_argument(
        "--lang", choices=LANGUAGES, help="your language (default: yours or the team's)"
    )

    serve_cmd = commands.add_parser(
        "serve", help="HTTP server for Slack and Teams, with the scheduler"
    )
    serve_cmd.add_argument("--host", default="0.0.0.0")
    serve_cmd.add_argument("--port", type=int, default=3000)

    check = commands.add_parser("check-config", help="validate a team configuration")
    check.add_argument("file", nargs="?", help="YAML file (default: $DESKBOT_CONFIG or the sample)")
    check.add_argument("--strict", action="store_true", help="warnings fail too")

    db = commands.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])

    schedule_cmd = commands.add_parser(
        "schedule", help="scheduled jobs: next fire times (list), or post one now (run JOB)"
    )
    schedule_cmd.add_argument("action", choices=["list", "run"])
    schedule_cmd.add_argument("job", nargs="?", help="run: the job to post now")

    manifest_cmd = commands.add_parser("manifest", help="the platform app manifest")
    manifest_cmd.add_argument("platform", choices=MANIFESTS)
    manifest_cmd.add_argument(
        "--out", help="Teams: where to write the app package (default deskbot-teams.zip)"
    )
    manifest_cmd.add_argument(
        "--host", help="Slack: this server's public https:// address, e.g. https://example.org"
    )
    manifest_cmd.add_argument(
        "--socket-mode",
        action="store_true",
        help="Slack: for Socket Mode (SLACK_APP_TOKEN): no request URLs, no public endpoint",
    )

    commands.add_parser(
        "doctor", help="check the configuration against Slack, Teams and the database"
    )

    export_cmd = commands.add_parser(
        "export", help="tickets or KPIs as CSV / JSON lines for spreadsheets, streamed"
    )
    export_cmd.add_argument("what", choices=["tickets", "kpis"])
    export_cmd.add_argument("--since", type=_date, help="tickets logged (or KPI periods) from")
    export_cmd.add_argument("--until", type=_date, help="tickets logged before this date")
    export_cmd.add_argument("--period", choices=["week", "month"], default="week")
    export_cmd.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    export_cmd.add_argument("--events", action="store_true", help="tickets: with their events")
    export_cmd.add_argument("--scope", help="one workspace (e.g. slack:T0123); default all")

    import_cmd = commands.add_parser("import", help="bring tickets in from an export's format")
    import_cmd.add_argument("what", choices=["tickets"])
    import_cmd.add_argument("file", help="CSV or JSON lines (.jsonl) file")
    import_cmd.add_argument("--format", choices=["csv", "jsonl"], help="default: by extension")
    import_cmd.add_argument("--scope", default="console:local", help="workspace of rows without")
    import_cmd.add_argument("--skip-bad", action="store_true", help="import the good rows anyway")

    args = parser.parse_args(argv)
    settings = Settings()
    # A server tells its operator what it does (INFO); the other commands only what is wrong.
    logs.setup(settings.log_format, logging.INFO if args.command == "serve" else logging.WARNING)
    try:
        if args.command == "check-config":
            return check_config(args.file or settings.config_file, args.strict)
        if args.command == "db":
            return db_upgrade(settings)
        if args.command == "console":
            return console(settings, args.lang)
        if args.command == "serve":
            return serve(settings, args.host, args.port)
        if args.command == "schedule":
            from bot.scheduling import schedule_command

            return schedule_command(settings, args.action, args.job)
        if args.command in ("export", "import"):
            from bot.transfer import transfer_command

            return transfer_command(settings, args)
        if args.command == "manifest" and args.platform == "slack":
            return slack_manifest(args.host, args.socket_mode)
        if args.command == "doctor":
            from bot.doctor import doctor

            return doctor(settings)
        if args.command == "manifest" and args.platform == "teams":
            return teams_manifest(settings, args.out or "deskbot-teams.zip")
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 2


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


# `deskbot manifest PLATFORM`: each platform adapter adds its name here.
MANIFESTS = ["slack", "teams"]


def slack_manifest(host: str | None, socket_mode: bool = False) -> int:
    """Print the Slack app manifest, with the request URLs on `host` (or none: Socket Mode)."""
    from bot.slack.manifest import ManifestError, socket_mode_text, text

    if host and socket_mode:
        print("deskbot manifest slack: --host or --socket-mode, not both", file=sys.stderr)
        return 2
    try:
        print(socket_mode_text() if socket_mode else text(host), end="")
    except ManifestError as exc:
        print(f"deskbot manifest slack: {exc}", file=sys.stderr)
        return 1
    return 0


def teams_manifest(settings: Settings, out: str) -> int:
    """Write the Teams app package (zip) and print its manifest.json."""
    import json
    from pathlib import Path

    from bot.teams.manifest import ManifestError, package

    try:
        data, content = package(settings.team, settings.microsoft_app_id)
    except ManifestError as exc:
        print(f"deskbot manifest teams: {exc}", file=sys.stderr)
        return 1
    Path(out).write_bytes(data)
    print(json.dumps(content, ensure_ascii=False, indent=2))
    print(f"wrote {out}: upload it in Teams (Apps > Manage your apps > Upload)", file=sys.stderr)
    return 0


def check_config(path: str | None, strict: bool) -> int:
    source, config, problems = read(path)
    for problem in problems:
        print(problem)
    errors = [p for p in problems if p.severity == "error"]
    failing = errors or (strict and problems)
    counts = f"{len(errors)} error(s), {len(problems) - len(errors)} warning(s)"
    print(f"{source}: {counts}" + ("" if failing else "; usable"))
    return 1 if failing or config is None else 0


def db_upgrade(settings: Settings) -> int:
    from storage.db import make_engine, upgrade

    upgrade(make_engine(settings.database_url))
    print("database is up to date")
    return 0


def console(settings: Settings, lang: str | None = None) -> int:
    from bot.app import build_desk
    from bot.console import session as console_adapter

    clock = console_adapter.ConsoleClock()
    desk = build_desk(settings, clock)
    console_adapter.main(desk, clock, lang=lang)
    return 0


def serve(settings: Settings, host: str, port: int) -> int:
    from aiohttp import web

    from bot import inbox_worker, rooms
    from bot.app import build_desk
    from bot.server import build_app, platforms_from, tune_runtime

    desk = build_desk(settings, serving=True)
    # Slack's work after the acks in a process of its own (forked before any thread starts)
    worker = inbox_worker.start(settings, desk) if settings.slack_bot_token else None
    rooms.install(settings, desk)  # Graph meetings / Slack calls for huddle links
    try:
        app = build_app(desk, platforms_from(settings, desk, worker), schedule=True)
        tune_runtime()
        # SIGTERM/SIGINT: stop listening, give requests in flight STOP_REQUESTS_SECONDS,
        # then the platforms' own stop work (see bot.server); the whole stop is bounded.
        web.run_app(app, host=host, port=port, shutdown_timeout=STOP_REQUESTS_SECONDS, print=None)
    finally:
        if worker is not None:  # after the last ack: its work is the worker's to finish
            worker.stop()
    return 1 if worker is not None and worker.died else 0


STOP_REQUESTS_SECONDS = 5.0


if __name__ == "__main__":
    sys.exit(main())
