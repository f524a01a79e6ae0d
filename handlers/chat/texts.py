"""Every user-visible sentence comes from here: Jinja2 templates in a small Markdown subset.

Values a template prints are escaped as Markdown (a summary with `*` or `[x](y)` stays literal
text); what the template functions return (`mention`, `name`, `link`) is already Markdown
and passes through. HTML autoescape is off: each platform does its own escaping when it
renders (Slack `& < >`, Teams and console their own).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from jinja2 import (
    DictLoader,
    Environment,
    PackageLoader,
    StrictUndefined,
    Template,
    select_autoescape,
)

from handlers.chat import catalogs, language
from handlers.chat.model import clean_input, mention_token
from handlers.config.team import Person

# the C parser when PyYAML has it: a third of the start-up parsing time otherwise
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_MD_SPECIAL = re.compile(r"([\\*_\[\]`~|])")


class Md(str):
    """A string that is already Markdown: printed as is."""

    __slots__ = ()


def escape_md(value: str) -> Md:
    return Md(_MD_SPECIAL.sub(r"\\\1", clean_input(value)))


def _finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Md):
        return value
    if isinstance(value, str):
        return escape_md(value)
    return value


def mention(person: Person | str | None) -> Md:
    """A real mention (a ping). Only through here: never paste platform syntax."""
    if person is None:
        return Md("")
    return Md(mention_token(person if isinstance(person, str) else person.id))


def name(person: Person | None) -> Md:
    """A person's name without pinging them (the C and I of a RACI, for example)."""
    return escape_md(person.name) if person else Md("")


# How a list of names is joined, per language (Chinese uses the enumeration comma).
_LIST_SEPARATORS = {"en": ", ", "zh": "、"}


def mentions(people: Iterable[Person], ping: bool = True) -> Md:
    render = mention if ping else name
    return Md(_LIST_SEPARATORS[language.current()].join(render(p) for p in people))


def link(label: str, url: str) -> Md:
    return Md(f"[{escape_md(label)}]({url.replace(')', '%29')})")


def event_name(kind: str) -> Md:
    """How a ticket's history names an audit event (`event.<kind>` phrases); an unknown
    kind shows as it is stored."""
    key = f"event.{kind}"
    if has_phrase(key):
        return phrase(key)
    return escape_md(kind)


def md(value: str) -> Md:
    """Mark text that another template produced as Markdown."""
    return Md(value)


def minutes(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 60)


def duration(delta: dt.timedelta | int) -> str:
    """A timedelta, or a number of minutes (the time rules), as "25 min", "4 h", "2 d 3 h"
    (the `duration.*` phrases: "25 分钟", "2 小时 15 分钟" in Chinese)."""
    total = delta if isinstance(delta, int) else minutes(delta)
    if total < 60:
        return phrase("duration.minutes", m=total)
    hours, mins = divmod(total, 60)
    if hours < 48:
        if mins:
            return phrase("duration.hours_minutes", h=hours, m=f"{mins:02d}")
        return phrase("duration.hours", h=hours)
    return phrase("duration.days_hours", d=hours // 24, h=hours % 24)


def label(thing: Any) -> Md:
    """A configured name (role, category, activity, meeting) in the reader's language;
    with `team.both_names`, the other one follows in parentheses."""
    if thing is None:
        return Md("")
    english, chinese = thing.name, getattr(thing, "name_zh", "") or ""
    first, other = (
        (chinese, english) if language.current() == "zh" and chinese else (english, chinese)
    )
    if language.both_names() and other and other != first:
        return escape_md(f"{first} ({other})")
    return escape_md(first)


def date(value: dt.date | dt.datetime, pattern: str) -> str:
    """A date or time in a CLDR pattern for the reader's language ("M月d日 EEE HH:mm");
    Babel is imported only when a text asks for it (English templates use strftime)."""
    from babel.dates import format_date, format_datetime

    locale = catalogs.babel_locale(language.current())
    if isinstance(value, dt.datetime):
        return format_datetime(value, pattern, tzinfo=value.tzinfo, locale=locale)
    return format_date(value, pattern, locale=locale)


def percent(ratio: float) -> str:
    """A share as the reader's language writes percentages ("83%", "83 %")."""
    from babel.numbers import format_percent

    return format_percent(ratio, locale=catalogs.babel_locale(language.current()))


@cache
def english_phrases() -> dict[str, str]:
    source = (files("handlers.chat") / "templates" / "phrases.yaml").read_text("utf-8")
    return {str(k): str(v) for k, v in yaml.load(source, Loader=_LOADER).items()}


def english_template(name: str) -> str:
    return (files("handlers.chat") / "templates" / name).read_text("utf-8")


def helpers() -> list[str]:
    """What every text may call besides its data (mention, label, phrase, ...)."""
    return list(_environment("en").globals)


def template_names() -> list[str]:
    return sorted(
        p.name for p in (files("handlers.chat") / "templates").iterdir() if p.name.endswith(".md")
    )


@cache
def _environment(lang: str = "en") -> Environment:
    phrases = english_phrases()
    if lang != "en":
        catalog = catalogs.catalog(lang)
        phrases = {k: catalog.get((k, v), v) for k, v in phrases.items()}
    env = Environment(
        loader=_Loaders(DictLoader({f"phrase:{k}": v for k, v in phrases.items()}), lang),
        autoescape=select_autoescape(enabled_extensions=(), default=False),
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # templates ship with the package; no file checks per render
    )
    env.globals.update(
        mention=mention,
        name=name,
        mentions=mentions,
        link=link,
        md=md,
        event_name=event_name,
        label=label,
        phrase=phrase,
    )
    env.filters.update(duration=duration, minutes=minutes, label=label, date=date, percent=percent)
    return env


class _Loaders(DictLoader):
    """Phrases from phrases.yaml, whole templates from handlers/chat/templates/*.md; in
    another language, each as the catalog translates its English source (the English
    source while a translation is missing: the catalog test reports it)."""

    def __init__(self, phrases: DictLoader, lang: str) -> None:
        super().__init__(phrases.mapping)
        self._package = PackageLoader("handlers.chat", "templates")
        self._lang = lang

    def get_source(self, environment: Environment, template: str):  # type: ignore[no-untyped-def]
        if template.startswith("phrase:"):
            return super().get_source(environment, template)
        source, filename, uptodate = self._package.get_source(environment, template)
        if self._lang != "en":
            source = catalogs.catalog(self._lang).get((template, source), source)
        return source, filename, uptodate


@cache
def _template(name: str, lang: str) -> Template:
    return _environment(lang).get_template(name)


@cache
def _globals(name: str, lang: str) -> dict[str, Any]:
    return dict(_template(name, lang).globals)


def _render(name: str, lang: str, context: dict[str, Any]) -> str:
    """`Template.render`, with the helpers merged from a plain dict: Jinja copies them
    from a ChainMap, key by key, for every render (half the cost of a short phrase)."""
    template = _template(name, lang)
    run = template.new_context({**_globals(name, lang), **context}, shared=True)
    try:
        return "".join(template.root_render_func(run))
    except Exception:
        return template.environment.handle_exception()  # the template's line in the trace


def render(template: str, /, **context: Any) -> Md:
    """A whole template file, e.g. render("queue.md", tickets=...)."""
    return Md(_render(template, language.current(), context).strip())


def phrase(key: str, /, **context: Any) -> Md:
    """A short phrase from phrases.yaml, e.g. phrase("button.take")."""
    lang = language.current()
    if not context:
        return _fixed_phrase(key, lang)  # labels and names: rendered once
    parts = _plain_parts(key, lang)
    if parts is not None:
        text = _fill(parts, context)
        if text is not None:
            return Md(text.strip())
    return Md(_render(f"phrase:{key}", lang, context).strip())


# A phrase that only prints values (`{{ t.key }} · {{ t.summary }}`) is filled in without
# Jinja: its render machinery cost more than the text, several times per ticket logged.
_VALUE = re.compile(r"\{\{\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\}\}")
_Parts = tuple[tuple[str, tuple[str, ...]], ...]


@cache
def _plain_parts(key: str, lang: str) -> _Parts | None:
    """The phrase as (text, value path) pairs; None when it needs Jinja (tags, filters,
    calls, comments)."""
    env = _environment(lang)
    source, _, _ = env.loader.get_source(env, f"phrase:{key}")  # type: ignore[union-attr]
    pieces = _VALUE.split(source)
    texts, paths = pieces[0::2], pieces[1::2]
    if any(mark in text for text in texts for mark in ("{{", "{%", "{#")):
        return None
    return tuple(zip(texts, [tuple(p.split(".")) for p in paths] + [()], strict=True))


def _fill(parts: _Parts, context: dict[str, Any]) -> str | None:
    """The phrase filled in as Jinja would (`finalize`, then `str`); None when a value is
    missing, so that Jinja renders it and reports it (or finds an item instead)."""
    out: list[str] = []
    for text, path in parts:
        out.append(text)
        if not path:
            continue
        try:
            value = context[path[0]]
            for attribute in path[1:]:
                value = getattr(value, attribute)
        except (KeyError, AttributeError):
            return None
        out.append(str(_finalize(value)))
    return "".join(out)


@cache
def _fixed_phrase(key: str, lang: str) -> Md:
    return Md(_template(f"phrase:{key}", lang).render().strip())


def has_phrase(key: str) -> bool:
    return key in english_phrases()


def phrase_in(lang: str, key: str, /, **context: Any) -> Md:
    """A phrase for another reader than the asker (a channel post, a DM)."""
    with language.speaking(lang, language.both_names()):
        return phrase(key, **context)


def render_in(lang: str, template: str, /, **context: Any) -> Md:
    with language.speaking(lang, language.both_names()):
        return render(template, **context)
