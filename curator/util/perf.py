"""Small performance helpers shared by the hot paths (parse, import, tag, check).

Input: nothing. Output: `gc_paused()` and `gc_relaxed()`, context managers, `run_sync()`
(a coroutine on uvloop with the GC relaxed), and `map_split()`, which runs a pure function
over a big list on two cores. Config: `SPLIT_MIN_ITEMS`.
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many items forking a worker costs more than it saves.
SPLIT_MIN_ITEMS = 4_000

# The job of a forked worker, inherited instead of being pickled to it.
_JOB: dict[str, Any] = {}


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a burst of acyclic objects is made.

    Parsing a 2 MB list allocates ~300k tokens and nodes; every allocation threshold then
    triggers a collection that walks all of them again (~30 % of parse time). None of them
    form cycles, so nothing is lost by collecting once, afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# Young objects allowed before a collection while checking (CPython's default is 700).
_CHECK_GC_THRESHOLD = 50_000


@contextmanager
def gc_relaxed() -> Iterator[None]:
    """Collect rarely during a long I/O-bound run whose objects die by reference counting.

    A check allocates a few hundred short-lived objects per request; at CPython's default
    threshold that triggered a collection every few requests, and every tenth of those
    walked all objects made at import time too (about 12 % of a check's CPU). Import-time
    objects are frozen out of the walks and collections become rare; the check path keeps
    its cyclic garbage near zero (titles.py and fetch.py break the known cycles), so memory
    stays flat.
    """
    old = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(_CHECK_GC_THRESHOLD, old[1], old[2])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on uvloop when it is installed (about 15 % less CPU), else asyncio,
    with the cyclic GC relaxed (`gc_relaxed`)."""
    with gc_relaxed():
        try:
            import uvloop
        except ImportError:
            return asyncio.run(coro)
        return uvloop.run(coro)


def _run_job() -> list[Any]:
    fn, items = _JOB["job"]
    with gc_paused():
        return list(fn(items))


def map_split(fn: Callable[[list[T]], list[R]], items: list[T]) -> list[R]:
    """`fn(items)`, with the second half computed by a forked worker meanwhile.

    `fn` must be pure and return one result per item, in order: the worker only sees the
    state of this process at the fork, and its results come back pickled. The worker
    never touches what it inherits beyond `fn` and the items (an open DB connection, say).
    """
    import multiprocessing  # here: the checker's processes use only the GC helpers
    from concurrent.futures import ProcessPoolExecutor

    if (
        len(items) < SPLIT_MIN_ITEMS
        or (os.cpu_count() or 1) < 2
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return fn(items)
    half = len(items) // 2
    _JOB["job"] = (fn, items[half:])
    try:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            future = pool.submit(_run_job)
            first = fn(items[:half])
            return first + future.result()
    finally:
        _JOB.clear()
