"""Scale benchmark (team scale): `curator check` on SQLite, on PostgreSQL, and as 4 shards.

Input: ../shared/bench/websim.py and gen_urls.py (20 loopback hosts, 127.0.0.2-21, on a
free port, websim's latency as check_bench.py uses it: 50 ms), the machine's PostgreSQL
binaries (a throwaway server from tests/support/pg.py's `start_server()`, one database
per run). For each size N of `--sizes` (generated list awesome-N.md) it runs:
  1. `curator check --allow-private` unsharded on a fresh SQLite file;
  2. the same on a fresh PostgreSQL database (`--db postgresql://...`);
  3. 4 concurrent `curator check --shard i/4 --run-id bench-N` on one fresh PostgreSQL DB.
Every DB gets `curator import awesome-N.md` first (not timed). Checks use `--per-host` and
`--concurrency` defaults, `--timeout 10 --retries 1` as check_bench.py.

Output (stdout, figures only, nothing is asserted): per run the wall time, the peak RSS
of each check process (its process tree, main process plus the worker it starts, summed;
and the biggest single process), sampled with psutil every 50 ms, the DB write time per
1,000 results, and whether the `gone` set equals websim's ground truth. The DB write
time is measured inside the check: each check runs through a small wrapper that times
`ResultWriter._write` (the results writer thread's batch transaction: `store_batch` and
commit, the first one also opening the writer's connection) with perf_counter; it is
the writer thread's wall time, so it includes waiting for the GIL while the event loop
runs. Then the issue's ratios: PostgreSQL wall / SQLite wall at N=20,000 (target
<= 1.10) and peak RSS of one check at N=100,000 / N=20,000 (target < 2x; for the shards,
the biggest of the four processes at each size).

Config: `--sizes` (default 20000,100000), `--configs` (which of the three runs, default
sqlite,postgresql,shards: `--configs sqlite` alone is the quick loop while working on the
parent's memory; PostgreSQL is then not started), `--bench-dir` (env CURATOR_BENCH_DIR),
`--latency-ms` (default 50), `--keep DIR` (work in DIR and keep it; default a temp dir
that is removed). websim and PostgreSQL are stopped at the end, also on errors.

    python benchmarks/scale_bench.py [--sizes 20000,100000] [--configs sqlite] [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from check_bench import (  # noqa: E402
    BIN,
    DEFAULT_BENCH,
    FIRST_HOST,
    HOSTS,
    Verdict,
    curator_gone,
    free_port,
    generate_lists,
    reset,
    start_websim,
    verdict,
)

SHARDS = 4
CONFIGS = ("sqlite", "postgresql", "shards")
SAMPLE_S = 0.05

# Runs the curator CLI with the results writer's batch writes timed; the totals go to
# the JSON file named by $SCALE_BENCH_WRITES at exit.
WRAPPER = """
import atexit, json, os, sys, time
from curator.check import results
_orig = results.ResultWriter._write
acc = {"seconds": 0.0, "results": 0, "batches": 0}
def _timed(self, batch):
    t0 = time.perf_counter()
    try:
        _orig(self, batch)
    finally:
        acc["seconds"] += time.perf_counter() - t0
    acc["results"] += len(batch)
    acc["batches"] += 1
results.ResultWriter._write = _timed
def _dump():
    with open(os.environ["SCALE_BENCH_WRITES"], "w") as f:
        json.dump(acc, f)
atexit.register(_dump)
sys.argv[0] = "curator"
from curator.cli.app import main
main()
"""


def load_pg():
    """tests/support/pg.py, imported by path (tests is no package on sys.path)."""
    spec = importlib.util.spec_from_file_location("bench_pg", ROOT / "tests/support/pg.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


@dataclass
class Proc:
    """One check process: its tree's peak RSS, its biggest process's, its writes."""

    tree_mib: float = 0.0
    single_mib: float = 0.0
    code: int = 0
    write_s: float = 0.0
    written: int = 0
    batches: int = 0
    peaks: dict[int, int] = field(default_factory=dict)


@dataclass
class Run:
    label: str
    n: int
    wall: float
    procs: list[Proc]
    verdict: Verdict | None

    @property
    def write_ms_per_1000(self) -> float:
        written = sum(p.written for p in self.procs)
        return 1000 * sum(p.write_s for p in self.procs) / written * 1000 if written else 0.0


def run_group(cmds: list[list[str]], work: Path, tag: str) -> tuple[float, list[Proc]]:
    """Start every command at once; sample each one's process tree every 50 ms."""
    procs = [Proc() for _ in cmds]
    popens: list[subprocess.Popen[bytes]] = []
    stats = [work / f"{tag}-{i}.writes.json" for i in range(len(cmds))]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for p, m in zip(popens, procs, strict=True):
                try:
                    root = psutil.Process(p.pid)
                    tree = [root, *root.children(recursive=True)]
                except psutil.NoSuchProcess:
                    continue
                total = 0
                for q in tree:
                    try:
                        rss = q.memory_info().rss
                    except (psutil.NoSuchProcess, psutil.AccessDenied):
                        continue
                    total += rss
                    m.peaks[q.pid] = max(m.peaks.get(q.pid, 0), rss)
                m.tree_mib = max(m.tree_mib, total / 2**20)
            done.wait(SAMPLE_S)

    t0 = time.monotonic()
    sampler = threading.Thread(target=sample, daemon=True)
    try:
        for i, cmd in enumerate(cmds):
            stats[i].unlink(missing_ok=True)
            env = {**os.environ, "SCALE_BENCH_WRITES": str(stats[i])}
            log = (work / f"{tag}-{i}.log").open("wb")
            popens.append(
                subprocess.Popen(
                    [sys.executable, "-c", WRAPPER, *cmd],
                    cwd=work,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            log.close()
        sampler.start()
        for p, m in zip(popens, procs, strict=True):
            m.code = p.wait()
    finally:
        for p in popens:
            if p.poll() is None:
                p.kill()
                p.wait()
        done.set()
        if sampler.is_alive():
            sampler.join()
    wall = time.monotonic() - t0
    for path, m in zip(stats, procs, strict=True):
        m.single_mib = max(m.peaks.values(), default=0) / 2**20
        if path.exists():
            acc = json.loads(path.read_text())
            m.write_s, m.written, m.batches = acc["seconds"], acc["results"], acc["batches"]
    return wall, procs


def curator(*args: str) -> None:
    out = subprocess.run([str(BIN / "curator"), *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"curator {args[0]} failed: {(out.stderr or out.stdout).strip()}")


def check_args(db: str, report: Path) -> list[str]:
    return [
        *("check", "--allow-private", "--db", db, "--timeout", "10", "--retries", "1"),
        *("--fail-on", "never", "--format", "json", "-o", str(report)),
    ]


def measure(label: str, n: int, db: str, data: Path, work: Path, port: int, shards: int) -> Run:
    curator("import", str(data / f"awesome-{n}.md"), "--db", db)
    tag = f"{label}-{n}"
    reports = [work / f"{tag}-{i}.json" for i in range(shards)]
    cmds = []
    for i, report in enumerate(reports):
        report.unlink(missing_ok=True)
        cmd = check_args(db, report)
        if shards > 1:
            cmd += ["--shard", f"{i + 1}/{shards}", "--run-id", f"bench-{n}"]
        cmds.append(cmd)
    reset(port)
    wall, procs = run_group(cmds, work, tag)
    bad = [i for i, p in enumerate(procs) if p.code != 0 or not reports[i].exists()]
    if bad:
        raise SystemExit(f"{label} N={n}: check failed (exit codes, logs {work}/{tag}-*.log)")
    gone: set[str] = set()
    for report in reports:
        gone |= curator_gone(report)
    return Run(label, n, wall, procs, verdict(gone, data / f"truth-{n}.json"))


def print_run(r: Run) -> None:
    v = r.verdict
    ok = "?" if v is None else ("yes" if v.exact else f"NO fp={v.false_pos} miss={v.missed}")
    trees = "/".join(f"{p.tree_mib:.0f}" for p in r.procs)
    singles = "/".join(f"{p.single_mib:.0f}" for p in r.procs)
    written = sum(p.written for p in r.procs)
    print(
        f"{r.n:>7} {r.label:13} {r.wall:8.2f} {trees:>19} {singles:>19} "
        f"{r.write_ms_per_1000:10.1f} {written:>8} {ok:>5}",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="20000,100000", help="comma-separated list sizes")
    ap.add_argument(
        "--bench-dir",
        type=Path,
        default=Path(os.environ.get("CURATOR_BENCH_DIR", DEFAULT_BENCH)),
        help="directory with websim.py and gen_urls.py (env CURATOR_BENCH_DIR)",
    )
    ap.add_argument(
        "--configs",
        default=",".join(CONFIGS),
        help=f"comma-separated runs to make, of {', '.join(CONFIGS)} (default: all)",
    )
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--keep", type=Path, help="work in DIR and keep it (default: a temp dir)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    configs = [c for c in args.configs.split(",") if c]
    if not configs or any(c not in CONFIGS for c in configs):
        ap.error(f"--configs: a comma-separated list of {', '.join(CONFIGS)}")
    work = (args.keep or Path(tempfile.mkdtemp(prefix="scale-bench-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    port = free_port(FIRST_HOST)
    budget = 900 + sum(sizes) // 10

    websim: subprocess.Popen[bytes] | None = None
    server = None
    try:
        generate_lists(args.bench_dir, data, port, sizes)
        websim = start_websim(args.bench_dir, work, port, args.latency_ms, budget)
        on_pg = "postgresql" in configs or "shards" in configs
        server = load_pg().start_server() if on_pg else None
        where = f"PostgreSQL {server.bindir}" if server is not None else "no PostgreSQL"
        print(f"websim on {HOSTS}:{port}, latency {args.latency_ms} ms; {where}")
        print(f"cpus: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}")
        print(
            "rss: peak of each check process's tree (main + worker), and of its biggest single"
            " process; write: ResultWriter._write wall time per 1,000 results"
        )
        print(
            f"{'N':>7} {'run':13} {'wall s':>8} {'tree rss MiB':>19} {'single rss MiB':>19} "
            f"{'write ms/1k':>10} {'written':>8} {'exact':>5}",
            flush=True,
        )
        results: dict[tuple[str, int], Run] = {}
        for n in sizes:
            db_file = work / f"sqlite-{n}.db"
            db_file.unlink(missing_ok=True)
            plan: list[tuple[str, str, int]] = []
            if "sqlite" in configs:
                plan.append(("sqlite", str(db_file), 1))
            if server is not None and "postgresql" in configs:
                plan.append(("postgresql", server.create_database(f"bench_{n}_single"), 1))
            if server is not None and "shards" in configs:
                name = f"bench_{n}_shards"
                plan.append((f"postgresql x{SHARDS}", server.create_database(name), SHARDS))
            for label, db, shards in plan:
                run = measure(label.replace(" ", ""), n, db, data, work, port, shards)
                run.label = label
                results[(label, n)] = run
                print_run(run)
        print("\nratios")
        sq, pg = results.get(("sqlite", 20000)), results.get(("postgresql", 20000))
        if sq and pg:
            ratio = pg.wall / sq.wall
            print(f"  PostgreSQL wall / SQLite wall at N=20000: {ratio:.3f} (target <= 1.10)")
        rss_ratios = 0
        for label in ("sqlite", "postgresql", f"postgresql x{SHARDS}"):
            small, big = results.get((label, 20000)), results.get((label, 100000))
            if small and big:
                # The shards: the biggest of the four check processes at each size.
                tree = max(p.tree_mib for p in big.procs) / max(p.tree_mib for p in small.procs)
                single = max(p.single_mib for p in big.procs) / max(
                    p.single_mib for p in small.procs
                )
                print(
                    f"  {label}: peak RSS of one check at N=100000 / N=20000: tree {tree:.2f}x,"
                    f" biggest single process {single:.2f}x (target < 2x)"
                )
                rss_ratios += 1
        if not (sq and pg):
            print("  PostgreSQL / SQLite wall: needs sqlite and postgresql at N=20000")
        if not rss_ratios:
            print("  peak RSS ratio: needs N=20000 and N=100000 in one --sizes")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        if websim is not None:
            websim.terminate()
            try:
                websim.wait(10)
            except subprocess.TimeoutExpired:
                websim.kill()
        if server is not None:
            server.stop()
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
