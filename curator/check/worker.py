"""Worker process for sharded runs: `python -m curator.check.worker`.

Input: JSON lines on stdin (shard.py's wire format): `{"config": CheckConfig fields}`, then
`{"urls": [...]}` batches until end of input. Output: one JSON line per finished URL on
stdout (`shard.result_to_wire`). Config: the given `CheckConfig` (its `workers` is 1, so a
worker never shards again). Runs on uvloop when installed. Exits when its input has ended
and every URL it was given is done, at once when the parent goes away (broken pipe), and
quietly when its input ends before the config (started ahead of a run that did not use it).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

from curator.check.engine import LocalRun, drive_local
from curator.check.shard import config_from_wire, result_to_wire
from curator.check.types import FetchResult
from curator.util.perf import run_sync

_LINE_LIMIT = 16 << 20  # a batch of URLs per line


async def serve() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=_LINE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    first = await reader.readline()
    if not first:
        return  # started ahead of a run that did not need it
    config = config_from_wire(json.loads(first)["config"])
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
            loop.call_soon(flush)
        pending.append(json.dumps(result_to_wire(result), ensure_ascii=False).encode() + b"\n")

    run = LocalRun([], config, emit, open_ended=True)

    async def feed() -> None:
        try:
            while line := await reader.readline():
                run.feed(json.loads(line)["urls"])
        finally:
            run.close()  # end of input, or input we cannot read: finish what we have

    feeder = asyncio.ensure_future(feed())
    try:
        await drive_local(run)
    finally:
        feeder.cancel()
    flush()


def main() -> None:
    # The parent owns Ctrl-C: it stops the run and kills its workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    run_sync(serve())


if __name__ == "__main__":
    main()
