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


def mentions(people: Iterable[Person], ping: bool = True) -> Md:
    render = mention if ping else name
    return Md(", ".join(render(p) for p in people))


def link(label: str, url: str) -> Md:
    return Md(f"[{escape_md(label)}]({url.replace(')', '%29')})")


def event_name(kind: str) -> Md:
    """How a ticket's history names an audit event (`event.<kind>` phrases); an unknown
    kind shows as it is stored."""
    key = f"event.{kind}"
    if f"phrase:{key}" in _environment().loader.mapping:  # type: ignore[union-attr]
        return phrase(key)
    return escape_md(kind)


def md(value: str) -> Md:
    """Mark text that another template produced as Markdown."""
    return Md(value)


def minutes(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 60)


def duration(delta: dt.timedelta | int) -> str:
    """A timedelta, or a number of minutes (the time rules), as "25 min", "4 h", "2 d 3 h"."""
    total = delta if isinstance(delta, int) else minutes(delta)
    if total < 60:
        return f"{total} min"
    hours, mins = divmod(total, 60)
    if hours < 48:
        return f"{hours} h {mins:02d} min" if mins else f"{hours} h"
    return f"{hours // 24} d {hours % 24} h"


@cache
def _environment() -> Environment:
    source = (files("handlers.chat") / "templates" / "phrases.yaml").read_text("utf-8")
    phrases = yaml.load(source, Loader=_LOADER)
    env = Environment(
        loader=_Loaders(DictLoader({f"phrase:{k}": v for k, v in phrases.items()})),
        autoescape=select_autoescape(enabled_extensions=(), default=False),
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # templates ship with the package; no file checks per render
    )
    env.globals.update(
        mention=mention, name=name, mentions=mentions, link=link, md=md, event_name=event_name
    )
    env.filters.update(duration=duration, minutes=minutes)
    return env


class _Loaders(DictLoader):
    """Phrases from phrases.yaml, whole templates from handlers/chat/templates/*.md."""

    def __init__(self, phrases: DictLoader) -> None:
        super().__init__(phrases.mapping)
        self._package = PackageLoader("handlers.chat", "templates")

    def get_source(self, environment: Environment, template: str):  # type: ignore[no-untyped-def]
        if template.startswith("phrase:"):
            return super().get_source(environment, template)
        return self._package.get_source(environment, template)


@cache
def _template(name: str) -> Template:
    return _environment().get_template(name)


def render(template: str, /, **context: Any) -> Md:
    """A whole template file, e.g. render("queue.md", tickets=...)."""
    return Md(_template(template).render(**context).strip())


def phrase(key: str, /, **context: Any) -> Md:
    """A short phrase from phrases.yaml, e.g. phrase("button.take")."""
    if not context:
        return _fixed_phrase(key)  # labels and names: rendered once
    return Md(_template(f"phrase:{key}").render(**context).strip())


@cache
def _fixed_phrase(key: str) -> Md:
    return Md(_template(f"phrase:{key}").render().strip())
