"""A real `deskbot serve` in a child process, for tests that SIGKILL it mid-request.

Run as a script, it is `deskbot serve` with one optional stall: `work` stops a request after
it was persisted and before its use case runs; `answer` stops it after the work (and its
answer) were committed and before the answer is sent. The stall writes a marker file first,
so the test kills the process exactly there, not after a guessed delay.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
BOOT = 60.0  # seconds a cold start may take on a busy machine (a bound, not a wait)


def _stall(stage: str, marker: Path) -> None:
    from bot import inbox

    def reached() -> None:
        marker.write_text(stage)

    if stage == "work":

        def execute(self: Any, key: str, item: Any) -> None:
            reached()
            time.sleep(3600)  # killed here

        inbox.Inbox._execute = execute  # type: ignore[method-assign]
    elif stage == "answer":

        async def respond(self: Any, key: str, item: Any, reply: Any, live: bool = True) -> None:
            reached()
            await asyncio.sleep(3600)  # killed here

        inbox.Inbox.respond = respond  # type: ignore[method-assign]


async def healthy(url: str, alive: Callable[[], bool] = lambda: True) -> bool:
    """Whether a server at `url` answers /healthz within BOOT seconds (while `alive`)."""
    deadline = time.monotonic() + BOOT
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline and alive():
            try:
                async with http.get(f"{url}/healthz") as resp:
                    if resp.status == 200:
                        return True
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    return False


class Served:
    """One server process at a time on a fixed port, over one database."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.marker = tmp / "stalled"
        self.env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = tmp / "serve.log"

    async def start(self, stall: str = "") -> None:
        self.marker.unlink(missing_ok=True)
        args = [sys.executable, __file__, stall, str(self.marker)]
        args += ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(args, env=self.env, cwd=ROOT, stdout=out, stderr=out)
        process = self.process
        if not await healthy(self.url, lambda: process.poll() is None):
            raise AssertionError(f"deskbot serve did not start:\n{self.log.read_text()}")

    async def stalled(self) -> None:
        deadline = time.monotonic() + BOOT
        while not self.marker.exists():
            assert time.monotonic() < deadline, f"never reached the stall:\n{self.log.read_text()}"
            await asyncio.sleep(0.02)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
            self.process = None


def database_url(engine: Any) -> str:
    return str(engine.url.render_as_string(hide_password=False)).replace("+psycopg", "")


if __name__ == "__main__":
    stage, marker = sys.argv[1], Path(sys.argv[2])
    if stage:
        _stall(stage, marker)
    from bot.cli import main

    sys.exit(main(sys.argv[3:]))
