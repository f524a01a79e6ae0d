"""Walk the scheduler through time doing a script of ticket work at its moments: the
prepared weeks of the agenda and KPI tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.console.printing import plain
from handlers import router
from handlers.chat.model import Message
from handlers.desk import Desk, ManualClock
from schedules.driver import Outlet, Scheduler
from tests.conftest import PLACE, actor_of
from tests.support import posts

CONSOLE = Outlet("console", "console:local")
Script = Sequence[tuple[str, str, str]]  # (local time, person id, command)


def local(desk: Desk, text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=desk.config.team.zone).astimezone(dt.UTC)


def lines(desk: Desk, message: Message) -> list[str]:
    out: list[str] = []
    for block in message.blocks:
        if hasattr(block, "text"):
            out += plain(desk.config, block.text).splitlines()
    return out


class ScriptWalk:
    """Walks the scheduler through time, doing the week's ticket work at its moments."""

    def __init__(self, desk: Desk, clock: ManualClock, script: Script) -> None:
        self.desk, self.clock, self.script = desk, clock, script
        self.scheduler = Scheduler(desk, [CONSOLE])
        self.done = 0

    def until(self, when: str) -> None:
        end = local(self.desk, when)
        for moment, who, command in self.script[self.done :]:
            if local(self.desk, moment) > end:
                break
            self.walk(local(self.desk, moment))
            reply = router.handle_text(self.desk, actor_of(self.desk.config, who), PLACE, command)
            assert reply.ok, (command, reply)
            self.done += 1
        self.walk(end)

    def walk(self, to: dt.datetime) -> None:
        list(self.scheduler.walk(self.clock.now(), to, self.clock.set))
        self.clock.set(to)

    def post(self, start: str) -> list[str]:
        """The lines of the one post whose text starts with `start`."""
        found = [lines(self.desk, m) for _, m in posts(self.desk.engine)]
        matching = [f for f in found if f and f[0].startswith(start)]
        assert len(matching) == 1, [f[0] for f in found if f]
        return matching[0]
