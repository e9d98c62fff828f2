"""Run ../shared/bench/websim.py with a per-host count of requests in flight.

websim's `/__stats` counts requests per host but not how many were in flight at once, which
is what `--per-host` promises. This wrapper loads websim from the path given first on the
command line, counts on its raw backend a request as in flight from the moment it is read
until its response is written (or its hang ends, or the client goes away), per listening
address, and answers `/__inflight` with `{"peak": {host: n}, "now": {host: n}}`; websim's
own `/__reset` clears the peaks too. Every other argument goes to websim unchanged.
Needs `--latency-ms` above 0: an undelayed response is written before it can overlap.

    python tests/support/websim_inflight.py PATH/TO/websim.py --hosts 127.0.0.2+8 --port P
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from typing import Any


def main() -> None:
    path, argv = sys.argv[1], sys.argv[2:]
    spec = importlib.util.spec_from_file_location("websim", path)
    assert spec is not None and spec.loader is not None
    websim: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(websim)
    now: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    counted: set[Any] = set()  # protocols (one per connection) with a request in flight
    raw, sim = websim.RawHTTP, websim.Sim

    def done(proto: Any) -> None:
        if proto in counted:
            counted.discard(proto)
            now[proto.host_default] -= 1

    orig_process, orig_send = raw._process, raw._send
    orig_hang, orig_lost = raw._hang_close, raw.connection_lost
    orig_route, orig_reset = sim.route, sim.reset

    def process(self: Any) -> None:
        was_busy = self.busy
        orig_process(self)
        if self.busy and not was_busy and self not in counted:
            counted.add(self)
            host = self.host_default
            now[host] += 1
            peak[host] = max(peak[host], now[host])

    def send(self: Any, payload: Any, keep: bool) -> None:
        done(self)
        orig_send(self, payload, keep)

    def hang_close(self: Any) -> None:
        done(self)
        orig_hang(self)

    def connection_lost(self: Any, exc: Any) -> None:
        done(self)
        orig_lost(self, exc)

    def route(self: Any, method: str, path: str, host: str) -> Any:
        if path.split("?", 1)[0] == "/__inflight":
            body = json.dumps({"peak": dict(peak), "now": dict(now)}).encode()
            return 200, "application/json", body, (), 0.0, False, True
        return orig_route(self, method, path, host)

    def reset(self: Any) -> None:
        orig_reset(self)
        peak.clear()

    raw._process, raw._send, raw._hang_close = process, send, hang_close
    raw.connection_lost = connection_lost
    sim.route, sim.reset = route, reset
    websim.main(argv)


if __name__ == "__main__":
    main()
