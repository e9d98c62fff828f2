"""`curator check --shard I/N` against websim: four shard processes on one SQLite DB, and
four shards on their own DB copies with `--results-out` folded in by `curator merge`,
each compared with one unsharded run of the same list."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from curator.check.sharding import shard_of
from tests.support.cli import ROOT, run_cli
from tests.support.websim import WebSim, generate_list, websim

N = 300
PER_HOST = 3
HOSTS = "127.0.0.2+8"
CURATOR = [sys.executable, "-m", "curator.cli"]
CHECK = ["check", "--allow-private", "--per-host", str(PER_HOST), "--timeout", "5"]
CHECK += ["--retries", "1", "--fail-on", "never"]


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebSim, Path]]:
    work = tmp_path_factory.mktemp("websim")
    with websim(work, HOSTS) as server:
        lst = generate_list(work / "data", N, HOSTS, server.port)
        base = work / "base.db"
        assert run_cli("import", lst, "--db", base).code == 0
        yield server, base


def _copy(src: Path, dst: Path) -> Path:
    """A whole copy of a WAL-mode DB (its newest pages may still be in the -wal file)."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    return dst


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    return {**env, "PYTHONPATH": str(ROOT)}


def _run_shards(db_of: list[Path] | list[str], extra: list[list[str]]) -> None:
    procs = [
        subprocess.Popen(
            [*CURATOR, *CHECK, "--db", str(db), *more],
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for db, more in zip(db_of, extra, strict=True)
    ]
    for p in procs:
        _out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err.decode()


def _outcomes(db: Path, run_key: str | None = None) -> tuple[dict[str, str], Counter[str]]:
    """{normalized URL: outcome} of the run (or of all results) and checks per URL."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT url.normalized, check_result.outcome FROM check_result"
            " JOIN url ON url.id = check_result.url_id JOIN run ON run.id = check_result.run_id"
            " WHERE ? IS NULL OR run.run_key = ?",
            (run_key, run_key),
        ).fetchall()
    return dict(rows), Counter(u for u, _ in rows)


def _unsharded(sim: WebSim, base: Path, tmp_path: Path) -> dict[str, str]:
    db = _copy(base, tmp_path / "unsharded.db")
    sim.reset()
    _run_shards([db], [[]])
    assert max(sim.peak_in_flight().values()) <= PER_HOST
    outcomes, per_url = _outcomes(db)
    assert len(outcomes) > 250 and set(per_url.values()) == {1}
    # The list has every kind of websim page, so the comparison below means something.
    assert {"ok", "gone", "redirected"} <= set(outcomes.values())
    return outcomes


def _web_hosts(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {h for (h,) in conn.execute("SELECT DISTINCT host FROM url")}


def test_four_shards_on_one_db_check_each_url_once_and_respect_per_host(
    sim: tuple[WebSim, Path], tmp_path: Path
) -> None:
    server, base = sim
    expected = _unsharded(server, base, tmp_path)
    assert len({shard_of(h, 4) for h in _web_hosts(base)}) > 1, "all hosts in one shard"
    db = _copy(base, tmp_path / "shared.db")
    server.reset()
    _run_shards([db] * 4, [["--shard", f"{i}/4", "--run-id", "nightly-7"] for i in range(1, 5)])
    peaks = server.peak_in_flight()
    assert max(peaks.values()) <= PER_HOST, peaks
    assert max(peaks.values()) == PER_HOST, f"the limit was never reached: {peaks}"
    got, per_url = _outcomes(db, "nightly-7")
    assert got == expected
    assert set(per_url.values()) == {1}, "a URL was checked by two shards"
    with sqlite3.connect(db) as conn:
        shards = conn.execute(
            "SELECT shard, status FROM run WHERE run_key = 'nightly-7' ORDER BY shard"
        ).fetchall()
    assert shards == [(f"{i}/4", "done") for i in range(1, 5)]
    # `curator report` reads the four shards as one run.
    rep = run_cli("report", "--format", "json", "--db", db)
    assert rep.code == 0, rep.stderr
    data = json.loads(rep.stdout)
    assert data["check_runs"] == 1
    assert sum(data["summary"]["outcomes"].get(o, 0) for o in ("ok", "gone", "redirected")) == sum(
        1 for o in expected.values() if o in ("ok", "gone", "redirected")
    )


def test_results_files_merged_equal_one_unsharded_run_and_merge_is_idempotent(
    sim: tuple[WebSim, Path], tmp_path: Path
) -> None:
    server, base = sim
    expected = _unsharded(server, base, tmp_path)
    # Each CI job has its own copy of the history.
    copies = [_copy(base, tmp_path / f"job{i}.db") for i in range(1, 5)]
    files = [tmp_path / f"shard-{i}.jsonl" for i in range(1, 5)]
    server.reset()
    _run_shards(
        copies,
        [
            ["--shard", f"{i}/4", "--run-id", "ci-42-1", "--results-out", str(files[i - 1])]
            for i in range(1, 5)
        ],
    )
    assert max(server.peak_in_flight().values()) <= PER_HOST
    header = json.loads(files[0].read_text().splitlines()[0])
    assert header["run_key"] == "ci-42-1" and header["shard"] == "1/4"
    db = _copy(base, tmp_path / "merged.db")
    first = run_cli("merge", *files, "--db", db)
    assert first.code == 0, first.stderr
    assert f"{len(expected)} results added, 0 already present, 4 shard runs added" in first.stdout
    got, per_url = _outcomes(db, "ci-42-1")
    assert got == expected and set(per_url.values()) == {1}
    with sqlite3.connect(db) as conn:
        states = conn.execute("SELECT state, count(*) FROM url_state GROUP BY state").fetchall()
        results = conn.execute("SELECT count(*) FROM check_result").fetchone()
    again = run_cli("merge", files[2], *files, "--db", db)
    assert again.code == 0, again.stderr
    assert "0 results added" in again.stdout and "0 shard runs added" in again.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM check_result").fetchone() == results
        assert (
            conn.execute("SELECT state, count(*) FROM url_state GROUP BY state").fetchall()
            == states
        )
    assert dict(states)["suspect"] == sum(1 for o in expected.values() if o == "gone")


@pytest.mark.parametrize("bad", ["5/4", "0/4", "1/0", "two/4", "1-4"])
def test_a_bad_shard_is_a_usage_error(bad: str, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    assert run_cli("import", ROOT / "data" / "lists" / "ml_frameworks.md", "--db", db).code == 0
    res = run_cli("check", "--shard", bad, "--db", db)
    assert res.code == 2
    assert res.stderr.startswith(f"Error: --shard '{bad}'") and res.stderr.count("\n") == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM run WHERE kind = 'check'").fetchone() == (0,)


def test_shards_cover_every_host_exactly_once() -> None:
    hosts = [f"h{i}.example" for i in range(200)] + ["127.0.0.2", "[::1]", "Example.COM"]
    for n in (1, 2, 4, 7):
        owners = {h: [i for i in range(1, n + 1) if shard_of(h, n) == i] for h in hosts}
        assert all(len(o) == 1 for o in owners.values())
        if n > 1:
            assert len({o[0] for o in owners.values()}) == n  # every shard gets hosts
    assert shard_of("Example.COM", 4) == shard_of("example.com", 4)


def test_merge_refuses_a_bad_file_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    assert run_cli("import", ROOT / "data" / "lists" / "ml_frameworks.md", "--db", db).code == 0
    good = tmp_path / "good.jsonl"
    header = {
        "format": "curator-check-results",
        "version": 1,
        "run_key": "r1",
        "shard": "1/2",
        "started_at": "2026-12-01T00:00:00+00:00",
        "finished_at": "2026-12-01T00:01:00+00:00",
        "status": "done",
        "counts": {},
        "confirm_runs": 2,
        "confirm_days": 2.0,
        "arguments": {},
    }
    with sqlite3.connect(db) as conn:
        [(norm,)] = conn.execute("SELECT normalized FROM url ORDER BY id LIMIT 1").fetchall()
    line = {"url": norm, "normalized": norm, "checked_at": "2026-12-01T00:00:30+00:00"}
    line |= {"outcome": "gone", "status": 404}
    good.write_text(json.dumps(header) + "\n" + json.dumps(line) + "\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(header) + "\n" + json.dumps(line | {"outcome": "meh"}) + "\n")
    res = run_cli("merge", good, bad, "--db", db)
    assert res.code == 2 and res.stderr.startswith(f"Error: {bad}:2: bad result"), res.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM check_result").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM run WHERE kind = 'check'").fetchone() == (0,)
    ok = run_cli("merge", good, "--db", db)
    assert ok.code == 0 and "1 results added" in ok.stdout, ok.stderr
    with sqlite3.connect(db) as conn:
        state = conn.execute("SELECT state, last_status FROM url_state").fetchall()
    assert state == [("suspect", 404)]


def test_four_shards_on_one_postgresql_db(
    sim: tuple[WebSim, Path], tmp_path: Path, pg_url: str
) -> None:
    """The team set-up: four shard processes writing to one shared PostgreSQL DB give the
    outcomes of one unsharded run, each URL checked once, per-host limit held."""
    import psycopg

    server, base = sim
    expected = _unsharded(server, base, tmp_path)
    copied = run_cli("db", "copy", _copy(base, tmp_path / "to-pg.db"), pg_url)
    assert copied.code == 0, copied.stderr
    server.reset()
    shards_args = [["--shard", f"{i}/4", "--run-id", "pg-7"] for i in range(1, 5)]
    _run_shards([pg_url] * 4, shards_args)
    peaks = server.peak_in_flight()
    assert max(peaks.values()) <= PER_HOST, peaks
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "SELECT url.normalized, check_result.outcome FROM check_result"
            " JOIN url ON url.id = check_result.url_id JOIN run ON run.id = check_result.run_id"
            " WHERE run.run_key = 'pg-7'"
        ).fetchall()
        shards = conn.execute(
            "SELECT shard, status FROM run WHERE run_key = 'pg-7' ORDER BY shard"
        ).fetchall()
    assert dict(rows) == expected
    assert set(Counter(u for u, _ in rows).values()) == {1}, "a URL was checked by two shards"
    assert shards == [(f"{i}/4", "done") for i in range(1, 5)]
    rep = run_cli("report", "--format", "json", "--db", pg_url)
    assert rep.code == 0 and json.loads(rep.stdout)["check_runs"] == 1, rep.stderr
