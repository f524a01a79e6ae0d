"""CPU-bound work over chunks spread over processes, the results taken in order.

A million-row import spends most of its time checking rows in Python; threads cannot share
that out (the GIL), processes can. The caller keeps the database work (one connection, one
transaction) and works on each result while the processes check the next chunks."""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from itertools import chain, islice
from typing import TypeVar

C = TypeVar("C")  # what every chunk's work needs (pickled with each chunk)
T = TypeVar("T")
R = TypeVar("R")


def cores() -> int:
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Checking and writing rows makes and drops millions of tuples and dicts and no
    reference cycles: counting frees them, and the cycle collector's passes over the live
    ones cost a tenth of the work or more for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def in_order(
    work: Callable[[C, T], R], context: C, chunks: Iterable[T], local: int
) -> Iterator[tuple[T, R]]:
    """(chunk, work(context, chunk)) for each chunk, in the chunks' order. The first `local`
    chunks are worked here: a small job never pays for starting processes (about a second
    each: they import the project). The rest go to one process per core, at most two per
    process ahead of the caller, so a bounded number of chunks is held whatever the input's
    size. `work` must be a module-level function (it is pickled by name).

    Close the iterator when not reading it to the end (`contextlib.closing`): that stops
    the processes."""
    chunks = iter(chunks)
    for chunk in islice(chunks, local):
        yield chunk, work(context, chunk)
    first = next(chunks, None)
    if first is None:
        return
    workers = cores()
    # spawn, not fork: the caller holds a database connection and maybe threads, which a
    # forked child must not inherit
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    pending: deque[tuple[T, Future[R]]] = deque()
    try:
        for chunk in chain((first,), chunks):
            pending.append((chunk, pool.submit(work, context, chunk)))
            if len(pending) > 2 * workers:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()
    finally:
        pool.shutdown(cancel_futures=True)
