"""Slack requests as persisted work: written before the ack, run after it, exactly once.

A request becomes a small JSON payload (what was asked, by whom, where, and how to answer)
stored in `inbound_event` under a key that Slack repeats on a redelivery (the Events API
`event_id`, the interaction's `trigger_id`, a modal's id and values). The unique key makes a
repeat a no-op; `storage.inbound_work.finishing` marks the row done in the same commit as
the work's own change, so a crash leaves either both or neither, and `recover` runs what a
stopped process left behind.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from sqlalchemy.exc import DBAPIError

from bot.db_threads import ACK, WORK, DbThreads
from bot.slack import incoming
from handlers import router
from handlers.chat.model import Message, Reply, Text
from handlers.chat.texts import phrase
from handlers.desk import Desk
from storage import inbound, inbound_work
from storage.db import session_scope

log = logging.getLogger(__name__)
SOURCE = "slack"
STALE = dt.timedelta(minutes=2)  # unfinished this long: its process stopped; run it again
BATCH_MAX = 200  # requests written in one transaction at most

Payload = dict[str, Any]
Answer = Callable[[Payload, Reply], Awaitable[None]]


def key_of(kind: str, *parts: object) -> str:
    return ":".join([kind, *(str(p) for p in parts)])[:200]


def values_digest(values: dict[str, str]) -> str:
    raw = json.dumps(values, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def run(desk: Desk, payload: Payload) -> Reply:
    """The neutral call a payload stands for (no Slack here, only the router)."""
    config = desk.config
    team = payload["team"]
    actor = incoming.actor(
        config, team, payload["user"], payload.get("name", ""), payload.get("locale")
    )
    place = incoming.place(team, payload.get("channel"), payload.get("thread"))
    kind = payload["kind"]
    if kind in ("command", "mention"):
        return router.handle_text(desk, actor, place, payload["text"])
    if kind == "action":
        return router.handle_action(desk, actor, place, payload["action_id"], payload["value"])
    if kind == "form":
        return router.handle_form(desk, actor, place, payload["form_id"], payload["values"])
    if kind == "shortcut":
        return router.ticket_from_message(
            desk, actor, place, payload["text"], payload.get("permalink")
        )
    raise ValueError(f"unknown Slack work kind {kind!r}")


def internal_error() -> Reply:
    text = phrase("slack.internal_error")
    return Reply(Message((Text(text),), text), ephemeral=True, ok=False)


class Inbox:
    """Takes requests (persist), runs them (thread pool), answers them, and recovers."""

    def __init__(self, desk: Desk, answer: Answer, threads: int = 2) -> None:
        self.desk = desk
        self.answer = answer
        # Writes an ack waits for go before any work after an ack (see bot.db_threads).
        self._db = DbThreads(desk.engine.dialect.name, "slack", threads)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._running: set[str] = set()  # keys in progress here (recovery skips them)
        self._to_write: list[tuple[str, Payload, asyncio.Future[bool]]] = []
        self._writing = False

    # -- background tasks ----------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self, timeout: float) -> None:
        """Let work in progress finish (shutdown); what does not is recovered on restart."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in list(self._tasks):
            task.cancel()

    def close(self) -> None:
        self._db.shutdown()

    # -- taking --------------------------------------------------------------------------

    def persist(self, key: str, payload: Payload) -> asyncio.Future[bool]:
        """Write the work; True when it is new (or a stale leftover to run again).

        Group commit: requests that arrive while a write is under way go together in the
        next one, so a burst costs a few transactions instead of one each.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._to_write.append((key, payload, future))
        if not self._writing:
            self._writing = True
            self.spawn(self._write_batches())
        return future

    async def _write_batches(self) -> None:
        try:
            while self._to_write:
                batch, self._to_write = self._to_write[:BATCH_MAX], self._to_write[BATCH_MAX:]
                items = [(key, payload) for key, payload, _ in batch]
                try:
                    claimed = await self._db.run(ACK, self._persist, items)
                except Exception as exc:
                    for _, _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, _, future), took in zip(batch, claimed, strict=True):
                    if not future.done():
                        future.set_result(took)
        finally:
            self._writing = False

    def _persist(self, items: list[tuple[str, Payload]]) -> list[bool]:
        with self.desk.engine.begin() as conn:
            return inbound_work.claim_many(conn, SOURCE, items, self.desk.now())

    # -- running -------------------------------------------------------------------------

    async def execute(self, key: str, payload: Payload) -> Reply | None:
        """Run the work once; None when another runner did it, or it must wait (database)."""
        self._running.add(key)
        try:
            return await self._db.run(WORK, self._execute, key, payload)
        except DBAPIError:
            log.exception("slack %s: database error; left for recovery", key)
            return None
        finally:
            self._running.discard(key)

    def _execute(self, key: str, payload: Payload) -> Reply | None:
        now = self.desk.now()
        try:
            with inbound_work.finishing(SOURCE, key, now) as state:
                reply = run(self.desk, payload)
        except inbound_work.AlreadyDone:
            return None
        except DBAPIError:
            raise
        except Exception:
            log.exception("slack %s: failed", key)
            with incoming.reading(self.desk.config, payload):
                reply = internal_error()
            state = inbound_work.Finishing(SOURCE, key, now)
        with session_scope(self.desk.engine) as session:
            if payload["kind"] == "form" and reply.form_errors and not state.done:
                # nothing changed: the same modal may be submitted again once corrected
                inbound.release(session, SOURCE, key)
                return reply
            if not state.done and not inbound_work.mark_done(session, SOURCE, key, now):
                return None
        return reply

    async def finish(self, key: str, payload: Payload) -> None:
        """Run and answer: the part after the ack."""
        reply = await self.execute(key, payload)
        if reply is not None:
            await self.respond(key, payload, reply)

    async def respond(self, key: str, payload: Payload, reply: Reply) -> None:
        try:
            await self.answer(payload, reply)
        except Exception:  # the work is done; only the answer to the asker is lost
            log.exception("slack %s: could not answer", key)

    async def finish_late(
        self, persisting: asyncio.Future[bool], key: str, payload: Payload
    ) -> None:
        """The ack went out before the write finished: finish when it does."""
        try:
            claimed = await persisting
        except Exception:
            log.exception("slack %s: could not persist", key)
            with incoming.reading(self.desk.config, payload):
                text = phrase("slack.not_saved")
            await self.respond(key, payload, Reply(Message((Text(text),), text), ok=False))
            return
        if claimed:
            await self.finish(key, payload)

    # -- recovery ------------------------------------------------------------------------

    async def recover(self, stale: dt.timedelta | None = None) -> int:
        """Run work left unfinished (all of it at start; later only what is stale)."""
        now = self.desk.now()
        before = now - stale if stale is not None else None
        rows = await self._db.run(WORK, self._unfinished, before)
        done = 0
        for event_id, payload in rows:
            if event_id in self._running:
                continue
            log.warning("slack %s: finishing work left unfinished", event_id)
            await self.finish(event_id, payload)
            done += 1
        return done

    def _unfinished(self, before: dt.datetime | None) -> list[tuple[str, Payload]]:
        now = self.desk.now()
        out = []
        with session_scope(self.desk.engine) as session:
            for row in inbound_work.unfinished(session, SOURCE, before):
                if row.payload and inbound_work.retake(session, row, now):
                    out.append((row.event_id, row.payload))
        return out
