"""Worker process for sharded runs: `python -m curator.check.worker`.

Input: one JSON document on stdin, `{"config": CheckConfig fields, "urls": [...]}`.
Output: one JSON line per finished URL on stdout (`shard.result_to_wire`). Config: the
given `CheckConfig` (its `workers` is 1, so a worker never shards again). Runs on uvloop
when installed. Exits when done, or quietly when the parent goes away (broken pipe).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

from curator.check.engine import run_local, run_sync
from curator.check.shard import config_from_wire, result_to_wire
from curator.check.types import FetchResult


def main() -> None:
    # The parent owns Ctrl-C: it stops the run and kills its workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    payload = json.load(sys.stdin)
    config = config_from_wire(payload["config"])
    out = sys.stdout.buffer
    pending: list[bytes] = []

    def flush() -> None:
        try:
            out.write(b"".join(pending))
            out.flush()
        except BrokenPipeError:
            os._exit(0)  # the parent is gone: nobody wants the rest
        pending.clear()

    def emit(result: FetchResult) -> None:
        # Results finished in one pass of the event loop go out in one write.
        if not pending:
            asyncio.get_running_loop().call_soon(flush)
        pending.append(json.dumps(result_to_wire(result), ensure_ascii=False).encode() + b"\n")

    run_sync(run_local(payload["urls"], config, emit))
    flush()


if __name__ == "__main__":
    main()
