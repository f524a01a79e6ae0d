"""`python -m bot.i18n update|check`: keep the translation catalogs in step with the English.

update: `pybabel extract` (babel.cfg: phrases.yaml, the templates, manifest.yaml) into
        handlers/chat/locale/deskbot.pot, then `pybabel update` of every language's .po;
        new or changed English shows up there untranslated or fuzzy, for a translator.
check:  lists every message a catalog lacks (exit 1 when any), as the tests do.
Run from the repository root.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

from handlers.chat import catalogs

ROOT = Path(__file__).resolve().parents[1]


def update() -> None:
    pot = catalogs.locale_dir() / f"{catalogs.DOMAIN}.pot"
    mapping = str(ROOT / "babel.cfg")
    extract = ["extract", "-F", mapping, "--no-location", "--sort-by-file", "--no-wrap"]
    extract += ["--project=deskbot", "--version=0.1.0", "--copyright-holder=deskbot"]
    CommandLineInterface().run(["pybabel", "-q", *extract, "-o", str(pot), str(ROOT)])
    for lang, folder in catalogs.CATALOG_DIRS.items():
        exists = catalogs.po_path(lang).exists()
        CommandLineInterface().run(
            ["pybabel", "-q", "update" if exists else "init", "-i", str(pot)]
            + ["-d", str(catalogs.locale_dir()), "-D", catalogs.DOMAIN, "-l", folder]
            + (["--no-wrap", "--ignore-obsolete"] if exists else ["--no-wrap"])
        )


def check() -> int:
    """The messages of the English sources without a translation, per language."""
    from handlers.chat import coverage

    problems = [f"{lang}: {p}" for lang in catalogs.CATALOG_DIRS for p in coverage.problems(lang)]
    for line in problems:
        print(line)
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["update"]:
        update()
        return 0
    if argv[:1] == ["check"]:
        return check()
    print("usage: python -m bot.i18n update|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
