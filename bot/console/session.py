"""`deskbot console`: the whole ticket flow in a terminal, no workspace needed.

Reads commands from the terminal or piped standard input; prints the bot's replies and every
message it posts (where to, mentioning whom). Meta-commands start with a colon.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import importlib
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import TextIO

from bot.chart_files import chart_file
from bot.console import forms
from bot.console.printing import Printer, plain
from bot.delivery import deliver_due
from handlers import router
from handlers.chat import language
from handlers.chat.model import (
    Actions,
    Actor,
    Button,
    Context,
    Divider,
    Fields,
    Form,
    Header,
    Image,
    Items,
    Message,
    Place,
    Ref,
    Reply,
    Text,
)
from handlers.chat.texts import Md, phrase
from handlers.config.base import LANGUAGES
from handlers.config.team import Person
from handlers.desk import Desk

log = logging.getLogger(__name__)
PLATFORM = "console"
WORKSPACE = "local"

# `:json PLATFORM` shows what `bot/<platform>/render.py`'s `payload(config, message)` makes;
# imported only when asked, so the console starts without any platform SDK.
JSON_PLATFORMS = ("slack", "teams")


class ReaderGone(BaseException):
    """Standard output was closed by its reader (`| head`). A BaseException, so that the
    handlers that keep one bad command or one failed post from ending the session let it
    through to `main`."""


class ConsoleClock:
    """System time until `:time` sets it; from then on it moves only when told."""

    def __init__(self) -> None:
        self._fixed: dt.datetime | None = None

    def now(self) -> dt.datetime:
        return self._fixed or dt.datetime.now(dt.UTC)

    def set(self, when: dt.datetime) -> None:
        self._fixed = when

    @property
    def fixed(self) -> bool:
        """True once `:time` has set it (the scheduler then stops following real time)."""
        return self._fixed is not None


def _nothing() -> None:
    return None


class Console:
    def __init__(
        self,
        desk: Desk,
        out: TextIO,
        clock: ConsoleClock | None = None,
        lang: str | None = None,
    ) -> None:
        self.desk = desk
        self.lang = lang  # `--lang`, `:lang`: the reader's language, over the configuration
        self.out = out
        self.clock = clock
        config = desk.config
        default = next((p for p in config.holders("l1")), config.people[0])
        self.person: Person = default
        self.channel = config.channels.queue.name
        self.buttons: list[Button] = []
        # Called with (old, new) when `:time` moves the clock; the scheduler hooks in here.
        self.on_time: list[Callable[[dt.datetime, dt.datetime], None]] = []
        # Held while a command runs: the scheduler's real-time posts wait for it to finish.
        self.lock = threading.RLock()
        self.last_message: Message | None = None
        self.form: Form | None = None  # the form shown last; `:form` fills it

    # -- who and where -------------------------------------------------------------------

    @property
    def actor(self) -> Actor:
        person = self.person
        if self.lang:  # the console's reader chose a language: it wins, as a person's own
            person = person.model_copy(update={"language": self.lang})
        return Actor(Ref(PLATFORM, WORKSPACE, self.person.id), person)

    def reading(self) -> AbstractContextManager[None]:
        """The console's own lines (who said what, where) in its reader's language."""
        config = self.desk.config
        reader = language.of_reader(config, self.actor.person, None)
        return language.speaking(reader, config.team.both_names)

    @property
    def place(self) -> Place:
        return Place(Ref(PLATFORM, WORKSPACE, self.channel))

    # -- the loop --------------------------------------------------------------------------

    def run(self, lines: Iterable[str], echo: bool, start: Callable[[], None] = _nothing) -> None:
        """Handle lines until the input ends. `start` (the scheduler) runs once, after the
        first line is answered, so a cold start answers at once; before it, if that line
        moves the clock, since `:time` needs the scheduler to fire what falls due."""
        started = False
        for raw in lines:
            line = raw.strip()
            if not line:
                continue
            if echo:
                self.say(f"> {line}")
            if line in (":quit", ":q", ":exit"):
                break
            if not started and line.startswith(":time"):
                start()
                started = True
            self.handle(line)
            if not started:
                start()
                started = True

    def handle(self, line: str) -> None:
        with self.lock:
            try:
                if line.startswith(":"):
                    self.meta(line)
                else:
                    self.show_reply(router.handle_text(self.desk, self.actor, self.place, line))
                self.flush()
            except Exception as exc:  # one bad line must not end the session
                log.exception("console: %s failed", line)
                self.say(f"! internal error: {type(exc).__name__}: {exc}")

    def meta(self, line: str) -> None:
        command, _, arg = line[1:].partition(" ")
        arg = arg.strip()
        handler = {
            "as": self.meta_as,
            "in": self.meta_in,
            "click": self.meta_click,
            "time": self.meta_time,
            "json": self.meta_json,
            "form": lambda a: forms.fill(self, a),
            "lang": self.meta_lang,
        }.get(command)
        if handler is None:
            self.tell("console.unknown_meta", given=command)
            return
        handler(arg)

    def meta_as(self, arg: str) -> None:
        wanted = arg.casefold().removeprefix("@")
        config = self.desk.config
        match = config.person(wanted) or next(
            (p for p in config.people if p.name.casefold().startswith(wanted)), None
        )
        if not wanted or match is None:
            self.tell("console.no_person", given=arg, known=[p.id for p in config.people])
            return
        self.person = match
        self.tell("console.as", name=match.name, roles=match.roles)

    def meta_in(self, arg: str) -> None:
        if not arg:
            self.tell("console.usage_in")
            return
        self.channel = arg.removeprefix("#")
        self.tell("console.in", channel=self.channel)

    def meta_click(self, arg: str) -> None:
        if not arg.isdigit() or not 1 <= int(arg) <= len(self.buttons):
            self.tell("console.usage_click", count=len(self.buttons))
            return
        button = self.buttons[int(arg) - 1]
        self.tell("console.pressed", button=Md(button.label), value=button.value)
        reply = router.handle_action(
            self.desk, self.actor, self.place, button.action_id, button.value
        )
        self.show_reply(reply)

    def meta_lang(self, arg: str) -> None:
        wanted = language.from_locale(arg)
        if wanted is None:
            self.tell("language.unknown", given=arg, known=LANGUAGES)
            return
        self.lang = wanted
        self.tell("language.switched")

    def meta_time(self, arg: str) -> None:
        if self.clock is None:
            self.tell("console.fixed_clock")
            return
        try:
            when = dt.datetime.fromisoformat(arg)
        except ValueError:
            self.tell("console.usage_time")
            return
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.desk.config.team.zone)
        old = self.clock.now()
        self.clock.set(when.astimezone(dt.UTC))
        local = when.astimezone(self.desk.config.team.zone)
        zone = self.desk.config.team.timezone
        self.tell("console.time", at=local.isoformat(timespec="minutes"), zone=zone)
        if when > old:
            for hook in self.on_time:
                hook(old, when.astimezone(dt.UTC))

    def meta_json(self, arg: str) -> None:
        if self.last_message is None:
            self.tell("console.no_message")
            return
        if arg == "neutral":
            self.say(json.dumps(self.last_message.to_dict(), ensure_ascii=False, indent=2))
            return
        if arg not in JSON_PLATFORMS:
            self.tell("console.usage_json", known=("neutral", *JSON_PLATFORMS))
            return
        try:
            render = importlib.import_module(f"bot.{arg}.render")
        except ModuleNotFoundError:
            self.tell("console.no_renderer", given=arg)
            return
        payload = render.payload(self.desk.config, self.last_message)
        self.say(json.dumps(payload, ensure_ascii=False, indent=2))

    # -- output ----------------------------------------------------------------------------

    def tell(self, key: str, **context: object) -> None:
        """One of the console's own lines (a `console.*` phrase), in its reader's language."""
        with self.reading():
            self.say(plain(self.desk.config, phrase(key, **context)))

    def say(self, text: str) -> None:
        try:
            print(text, file=self.out, flush=True)
        except BrokenPipeError as exc:
            raise ReaderGone from exc

    def show_reply(self, reply: Reply) -> None:
        with self.reading():
            prefix = phrase("console.reply_private" if reply.ephemeral else "console.reply")
        if reply.message is not None:
            self.show_message(prefix, reply.message)
        if reply.form is not None:
            self.show_form(reply.form, reply.form_errors)

    def show_form(self, form: Form, errors: dict[str, str]) -> None:
        forms.show(self, form, errors)

    def show_message(self, heading: str, message: Message) -> None:
        self.last_message = message
        self.say(f"{heading}:")
        for line in self.lines(message):
            self.say(f"  {line}")

    def lines(self, message: Message) -> list[str]:
        config = self.desk.config
        out: list[str] = []
        buttons: list[Button] = []
        for block in message.blocks:
            match block:
                case Header(text=text):
                    out.append(plain(config, text))
                case Text(text=text) | Context(text=text):
                    out.extend(plain(config, text).splitlines())
                case Fields(items=items):
                    out.append(
                        " | ".join(f"{plain(config, k)}: {plain(config, v)}" for k, v in items)
                    )
                case Items(items=items):
                    out.extend(f"- {plain(config, i)}" for i in items)
                case Divider():
                    out.append("---")
                case Image(chart=token, alt=alt):
                    path = chart_file(self.desk.engine, token, self.desk.now())
                    out.append(f"[chart] {path or plain(config, alt)}")
                case Actions(buttons=group):
                    start = len(buttons)
                    buttons.extend(group)
                    out.append(
                        "  ".join(
                            f"[{start + i}] {plain(config, b.label)}"
                            for i, b in enumerate(group, 1)
                        )
                    )
        if buttons:
            self.buttons = buttons  # `:click N` presses the last buttons shown
        return out

    def flush(self) -> None:
        """Print every post due now (a claim takes a batch at a time: loop until none)."""
        engine = self.desk.engine
        while asyncio.run(deliver_due(engine, PLATFORM, Printer(self), self.desk.now())):
            pass


def main(
    desk: Desk,
    clock: ConsoleClock,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    lang: str | None = None,
) -> None:
    console = Console(desk, out, clock, lang)
    with contextlib.ExitStack() as running:

        def start_scheduler() -> None:
            # APScheduler and the jobs load after the first answer
            from bot.console.scheduler import attach_console

            running.callback(attach_console(console))  # stopped on the way out

        try:
            _run(console, stdin, out, start_scheduler)
        except ReaderGone:
            # Output was piped into a reader that stopped (`| head`): end quietly, as Unix
            # tools do; point stdout at devnull so the final flush does not complain.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _run(console: Console, stdin: TextIO, out: TextIO, start: Callable[[], None]) -> None:
    desk = console.desk
    console.flush()  # posts queued while no console ran (e.g. by `deskbot schedule run`)
    interactive = stdin.isatty()
    if interactive:
        console.say(
            f"deskbot console · {desk.config.team.name} · you are {console.person.name} "
            f"in #{console.channel}. /help for commands; :as NAME, :in CHANNEL, :click N, "
            ":form name=value; ..., :time ISO, :json slack|teams, :quit"
        )
        console.run(_prompted(stdin, out), echo=False, start=start)
    else:
        console.run(stdin, echo=True, start=start)


def _prompted(stdin: TextIO, out: TextIO) -> Iterable[str]:
    while True:
        out.write("> ")
        out.flush()
        line = stdin.readline()
        if not line:
            return
        yield line
