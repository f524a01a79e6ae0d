"""`deskbot serve` in a child process, for the crash and stop tests.

With DESKBOT_TEST_HOLD_WORK=1 every piece of Slack work waits forever after its ack, so a
kill lands between the ack and the work, every time.
"""

from __future__ import annotations

import asyncio
import os
import sys

if os.environ.get("DESKBOT_TEST_HOLD_WORK"):
    from bot import inbox
    from bot.work_items import WorkItem

    async def _hold(self: inbox.Inbox, key: str, item: WorkItem) -> None:
        await asyncio.Event().wait()

    inbox.Inbox.execute = _hold  # type: ignore[assignment,method-assign]

from bot.cli import main

sys.exit(main(sys.argv[1:]))
