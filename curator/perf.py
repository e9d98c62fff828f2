"""Small performance helpers shared by the hot paths (parse, import).

Input: nothing. Output: `gc_paused()` and `gc_relaxed()`, context managers. Config: none.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


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
