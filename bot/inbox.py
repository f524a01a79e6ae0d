"""One inbox for inbound work from every platform: persist, answer the platform, run, commit.

    take   `persist(key, item)`: the item is written under the delivery's unique key before
           the platform gets its answer (Slack's ack); a repeat of the key is a no-op.
    run    `execute(key, item)`: the use case runs on a desk bound to the request's `Unit`;
           its writes, the done mark and the answer to the asker are ONE commit
           (`storage.inbound.Unit.commit`, called below, nowhere else).
    answer `respond(key, item, reply)`: the platform's answer callback, then the row is
           marked answered. A crash after the commit leaves the answer in the row, and
           `recover` sends it once after a restart.

A permanent database error (data, integrity: a value the column refuses) fails that request
with an answer to the asker; a transient one (connection, lock) leaves it for `recover`.

Where the work after the ack runs is the inbox's `role`: "all" takes, runs and answers in
this process (on a fixed set of workers, bot.after_ack); under `deskbot serve` Slack's inbox
is split in two processes (bot.inbox_worker): "ack" persists and acknowledges, leaving the
plain runs untaken in the table and nudging the worker process; "work" takes them from the
table (a compare-and-set on the lease), runs and answers them, and recovers what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractContextManager
from typing import Any, Literal

from pydantic import TypeAdapter
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from bot import work_items
from bot.after_ack import AfterAck, Job
from bot.db_threads import ACK, WORK, DbThreads
from bot.work_items import FormSubmission, WorkItem
from handlers.chat import language
from handlers.chat.model import Message, Reply
from handlers.chat.texts import phrase
from handlers.config.team import TeamConfig
from handlers.desk import Desk
from storage import inbound
from storage.db import connection_scope, session_scope
from storage.driver import JsonText
from storage.models import InboundEvent

log = logging.getLogger(__name__)
BATCH_MAX = 200  # requests written in one transaction at most
MARK_LINGER = 0.05  # seconds answered marks wait for company while work is queued
RECOVER_EVERY = 60.0  # seconds between passes over work left unfinished
DRAIN_SECONDS = 10.0  # at shutdown, work in progress gets this long to finish
PERMANENT = (DataError, IntegrityError)  # the request itself is wrong: retrying cannot help

# How a platform answers the asker; `live` is False when recovery sends a stored answer
# (the request's own connection, e.g. a Teams turn, is gone then).
Answer = Callable[[WorkItem, Reply, bool], Awaitable[None]]
Role = Literal["all", "ack", "work"]
_REPLY: TypeAdapter[Reply] = TypeAdapter(Reply)


def _stored(reply: Reply) -> JsonText:
    """The answer as its row keeps it, encoded in one step (no dict first)."""
    return JsonText(_REPLY.dump_json(reply).decode())


def notice(key: str, config: TeamConfig, item: WorkItem) -> Reply:
    """A one-text refusal from the inbox itself (not saved, went wrong, rejected), in the
    asker's language."""
    with reading(config, item):
        return Reply(Message.text(phrase(key)), ephemeral=True, ok=False)


def reading(config: TeamConfig, item: WorkItem) -> AbstractContextManager[None]:
    """Texts an adapter writes itself to the asker (acks, apologies) in their language."""
    person = config.person(item.person) if item.person else None
    reader = language.of_reader(config, person, item.locale)
    return language.speaking(reader, config.team.both_names)


class Inbox:
    def __init__(
        self, desk: Desk, source: str, answer: Answer, threads: int = 2, role: Role = "all"
    ) -> None:
        self.desk = desk
        self.source = source
        self.answer = answer
        self.role = role
        # role "ack": tells the worker process that work waits (set by bot.inbox_worker)
        self.nudge: Callable[[], None] = lambda: None
        # Writes an ack waits for go before any work after an ack (see bot.db_threads); the
        # worker process acks nothing, so its jobs run on its event loop's thread.
        self._db = DbThreads(desk.engine.dialect.name, source, threads, inline=role == "work")
        self._tasks: set[asyncio.Task[Any]] = set()
        self._running: set[str] = set()  # keys in progress here (recovery skips them)
        self._to_write: list[tuple[str, WorkItem, bool, asyncio.Future[bool]]] = []
        self._writing = False
        self._to_mark: list[str] = []
        self._marking = False
        self._started = desk.now()
        self.after_ack = AfterAck(source, self._running, self._waiting)
        # How work taken from the table runs (an adapter may fetch the user's locale first).
        self.resume: Callable[[str, WorkItem], Coroutine[Any, Any, Any]] = self.finish

    # -- background tasks ----------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def later(self, job: Job, key: str | None = None) -> None:
        """Run `job` after the ack: with the key of persisted work, on the workers (see
        bot.after_ack), or (role "ack") by the worker process, which reads it from the
        table; else (rare: a late write, an apology) in a task of its own."""
        if key is None:
            self.spawn(job())
        elif self.role == "ack":
            self.nudge()
        else:
            self.after_ack.add(key, job)

    def poke(self) -> None:
        """Role "work": work waits in the table (the acking process wrote some)."""
        self.after_ack.poke()

    async def _waiting(self, skip: set[str]) -> list[tuple[str, Job]]:
        # "all": rows this process took and did not queue; "work": rows nobody took yet,
        # or whose runner went quiet (never another runner's fresh lease)
        before = None if self.role == "all" else self.desk.now() - inbound.STALE
        rows = await self._db.run(WORK, self._unfinished, before, skip)
        return [(key, lambda key=key, item=item: self.resume(key, item)) for key, item in rows]

    async def drain(self, timeout: float) -> None:
        """Let work in progress and queued finish (shutdown); what does not is recovered
        on restart."""
        self.after_ack.stop()
        busy = {*self._tasks, *self.after_ack.workers}
        if busy:
            await asyncio.wait(busy, timeout=timeout)
        for task in busy:
            task.cancel()

    def close(self) -> None:
        self._db.shutdown()

    # -- take ----------------------------------------------------------------------------

    def persist(self, key: str, item: WorkItem, plain: bool = False) -> asyncio.Future[bool]:
        """Write the item; True when it is new (or a stale leftover to run again).

        `plain`: the work is the plain run (`resume`), which the worker process may do; else
        this process runs it and takes it at once.

        Group commit: requests that arrive while a write is under way go together in the
        next one, so a burst costs a few transactions instead of one each.
        """
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        taken = not (plain and self.role == "ack")
        self._to_write.append((key, item, taken, future))
        if not self._writing:
            self._writing = True
            self.spawn(self._write_batches())
        return future

    async def _write_batches(self) -> None:
        try:
            while self._to_write:
                batch, self._to_write = self._to_write[:BATCH_MAX], self._to_write[BATCH_MAX:]
                # encoded in one step (pydantic), stored as is: no dict, no json.dumps
                items = [
                    (key, JsonText(item.model_dump_json()), taken) for key, item, taken, _ in batch
                ]
                try:
                    claimed = await self._db.run(ACK, self._persist, items)
                except Exception as exc:
                    for *_, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (*_, future), took in zip(batch, claimed, strict=True):
                    if not future.done():
                        future.set_result(took)
        finally:
            self._writing = False

    def _persist(self, items: list[tuple[str, JsonText, bool]]) -> list[bool]:
        # on the driver's transaction: a Core connection's begin and commit cost a tenth of
        # the serving process's time in a burst of acks (bench/slack_ack.py, py-spy)
        with connection_scope(self.desk.engine) as tx:
            return inbound.claim_many(tx, self.source, items, self.desk.now())

    # -- run -----------------------------------------------------------------------------

    async def execute(self, key: str, item: WorkItem) -> Reply | None:
        """Run the work once; None when another runner did it, or it must wait (database)."""
        self._running.add(key)
        try:
            return await self._db.run(WORK, self._execute, key, item)
        except DBAPIError:
            log.exception("%s %s: database error; left for recovery", self.source, key)
            return None
        finally:
            self._running.discard(key)

    def _execute(self, key: str, item: WorkItem) -> Reply | None:
        unit = inbound.Unit(self.desk.engine, self.source, key, self.desk.now())
        try:
            reply = work_items.run(self.desk.running(unit), item)
            if isinstance(item, FormSubmission) and reply.form_errors and not unit.wrote:
                # nothing changed: the same form may be submitted again once corrected
                unit.discard()
                with session_scope(self.desk.engine) as session:
                    inbound.release(session, self.source, key)
                return reply
            return reply if unit.commit(_stored(reply)) else None
        except PERMANENT:
            log.exception("%s %s: refused by the database; the asker is told", self.source, key)
            reply = notice("inbox.rejected", self.desk.config, item)
        except DBAPIError:
            unit.discard()
            raise  # transient: recovery runs it again
        except Exception:
            log.exception("%s %s: failed", self.source, key)
            reply = notice("slack.internal_error", self.desk.config, item)
        unit.discard()
        failed = inbound.Unit(self.desk.engine, self.source, key, self.desk.now())
        return reply if failed.commit(_stored(reply)) else None

    async def finish(self, key: str, item: WorkItem) -> Reply | None:
        """Run and answer: the part after the platform got its ack."""
        reply = await self.execute(key, item)
        if reply is not None:
            await self.respond(key, item, reply)
        return reply

    async def respond(self, key: str, item: WorkItem, reply: Reply, live: bool = True) -> None:
        try:
            await self.answer(item, reply, live)
        except Exception:  # the work is done; only the answer to the asker is lost
            log.exception("%s %s: could not answer", self.source, key)
        await self.answered(key)

    async def answered(self, key: str) -> None:
        """The answer is out (or was sent another way, e.g. in an HTTP response). Marks are
        written in batches, like takes: one transaction for all that came meanwhile."""
        self._to_mark.append(key)
        if not self._marking:
            self._marking = True
            self.spawn(self._mark_batches())

    async def _mark_batches(self) -> None:
        try:
            while self._to_mark:
                if len(self._to_mark) < BATCH_MAX and self.after_ack.busy:
                    # more answers follow soon: one transaction for many, not one each
                    await asyncio.sleep(MARK_LINGER)
                keys, self._to_mark = self._to_mark[:BATCH_MAX], self._to_mark[BATCH_MAX:]
                try:
                    await self._db.run(WORK, self._mark_answered, keys)
                except DBAPIError:  # the stored answers may be sent once more after a restart
                    log.exception("%s: could not mark %d answers sent", self.source, len(keys))
        finally:
            self._marking = False

    def _mark_answered(self, keys: list[str]) -> None:
        with session_scope(self.desk.engine) as session:
            inbound.answered(session, self.source, keys, self.desk.now())

    async def finish_late(
        self, persisting: asyncio.Future[bool], key: str, item: WorkItem, plain: bool = False
    ) -> None:
        """The platform was answered before the write finished: finish when it does (a plain
        run persisted for the worker process: tell it)."""
        try:
            claimed = await persisting
        except Exception:
            log.exception("%s %s: could not persist", self.source, key)
            try:
                await self.answer(item, notice("slack.not_saved", self.desk.config, item), True)
            except Exception:
                log.exception("%s %s: could not answer", self.source, key)
            return
        if claimed and plain and self.role == "ack":
            self.nudge()
        elif claimed:
            await self.finish(key, item)

    # -- recover -------------------------------------------------------------------------

    async def keep_recovering(self, every: float = RECOVER_EVERY) -> None:
        """At start, everything a stopped process left; then, now and again, what went stale
        (a replica or a request that stopped mid-work)."""
        stale = self.desk.now() - self._started  # nothing this process is doing itself
        while True:
            try:
                await self.recover(stale)
            except Exception:
                log.exception("%s recovery pass", self.source)
            stale = inbound.STALE
            await asyncio.sleep(every)

    async def lifetime(self, background: list[asyncio.Task[Any]]) -> AsyncIterator[None]:
        """For an aiohttp cleanup context: recovery runs while the server does; at the end,
        work in progress gets `DRAIN_SECONDS` to finish, the rest is recovered later."""
        if self.role != "ack":  # the worker process recovers what the acking one wrote
            background = [*background, asyncio.create_task(self.keep_recovering())]
        yield
        for task in background:
            task.cancel()
        await self.drain(DRAIN_SECONDS)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*background, return_exceptions=True)
        self.close()

    async def recover(self, stale: dt.timedelta | None = None) -> int:
        """Run work left unfinished and send answers left unsent (older than `stale`)."""
        before = self.desk.now() - stale if stale is not None else None
        busy = {*self._running, *self.after_ack.queued}  # run here already: no retake
        # role "work": rows nobody took are the workers' reads (bot.after_ack), not recovery's
        untaken = self.role != "work"
        rows = await self._db.run(WORK, self._unfinished, before, busy, untaken)
        for key, item in rows:
            if key in self._running or key in self.after_ack.queued:
                continue
            log.warning("%s %s: finishing work left unfinished", self.source, key)
            await self.finish(key, item)
        answers = await self._db.run(WORK, self._unanswered, before)
        for key, item, reply in answers:
            log.warning("%s %s: sending an answer left unsent", self.source, key)
            try:
                await self.answer(item, reply, False)
            except Exception:
                log.exception("%s %s: could not answer", self.source, key)
        return len(rows) + len(answers)

    def _unfinished(
        self,
        before: dt.datetime | None,
        skip: frozenset[str] | set[str] = frozenset(),
        untaken: bool = True,
    ) -> list[tuple[str, WorkItem]]:
        now = self.desk.now()
        found: list[tuple[InboundEvent, WorkItem]] = []
        with session_scope(self.desk.engine) as session:
            for row in inbound.unfinished(session, self.source, before, untaken=untaken):
                if row.event_id in skip:  # queued or running here: no retake
                    continue
                try:
                    item = work_items.from_json(row.payload or {})
                except ValueError as exc:  # unreadable (e.g. written by an older version)
                    log.error(
                        "%s %s: stored work unreadable, dropped: %s", self.source, row.event_id, exc
                    )
                    inbound.mark_done(session, self.source, row.event_id, now)
                    continue
                found.append((row, item))
            taken = inbound.take(session, [row for row, _ in found], now, before)
        return [(row.event_id, item) for row, item in found if row.id in taken]

    def _unanswered(self, before: dt.datetime | None) -> list[tuple[str, WorkItem, Reply]]:
        """Taken (marked answered) before sending, so a second pass elsewhere skips them."""
        now = self.desk.now()
        out = []
        with session_scope(self.desk.engine) as session:
            rows = inbound.unanswered(session, self.source, before)
            for row in rows:
                if row.payload is None or row.answer is None:
                    continue
                item, reply = work_items.from_json(row.payload), _REPLY.validate_python(row.answer)
                if inbound.answered(session, self.source, [row.event_id], now):
                    out.append((row.event_id, item, reply))
        return out
