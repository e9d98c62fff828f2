"""Worker process for sharded runs: `python -m curator.check.worker`.

Input: one JSON document on stdin, `{"config": CheckConfig fields, "urls": [...]}`.
Output: one JSON line per finished URL on stdout (`shard.result_to_wire`). Config: the
given `CheckConfig` (its `workers` is 1, so a worker never shards again). Runs on uvloop
when installed. Exits when done, or quietly when the parent goes away (broken pipe).
"""

from __future__ import annotations

import json
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

    def emit(result: FetchResult) -> None:
        out.write(json.dumps(result_to_wire(result), ensure_ascii=False).encode() + b"\n")
        out.flush()

    try:
        run_sync(run_local(payload["urls"], config, emit))
    except BrokenPipeError:
        sys.exit(0)


if __name__ == "__main__":
    main()
