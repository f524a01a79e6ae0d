"""`deskbot serve` in a child process, for the crash and stop tests.

With DESKBOT_TEST_HOLD_WORK=1 every piece of Slack work waits forever after its ack, so a
kill lands between the ack and the work, every time.
"""

from __future__ import annotations

import asyncio
import os
import sys

if os.environ.get("DESKBOT_TEST_HOLD_WORK"):
    from bot.slack import work

    async def _hold(self: work.Inbox, key: str, payload: work.Payload) -> None:
        await asyncio.Event().wait()

    work.Inbox.execute = _hold  # type: ignore[assignment,method-assign]

from bot.cli import main

sys.exit(main(sys.argv[1:]))
