"""The translation catalogs: gettext `.po` files managed with Babel, read without a compile
step (a fresh clone works as it is).

Each message is one English source with its key as context (`msgctxt`): a phrase of
phrases.yaml (`usage.help`), or a whole template file (`queue.md`), so that authors write
plain English and `python -m bot.i18n update` (pybabel extract + update) brings every new or
changed source to the translators. A translation whose English source changed no longer
matches; it shows in English until the catalog is updated, and the catalog test fails.
English has no catalog: it is the source, and English teams never load Babel.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

DOMAIN = "deskbot"
# Our language code -> the catalog's directory (gettext) and Babel's locale for dates.
CATALOG_DIRS = {"zh": "zh_Hans"}
BABEL_LOCALES = {"en": "en_GB", "zh": "zh_Hans_CN"}

Key = tuple[str, str]  # (context, English source)


def locale_dir() -> Path:
    return Path(str(files("handlers.chat") / "locale"))


def po_path(lang: str) -> Path:
    return locale_dir() / CATALOG_DIRS[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


def babel_locale(lang: str) -> str:
    return BABEL_LOCALES.get(lang, "en_GB")


def translated(lang: str, context: str, english: str) -> str:
    """One message in `lang`, or the English while it has no translation."""
    if lang not in CATALOG_DIRS:
        return english
    return catalog(lang).get((context, english), english)


@cache
def catalog(lang: str) -> dict[Key, str]:
    """(context, English) -> translation, for the messages translated and not fuzzy."""
    from babel.messages.pofile import read_po

    path = po_path(lang)
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        entries = read_po(handle, locale=CATALOG_DIRS[lang], domain=DOMAIN)
    return {
        (m.context or "", str(m.id)): str(m.string)
        for m in entries
        if m.id and m.string and not m.fuzzy and isinstance(m.id, str)
    }
