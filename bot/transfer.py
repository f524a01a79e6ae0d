"""`deskbot export tickets|kpis` and `deskbot import tickets FILE` on the command line."""

from __future__ import annotations

import argparse
import sys

from bot import markdown
from bot.app import build_desk
from bot.config import Settings
from handlers.transfer import exporting, importing
from handlers.transfer.rows import guess_format


def transfer_command(settings: Settings, args: argparse.Namespace) -> int:
    desk = build_desk(settings)
    if args.command == "export" and args.what == "tickets":
        count = exporting.export_tickets(
            desk, sys.stdout, args.format, args.since, args.until, args.events, args.scope
        )
        print(f"exported {count} ticket(s)", file=sys.stderr)
        return 0
    if args.command == "export":
        exporting.export_kpis(desk, sys.stdout, args.format, args.period, args.since, args.scope)
        return 0
    fmt = args.format or guess_format(args.file)
    try:
        with open(args.file, encoding="utf-8-sig", newline="") as source:
            outcome = importing.import_tickets(desk, source, fmt, args.scope, args.skip_bad)
    except OSError as exc:
        print(f"deskbot import: {exc}", file=sys.stderr)
        return 1
    for problem in outcome.problems:
        print(markdown.convert(problem, lambda span: span.text), file=sys.stderr)
    if not outcome.written:
        print(f"{len(outcome.problems)} bad row(s): nothing imported", file=sys.stderr)
        return 1
    skipped = f", {len(outcome.problems)} bad row(s) skipped" if outcome.problems else ""
    print(f"imported {outcome.added} ticket(s), {outcome.unchanged} already there{skipped}")
    return 0
