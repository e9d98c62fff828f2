"""Link-check benchmark: `curator check` against lychee on simulated web hosts.

Starts ../shared/bench/websim.py (20 loopback hosts, 50 ms latency, on a free port so it
never clashes with another websim), generates lists with ../shared/bench/gen_urls.py, and
for each size N: imports awesome-N.md into a fresh DB and runs `curator check
--allow-private` as a subprocess (or, if that command does not exist, `run_checks` on the
list's URLs in a subprocess; the output says which), then lychee on the same file. Both get
a 10 s timeout and 1 retry, as in the bench README. Prints per N and tool: wall time, CPU
(user+sys of the child and its workers, from RUSAGE_CHILDREN), the CPU of the busiest
single process (a floor for the wall time when every process has a core), peak RSS summed
over the process tree (sampled every 20 ms with psutil; PSS too, which does not count
shared pages twice), whether the `gone` set equals the ground truth (false positives /
misses), and the curator/lychee ratios. Targets on a 2-core machine: correct at every N,
wall ratio <= 0.5 at N=5000 and <= 0.4 at N=20000, peak RSS <= 120 MiB at N=20000.

    python benchmarks/check_bench.py [--sizes 1000,5000,20000] [--bench-dir DIR]
                                     [--runs 1] [--no-lychee] [--keep DIR]

The machine is shared: run it when it is quiet and read the figures with that in mind.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curator.urls import normalize  # noqa: E402

DEFAULT_BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "bench"
BIN = Path(sys.executable).parent
HOSTS = "127.0.0.2+20"
FIRST_HOST = "127.0.0.2"

RUN_CHECKS_SNIPPET = """
import asyncio, json, sys
from curator.check.engine import run_checks, run_sync
from curator.check.types import CheckConfig
urls = [u.strip() for u in open(sys.argv[1]) if u.strip()]
out = []
cfg = CheckConfig(allow_private=True, timeout=10.0, retries=1)
run_sync(run_checks(urls, cfg, lambda r: out.append({"url": r.url, "outcome": r.outcome.value})))
json.dump({"results": out}, open(sys.argv[2], "w"))
"""


@dataclass
class Measure:
    wall: float
    cpu: float
    rss_mib: float
    pss_mib: float
    code: int
    busiest_cpu: float = 0.0  # CPU of the busiest single process (parent or one worker)


@dataclass
class Verdict:
    gone: int
    false_pos: int
    missed: int

    @property
    def exact(self) -> bool:
        return self.false_pos == 0 and self.missed == 0


def free_port(host: str) -> int:
    for port in range(18080, 18180):
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port for websim")


def measured(cmd: list[str], cwd: Path, log: Path) -> Measure:
    """Run `cmd`, sampling the RSS/PSS of its whole process tree; CPU from rusage."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = {"rss": 0, "pss": 0}
    cpu_by_pid: dict[int, float] = {}
    t0 = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            root = psutil.Process(proc.pid)
            tick = 0
            while not done.is_set():
                try:
                    tree = [root, *root.children(recursive=True)]
                    peak["rss"] = max(peak["rss"], sum(p.memory_info().rss for p in tree))
                    for p in tree:
                        t = p.cpu_times()
                        cpu_by_pid[p.pid] = t.user + t.system
                    if tick % 5 == 0:  # PSS reads smaps: sample it less often
                        pss = sum(p.memory_full_info().pss for p in tree)
                        peak["pss"] = max(peak["pss"], pss)
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
                tick += 1
                done.wait(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = proc.wait()
        done.set()
        sampler.join()
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    busiest = max(cpu_by_pid.values(), default=0.0)
    return Measure(wall, cpu, peak["rss"] / 2**20, peak["pss"] / 2**20, code, busiest)


def verdict(gone: set[str], truth_file: Path) -> Verdict:
    truth = json.loads(truth_file.read_text())
    broken = {normalize(u) for u, v in truth["urls"].items() if v["broken"]}
    gone = {normalize(u) for u in gone}
    return Verdict(len(gone), len(gone - broken), len(broken - gone))


def curator_gone(report: Path) -> set[str]:
    data = json.loads(report.read_text())
    return {r["url"] for r in data["results"] if r["outcome"] == "gone"}


def lychee_gone(report: Path) -> set[str]:
    data = json.loads(report.read_text())
    gone = set()
    for entries in data.get("error_map", {}).values():
        for e in entries:
            if (e.get("status") or {}).get("code") in (404, 410):
                gone.add(e["url"])
    return gone


def has_check_command() -> bool:
    probe = subprocess.run([str(BIN / "curator"), "check", "--help"], capture_output=True)
    return probe.returncode == 0


def reset(port: int) -> None:
    urllib.request.urlopen(f"http://{FIRST_HOST}:{port}/__reset", timeout=5).read()


def run_curator(n: int, data: Path, work: Path, port: int, cli: bool) -> tuple[Measure, Verdict]:
    db = work / f"bench-{n}.db"
    db.unlink(missing_ok=True)
    report = work / f"curator-{n}.json"
    report.unlink(missing_ok=True)
    if cli:
        imp = subprocess.run(
            [str(BIN / "curator"), "import", str(data / f"awesome-{n}.md"), "--db", str(db)],
            capture_output=True,
            text=True,
        )
        if imp.returncode != 0:
            raise SystemExit(f"curator import failed: {imp.stderr.strip()}")
        cmd = [str(BIN / "curator"), "check", "--allow-private", "--db", str(db)]
        cmd += ["--timeout", "10", "--retries", "1", "--format", "json", "-o", str(report)]
    else:
        urls = data / f"urls-{n}.txt"
        cmd = [sys.executable, "-c", RUN_CHECKS_SNIPPET, str(urls), str(report)]
    reset(port)
    m = measured(cmd, work, work / f"curator-{n}.log")
    if not report.exists():
        raise SystemExit(f"curator wrote no report (exit {m.code}); see {work}/curator-{n}.log")
    return m, verdict(curator_gone(report), data / f"truth-{n}.json")


def run_lychee(n: int, data: Path, work: Path, port: int) -> tuple[Measure, Verdict]:
    report = work / f"lychee-{n}.json"
    report.unlink(missing_ok=True)
    # lychee checks loopback/private addresses unless told to exclude them (-E): defaults.
    cmd = [str(BIN / "lychee"), "--no-progress", "--timeout", "10", "--max-retries", "1"]
    cmd += ["--format", "json", "--output", str(report), str(data / f"awesome-{n}.md")]
    reset(port)
    m = measured(cmd, work, work / f"lychee-{n}.log")
    return m, verdict(lychee_gone(report), data / f"truth-{n}.json")


def median(ms: list[Measure]) -> Measure:
    pick = sorted(ms, key=lambda m: m.wall)[len(ms) // 2]
    return Measure(
        statistics.median(m.wall for m in ms),
        statistics.median(m.cpu for m in ms),
        max(m.rss_mib for m in ms),
        max(m.pss_mib for m in ms),
        pick.code,
        statistics.median(m.busiest_cpu for m in ms),
    )


def generate_lists(bench_dir: Path, data: Path, port: int, sizes: list[int]) -> None:
    """gen_urls.py's lists of `sizes` URLs (with ground truth) into `data`."""
    subprocess.run(
        [
            *(sys.executable, str(bench_dir / "gen_urls.py"), "--out", str(data)),
            *("--hosts", HOSTS, "--port", str(port), *map(str, sizes)),
        ],
        check=True,
        capture_output=True,
    )


def start_websim(
    bench_dir: Path, work: Path, port: int, latency_ms: int, budget: int
) -> subprocess.Popen[bytes]:
    """websim on HOSTS:`port`, returned once it says it is ready (it stops by itself after
    `budget` seconds); SystemExit if it does not start within 20 s."""
    ready = work / "websim.ready"
    ready.unlink(missing_ok=True)
    websim = subprocess.Popen(
        [
            *(sys.executable, str(bench_dir / "websim.py"), "--hosts", HOSTS),
            *("--port", str(port), "--latency-ms", str(latency_ms)),
            *("--max-seconds", str(budget), "--ready-file", str(ready)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while not ready.exists():
        if websim.poll() is not None or time.monotonic() > deadline:
            websim.terminate()
            raise SystemExit("websim did not start")
        time.sleep(0.05)
    return websim


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="1000,5000,20000", help="comma-separated list sizes")
    ap.add_argument(
        "--bench-dir",
        type=Path,
        default=Path(os.environ.get("CURATOR_BENCH_DIR", DEFAULT_BENCH)),
        help="directory with websim.py and gen_urls.py (env CURATOR_BENCH_DIR)",
    )
    ap.add_argument("--runs", type=int, default=1, help="runs per size and tool (median)")
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--no-lychee", action="store_true", help="skip lychee")
    ap.add_argument("--keep", type=Path, help="work in DIR and keep it (default: a temp dir)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    work = args.keep or Path(tempfile.mkdtemp(prefix="check-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    port = free_port(FIRST_HOST)
    lychee = not args.no_lychee and (BIN / "lychee").exists()
    budget = 600 + sum(sizes) // 20 * args.runs * (2 if lychee else 1)

    generate_lists(args.bench_dir, data, port, sizes)
    websim = start_websim(args.bench_dir, work, port, args.latency_ms, budget)
    try:
        cli = has_check_command()
        mode = "`curator check --allow-private` (CLI, import + check)" if cli else "run_checks()"
        print(f"websim on {HOSTS}:{port}, latency {args.latency_ms} ms; curator via {mode}")
        print(f"cpus: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}")
        header = (
            f"{'N':>6} {'tool':8} {'wall s':>7} {'cpu s':>7} {'busiest':>7} {'rss MiB':>8} "
            f"{'pss MiB':>8} {'gone':>5} {'fp':>3} {'miss':>4} {'exact':>5}"
        )
        print(header)
        rows = []
        for n in sizes:
            cur = [run_curator(n, data, work, port, cli) for _ in range(args.runs)]
            ly = [run_lychee(n, data, work, port) for _ in range(args.runs)] if lychee else []
            for name, runs in (("curator", cur), ("lychee", ly)):
                if not runs:
                    continue
                m, v = median([r[0] for r in runs]), runs[-1][1]
                exact = all(r[1].exact for r in runs)
                print(
                    f"{n:>6} {name:8} {m.wall:7.2f} {m.cpu:7.2f} {m.busiest_cpu:7.2f} "
                    f"{m.rss_mib:8.1f} {m.pss_mib:8.1f} {v.gone:>5} {v.false_pos:>3} "
                    f"{v.missed:>4} {'yes' if exact else 'NO':>5}"
                )
            if ly:
                cm, lm = median([r[0] for r in cur]), median([r[0] for r in ly])
                rows.append((n, cm.wall / lm.wall, cm.cpu / lm.cpu, cm.rss_mib / lm.rss_mib))
        if rows:
            print("\ncurator/lychee ratios (target wall <= 0.5 at 5000, <= 0.4 at 20000)")
            print(f"{'N':>6} {'wall':>6} {'cpu':>6} {'rss':>6}")
            for n, wall, cpu, rss in rows:
                print(f"{n:>6} {wall:6.2f} {cpu:6.2f} {rss:6.2f}")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        websim.terminate()
        websim.wait(10)
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
