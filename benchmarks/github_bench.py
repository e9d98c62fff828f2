"""GitHub benchmark: a list of repository links, checked through the API or as pages.

Starts a fake github.com on loopback (tests/support/fake_github_graphql.py: repository
pages that answer 429 after 60 requests a minute from one client, as github.com does to
anonymous clients, and a GraphQL endpoint that answers like the real one: aliases,
NOT_FOUND errors, renamed repositories resolving to their new nameWithOwner, rateLimit),
generates a list of N repository links (2 % gone, 2 % renamed, 5 % archived, the rest
alive) and runs, in the same session: curator with a token, curator without one, and
lychee with its defaults. Prints per tool: wall time, requests to the HTML side and to
the API, and how many outcomes are right (gone → gone; alive and archived → ok; renamed
→ redirected to the new name; lychee, which follows redirects and cannot report a move,
gets a renamed link right when it does not call it an error). Runs without a token are
stopped (SIGTERM; curator saves what it finished) after --cap seconds.
Target: curator with a token right on every link, <= 60 API requests, no page
requests, < 5 s.

    python benchmarks/github_bench.py [--links 5000] [--cap 240] [--no-lychee] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.fake_github_graphql import FakeGitHubSite, serve_fake_github  # noqa: E402

BIN = Path(sys.executable).parent
TOKEN = "bench-token"


@dataclass(frozen=True)
class Truth:
    kind: str  # alive, gone, renamed, archived
    new: str | None = None  # the new owner/name of a renamed repository


@dataclass
class Row:
    tool: str
    wall: float
    pages: int
    api: int
    right: int
    total: int
    note: str = ""


def make_world(n: int, seed: int = 16) -> tuple[FakeGitHubSite, dict[str, Truth]]:
    rng = random.Random(seed)
    site = FakeGitHubSite(token=TOKEN)
    truth: dict[str, Truth] = {}
    kinds = ["gone"] * (n * 2 // 100) + ["renamed"] * (n * 2 // 100)
    kinds += ["archived"] * (n * 5 // 100)
    kinds += ["alive"] * (n - len(kinds))
    rng.shuffle(kinds)
    for i, kind in enumerate(kinds):
        name = f"owner{i % 97}/repo-{i}"
        if kind == "alive":
            site.add(name, stars=rng.randint(0, 5000))
        elif kind == "archived":
            site.add(name, archived=True)
        elif kind == "renamed":
            site.rename(name, f"{name}-next")
            truth[name] = Truth(kind, f"{name}-next")
            continue
        truth[name] = Truth(kind)
    return site, truth


def write_list(path: Path, base: str, truth: dict[str, Truth]) -> None:
    lines = ["# Repositories", ""]
    lines += [f"- [{name}]({base}/{name}) - a repository" for name in truth]
    path.write_text("\n".join(lines) + "\n")


def run(cmd: list[str], env: dict[str, str], cap: float, log: Path) -> tuple[float, bool]:
    t0 = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            proc.wait(timeout=cap)
            capped = False
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)
            capped = True
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return time.monotonic() - t0, capped


def curator_right(report: Path, base: str, truth: dict[str, Truth]) -> int:
    if not report.exists():
        return 0
    right = 0
    for r in json.loads(report.read_text())["results"]:
        t = truth.get(r["url"].removeprefix(base + "/"))
        if t is None:
            continue
        if t.kind == "gone":
            right += r["outcome"] == "gone"
        elif t.kind == "renamed":
            right += r["outcome"] == "redirected" and (r["final_url"] or "").endswith(t.new or "")
        else:
            right += r["outcome"] == "ok"
    return right


def lychee_right(report: Path, base: str, truth: dict[str, Truth]) -> int:
    if not report.exists():
        return 0
    errors: dict[str, int | None] = {}
    for entries in json.loads(report.read_text()).get("error_map", {}).values():
        for e in entries:
            errors[e["url"].rstrip("/")] = (e.get("status") or {}).get("code")
    right = 0
    for name, t in truth.items():
        code = errors.get(f"{base}/{name}", 0)
        right += code in (404, 410) if t.kind == "gone" else (f"{base}/{name}" not in errors)
    return right


def run_curator(
    work: Path, md: Path, site: FakeGitHubSite, truth: dict[str, Truth], token: bool, cap: float
) -> Row:
    db, report = work / f"c-{token}.db", work / f"c-{token}.json"
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GH_TOKEN")}
    imp = subprocess.run(
        [str(BIN / "curator"), "import", str(md), "--db", str(db)], env=env, capture_output=True
    )
    if imp.returncode != 0:
        raise SystemExit(f"curator import failed: {imp.stderr.decode().strip()}")
    if token:
        env.update(
            GITHUB_TOKEN=TOKEN,
            GITHUB_API_URL=site.base,
            GITHUB_GRAPHQL_URL=f"{site.base}/graphql",
            CURATOR_GITHUB_WEB=site.base,
        )
    site.forget_clients()
    before = (site.page_requests, site.api_requests)
    cmd = [str(BIN / "curator"), "check", "--allow-private", "--db", str(db)]
    cmd += ["--format", "json", "-o", str(report), "--no-archive-lookup"]
    wall, capped = run(cmd, env, cap, work / f"c-{token}.log")
    return Row(
        "curator, token" if token else "curator, no token",
        wall,
        site.page_requests - before[0],
        site.api_requests - before[1],
        curator_right(report, site.base, truth),
        len(truth),
        f"stopped after {cap:g} s" if capped else "",
    )


def run_lychee(
    work: Path, md: Path, site: FakeGitHubSite, truth: dict[str, Truth], cap: float
) -> Row:
    report = work / "lychee.json"
    site.forget_clients()
    before = (site.page_requests, site.api_requests)
    cmd = [str(BIN / "lychee"), "--no-progress", "--format", "json", "--output", str(report)]
    wall, capped = run([*cmd, str(md)], dict(os.environ), cap, work / "lychee.log")
    return Row(
        "lychee (defaults)",
        wall,
        site.page_requests - before[0],
        site.api_requests - before[1],
        lychee_right(report, site.base, truth),
        len(truth),
        f"stopped after {cap:g} s" if capped else "",
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--links", type=int, default=5000)
    ap.add_argument("--cap", type=float, default=240.0, help="seconds before a run is stopped")
    ap.add_argument("--no-lychee", action="store_true")
    ap.add_argument("--keep", type=Path, help="keep lists, DBs and reports here")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="github-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    site, truth = make_world(args.links)
    rows: list[Row] = []
    try:
        with serve_fake_github(site):
            md = work / "repos.md"
            write_list(md, site.base, truth)
            kinds = {k: sum(1 for t in truth.values() if t.kind == k) for k in
                     ("alive", "gone", "renamed", "archived")}  # fmt: skip
            print(f"fake GitHub on {site.base}; {len(truth)} repository links: {kinds}")
            rows.append(run_curator(work, md, site, truth, True, args.cap))
            rows.append(run_curator(work, md, site, truth, False, args.cap))
            if not args.no_lychee and (BIN / "lychee").exists():
                rows.append(run_lychee(work, md, site, truth, args.cap))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{'tool':<20}{'wall s':>9}{'pages':>8}{'API':>6}{'right':>13}  note")
    for r in rows:
        right = f"{r.right}/{r.total}"
        print(f"{r.tool:<20}{r.wall:>9.2f}{r.pages:>8}{r.api:>6}{right:>13}  {r.note}")
    print("target: curator with a token right on every link, <= 60 API requests, 0 pages, < 5 s")


if __name__ == "__main__":
    main()
