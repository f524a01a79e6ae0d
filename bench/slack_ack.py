"""Slack ack throughput side by side: a bare bolt app, a minimal durable peer, and deskbot.

Every server runs the same stack in a process of its own (aiohttp, slack_sdk's signature
check, slack-bolt's AsyncApp with `process_before_response=True`; see bench/slack_servers.py):

    bare     acks a no-op: the stack's ceiling.
    peer     one writer thread batches the inserts of concurrent requests into one SQLite
             transaction, then acks: what "durable before the ack" costs at the least.
    deskbot  `deskbot serve` (SQLite; and PostgreSQL too with --database-url): persists the
             request, acks, and does the work after the ack (ticket, card, answer).

50 clients send signed `/ticket new` commands for a fixed time to one server after the other,
each request timed from send to ack. After deskbot's burst the bench waits for the backlog to
drain and checks the database and the fake: N acks -> N tickets logged and N answers at the
response URL. It reads the server's VmHWM/VmRSS from /proc (idle, and after each burst), and
samples VmRSS to say when the peak came; `--tracemalloc DIR` also diffs deskbot's traced
allocations at the last ack and after the drain against idle (tracing slows it ~10x).

Targets (issue 16): deskbot >= 90 % of the peer's req/s with p99 < 100 ms; end to end at least
2x 354 tickets/s (SQLite) and 181 (PostgreSQL); memory < 150 MB after the burst.

    .venv/bin/python bench/slack_ack.py [--seconds 8] [--clients 50] [--runs 3]
                                        [--database-url postgresql://postgres@127.0.0.1/test]
                                        [--no-scheduler] [--work process|in-process|both]
                                        [--tracemalloc DIR]

Everything stays on 127.0.0.1; the Slack Web API and response URLs are a fake process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
SERVERS = Path(__file__).resolve().parent / "slack_servers.py"
SECRET = "bench-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _signed(fields: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    body = urllib.parse.urlencode(fields).encode()
    ts = str(int(time.time()))
    base = b"v0:" + ts.encode() + b":" + body
    signature = "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
    return body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }


async def load(
    url: str, text_: str, seconds: float, clients: int, response_url: str
) -> tuple[list[float], float]:
    latencies: list[float] = []
    counter = iter(range(10**9))
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client(n: int) -> None:
            while time.perf_counter() < deadline:
                i = next(counter)
                body, headers = _signed(
                    {
                        "team_id": "T0SAMPLE",
                        "channel_id": "C0QUEUE",
                        "user_id": "U0LEE",
                        "user_name": "lee",
                        "command": "/ticket",
                        "text": text_.format(i=i),
                        "response_url": response_url,
                        "trigger_id": f"bench.{n}.{i}.{time.time_ns()}",
                    }
                )
                start = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    assert resp.status == 200, resp.status
                latencies.append(time.perf_counter() - start)

        started = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(clients)))
        elapsed = time.perf_counter() - started
    return latencies, elapsed


async def answered(port: int) -> int:
    url = f"http://127.0.0.1:{port}/count"
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return int((await resp.json())["responses"])


def memory(pid: int) -> tuple[int, int]:
    """VmHWM (peak) and VmRSS of a process, in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmHWM"].split()[0]) // 1024, int(fields["VmRSS"].split()[0]) // 1024


class Peak:
    """The server's VmRSS sampled every 50 ms while it runs: when its peak came (in the
    burst, or after it while the backlog and the scheduler's ticks ran)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.started = pid, time.perf_counter()
        self.rss, self.at = 0, 0.0
        self.task = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        while True:
            rss = memory(self.pid)[1]
            if rss > self.rss:
                self.rss, self.at = rss, time.perf_counter() - self.started
            await asyncio.sleep(0.05)

    def stop(self, seconds: float) -> str:
        self.task.cancel()
        when = "in the burst" if self.at <= seconds else f"{self.at - seconds:.1f} s after it"
        return f"VmRSS peaked at {self.rss} MB {when}"


def children(pid: int) -> list[int]:
    """The process's children (deskbot's inbox worker process)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes so far (the 2 cores are shared: wall times
    are noisy, CPU per request is not)."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def pss(pid: int) -> int:
    """Proportional set size in MB: the pages a forked child still shares with its parent
    count half in each (VmRSS counts them in both)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) // 1024
    return 0


def memories(pid: int) -> str:
    """The server's memory, and its worker process's when it has one (with both processes'
    PSS together: what the pair costs the machine)."""
    hwm, rss = memory(pid)
    line = f"VmHWM {hwm} MB, VmRSS {rss} MB"
    kids = children(pid)
    for child in kids:
        hwm, rss = memory(child)
        line += f" (worker process: VmHWM {hwm} MB, VmRSS {rss} MB)"
    if kids:
        line += f"; PSS of both {sum(pss(p) for p in [pid, *kids])} MB"
    return line


def tickets(database_url: str) -> int:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM ticket")).scalar_one())
    finally:
        engine.dispose()


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    database_url: str | None = None  # deskbot: its work is drained and checked
    rates: list[float] = field(default_factory=list)
    p99s: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)
    mem: list[tuple[int, int]] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # the server's CPU ms per ack in a burst
    idle: Path | None = None  # `--tracemalloc`: its allocations before the runs

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"


def _start(args: list[str], trace: str | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if trace:  # bench/slack_servers.py traces allocations and dumps them on SIGUSR1
        env["DESKBOT_BENCH_TRACEMALLOC"] = trace
    return subprocess.Popen([sys.executable, str(SERVERS), *args], env=env, cwd=ROOT)


async def _healthy(port: int) -> None:
    async with aiohttp.ClientSession() as session:
        deadline = time.monotonic() + 180  # a loaded machine starts Python slowly
        while time.monotonic() < deadline:
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start")


@contextlib.contextmanager
def _postgres(url: str | None, count: int) -> Iterator[list[str]]:
    """`count` scratch databases (one per deskbot server), or none without a URL."""
    if not url:
        yield []
        return
    sys.path.insert(0, str(ROOT))
    from tests.support import scratch_database

    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(scratch_database(url, "deskbot_bench")) for _ in range(count)]


async def _drain(server: Server, fake_port: int, before: int, acks: int) -> float:
    """Seconds after the last ack until every acked request is answered (at most 300)."""
    started = time.perf_counter()
    while await answered(fake_port) - before < acks and time.perf_counter() - started < 300:
        await asyncio.sleep(0.05)
    return time.perf_counter() - started


async def burst(server: Server, args: argparse.Namespace, fake_port: int, response_url: str) -> str:
    deskbot = server.database_url is not None
    before = await answered(fake_port)
    logged = tickets(server.database_url) if server.database_url else 0
    cpu_before = cpu_seconds([server.proc.pid])
    peak = Peak(server.proc.pid) if deskbot else None
    lat, elapsed = await load(
        server.url, "new Printer {i} jams #network p2", args.seconds, args.clients, response_url
    )
    cpu = cpu_seconds([server.proc.pid]) - cpu_before
    at_last_ack = memory(server.proc.pid)[1]
    acked = await _snapshot(server.proc.pid, args.tracemalloc) if server.idle else None
    ms = sorted(x * 1000 for x in lat)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    server.rates.append(len(ms) / elapsed)
    server.p99s.append(p99)
    server.cpu.append(cpu * 1000 / len(ms))
    line = (
        f"  {server.name:<20} {len(ms):>6} acks  p50 {statistics.median(ms):5.1f} ms  "
        f"p99 {p99:6.1f} ms  {len(ms) / elapsed:6.0f} req/s  server CPU "
        f"{cpu * 1e6 / len(ms):.0f} us/ack"
    )
    if not deskbot:
        hwm, rss = memory(server.proc.pid)
        server.mem.append((hwm, rss))
        return f"{line}  VmHWM {hwm} MB"
    drained = await _drain(server, fake_port, before, len(ms))
    done = await answered(fake_port) - before
    assert server.database_url is not None
    new = tickets(server.database_url) - logged
    server.ends.append(done / (elapsed + drained))
    assert peak is not None
    await asyncio.sleep(2)  # a tick that starts on the drained backlog counts too
    server.mem.append(memory(server.proc.pid))
    ok = "ok" if new == len(ms) == done else "MISMATCH"
    if server.idle and acked:
        drained_ = await _snapshot(server.proc.pid, args.tracemalloc)
        line += f"\n  at the last ack:\n{_grown(server.idle, acked)}"
        line += f"\n  after the drain:\n{_grown(server.idle, drained_)}"
    return (
        f"{line}\n  {'':<20} {new} tickets logged, {done} answered ({ok}); drained "
        f"{drained:.1f} s after the last ack: {done / (elapsed + drained):.0f} tickets/s end to "
        f"end; {memories(server.proc.pid)}; VmRSS {at_last_ack} MB at the last ack, "
        f"{peak.stop(elapsed)}"
    )


async def _snapshot(pid: int, directory: str) -> Path:
    """The served deskbot's allocations now (`--tracemalloc`): what the burst left."""
    done = set(Path(directory).glob(f"{pid}-*.done"))
    os.kill(pid, signal.SIGUSR1)
    while not (new := set(Path(directory).glob(f"{pid}-*.done")) - done):
        await asyncio.sleep(0.1)
    return new.pop().with_suffix(".snapshot")


def _grown(first: Path, then: Path, top: int = 12) -> str:
    """Where the traced memory grew between two snapshots, by the line that allocated it."""
    import tracemalloc

    before, after = (tracemalloc.Snapshot.load(str(p)) for p in (first, then))
    stats = after.compare_to(before, "traceback")
    total = sum(s.size_diff for s in stats) / 1e6
    lines = [f"    traced memory grew {total:+.1f} MB since idle; largest growth:"]
    for stat in stats[:top]:
        frames = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in stat.traceback[:6])
        lines.append(f"      {stat.size_diff / 1e6:+7.2f} MB {stat.count_diff:+7d}  {frames}")
    return "\n".join(lines)


def _spread(values: list[float], fmt: str) -> str:
    return "/".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", help="also run deskbot on PostgreSQL (a scratch db)")
    parser.add_argument(
        "--no-scheduler",
        action="store_true",
        help="deskbot without its scheduler (its clock ticks scan every open ticket)",
    )
    parser.add_argument(
        "--tracemalloc",
        metavar="DIR",
        help="trace deskbot's allocations; after each burst print where they grew since idle",
    )
    parser.add_argument(
        "--work",
        choices=["process", "in-process", "both"],
        default="process",
        help="where deskbot runs the work after the acks: a worker process (as `deskbot "
        "serve` does), a fixed set of workers in the serving process, or both side by side",
    )
    args = parser.parse_args()

    fake_port = _free_port()
    fake = _start(["fake", str(fake_port)])
    api_url = f"http://127.0.0.1:{fake_port}/api/"
    response_url = f"http://127.0.0.1:{fake_port}/response"
    servers: list[Server] = []
    designs = ["process", "in-process"] if args.work == "both" else [args.work]
    with tempfile.TemporaryDirectory() as tmp, _postgres(args.database_url, len(designs)) as pg:
        try:
            port = _free_port()
            servers.append(Server("bare bolt", _start(["bare", str(port)]), port))
            port = _free_port()
            peer = _start(["peer", str(port), str(Path(tmp) / "peer.db")])
            servers.append(Server("durable peer", peer, port))
            scheduler = "off" if args.no_scheduler else "on"
            for n, work in enumerate(designs):
                databases = [("SQLite", f"sqlite:///{Path(tmp) / f'deskbot-{work}.db'}")]
                if pg:
                    databases.append(("PostgreSQL", pg[n]))
                for db, url in databases:
                    port = _free_port()
                    proc = _start(
                        ["deskbot", str(port), api_url, url, scheduler, work], args.tracemalloc
                    )
                    name = f"deskbot {db}" + (" in-proc" if work == "in-process" else "")
                    servers.append(Server(name, proc, port, url))
            await _healthy(fake_port)
            for server in servers:
                await _healthy(server.port)
            print(
                f"{args.clients} clients, {args.seconds:.0f} s per burst, {args.runs} runs, "
                "/ticket new"
            )
            print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores, shared)")
            for server in servers:
                print(f"  {server.name} idle: {memories(server.proc.pid)}")
            for server in servers:  # warm-up (deskbot: its work drained before the runs)
                before = await answered(fake_port)
                lat, _ = await load(server.url, "new warm-up {i}", 1.0, args.clients, response_url)
                if server.database_url:
                    await _drain(server, fake_port, before, len(lat))
            if args.tracemalloc:
                for server in (s for s in servers if s.database_url):
                    server.idle = await _snapshot(server.proc.pid, args.tracemalloc)
            for run in range(args.runs):
                print(f"run {run + 1}")
                for server in servers:
                    print(await burst(server, args, fake_port, response_url))
            print(f"\nload average after: {os.getloadavg()[0]:.2f}")
            print(f"\nmin/median/max of {args.runs} runs")
            bare, peer_ = servers[0], servers[1]
            for server in servers:
                rates, p99s = _spread(server.rates, "{:.0f}"), _spread(server.p99s, "{:.0f}")
                cpu = _spread(server.cpu, "{:.2f}")
                line = f"  {server.name:<20} {rates} req/s  p99 {p99s} ms  CPU {cpu} ms/ack"
                if server is not bare:
                    of_bare = [r / b for r, b in zip(server.rates, bare.rates, strict=True)]
                    line += f"  {_spread(of_bare, '{:.0%}')} of bare"
                if server.database_url:
                    vs_peer = [r / p for r, p in zip(server.rates, peer_.rates, strict=True)]
                    line += (
                        f", {_spread(vs_peer, '{:.0%}')} of the peer (target >= 90 %, p99 < 100)"
                        f"\n  {'':<20} end to end {_spread(server.ends, '{:.0f}')} tickets/s; "
                        f"VmHWM {max(h for h, _ in server.mem)} MB (target < 150)"
                    )
                print(line)
        finally:
            for proc in [s.proc for s in servers] + [fake]:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


if __name__ == "__main__":
    asyncio.run(main())
