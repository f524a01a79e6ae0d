"""Forms in the console: the open form is printed with its fields, and
`:form name=value; name=value` fills and submits it through the same neutral path as a Slack
modal or a Teams card (`router.handle_form`), with the same validation errors."""

from __future__ import annotations

from typing import Protocol

from bot.console.printing import plain
from handlers import router
from handlers.chat.model import Actor, Form, Place, Reply
from handlers.desk import Desk


class Console(Protocol):
    """What a form needs of the console session."""

    desk: Desk
    form: Form | None

    @property
    def actor(self) -> Actor: ...

    @property
    def place(self) -> Place: ...

    def say(self, text: str) -> None: ...

    def show_reply(self, reply: Reply) -> None: ...


USAGE = "? usage: :form name=value; name=value (the names the open form shows)"


def show(console: Console, form: Form, errors: dict[str, str]) -> None:
    """Print the form: one line per field as `name: Label`, its choices, value and error."""
    config = console.desk.config
    console.form = form
    console.say(f"deskbot (only you): [form] {plain(config, form.title)}")
    for f in form.fields:
        mark = " *" if f.required else ""
        line = f"  {f.name}: {plain(config, f.label)}{mark}"
        if f.choices:
            line += f" ({', '.join(c.value for c in f.choices)})"
        if f.initial:
            line += f" = {plain(config, f.initial)}"
        if f.name in errors:
            line += f"  ← {plain(config, errors[f.name])}"
        console.say(line)
    console.say(f"  :form name=value; ... to {plain(config, form.submit_label)}")
    if form.hint:
        console.say(f"  {plain(config, form.hint)}")


def fill(console: Console, arg: str) -> None:
    form = console.form
    if form is None:
        console.say("? no form is open")
        return
    names = {f.name for f in form.fields}
    values = {f.name: f.initial for f in form.fields}  # pre-filled values stay unless given
    for part in arg.split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in names:
            console.say(f"{USAGE}; fields: {', '.join(f.name for f in form.fields)}")
            return
        values[name] = value.strip()
    console.form = None
    reply = router.handle_form(console.desk, console.actor, console.place, form.form_id, values)
    console.show_reply(reply)
