"""`../shared/bench/websim.py` (20 simulated web hosts on 127.0.0.2-21) for tests: generate
a list with its gen_urls.py, start the simulator on a free port with a per-host in-flight
count (websim_inflight.py), and stop it. Tests skip with the reason when the bench
directory is missing (it lives next to the repository, not in it)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import ROOT

BENCH = ROOT.parent / "shared" / "bench"
INFLIGHT = Path(__file__).with_name("websim_inflight.py")


def bench_dir() -> Path:
    if not (BENCH / "websim.py").is_file() or not (BENCH / "gen_urls.py").is_file():
        pytest.skip(f"no websim.py and gen_urls.py in {BENCH.name}/ next to the repository")
    return BENCH


def _free_port(host: str) -> int:
    for port in range(18200, 18400):
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for websim")


@dataclass(frozen=True)
class WebSim:
    first_host: str
    port: int

    def _get(self, path: str) -> Any:
        url = f"http://{self.first_host}:{self.port}{path}"
        with urllib.request.urlopen(url, timeout=10) as resp:
            return json.loads(resp.read()) if path != "/__reset" else None

    def reset(self) -> None:
        self._get("/__reset")

    def stats(self) -> dict[str, Any]:
        return dict(self._get("/__stats"))

    def peak_in_flight(self) -> dict[str, int]:
        return dict(self._get("/__inflight")["peak"])


def generate_list(out: Path, n: int, hosts: str, port: int) -> Path:
    subprocess.run(
        [
            *(sys.executable, str(bench_dir() / "gen_urls.py"), "--out", str(out)),
            *("--hosts", hosts, "--port", str(port), str(n)),
        ],
        check=True,
        capture_output=True,
    )
    return out / f"awesome-{n}.md"


@contextmanager
def websim(work: Path, hosts: str = "127.0.0.2+8", latency_ms: int = 20) -> Iterator[WebSim]:
    first = hosts.split("+", 1)[0].split("-", 1)[0].split(",", 1)[0]
    port = _free_port(first)
    ready = work / "websim.ready"
    log = (work / "websim.log").open("wb")
    proc = subprocess.Popen(
        [
            *(sys.executable, str(INFLIGHT), str(bench_dir() / "websim.py"), "--hosts", hosts),
            *("--port", str(port), "--latency-ms", str(latency_ms), "--max-seconds", "600"),
            *("--hang-max-s", "5", "--ready-file", str(ready)),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while not ready.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"websim did not start: {(work / 'websim.log').read_text()}")
            time.sleep(0.05)
        yield WebSim(first, port)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
