"""`curator check`, `status`, `report` and `exclude` on PostgreSQL say what they say on SQLite.

A real PostgreSQL server (the session's `pg_server`, skipped saying why without one), the
real HTTP engine with --allow-private against a small server on 127.0.0.1 started here, and
the same list imported into a SQLite file and a fresh PostgreSQL database.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.check.test_cli import make_db, server  # noqa: F401  (server: the fixture)
from tests.support.cli import run_cli
from tests.support.pg import PostgresServer

pytestmark = pytest.mark.slow

DAY = "2024-06-0{}T09:00:00Z"


def _check(db: str, day: int) -> tuple[int, dict[str, Any]]:
    res = run_cli(
        "check", "--db", db, "--allow-private", "--retries", "0", "-f", "json",
        "--now", DAY.format(day),
    )  # fmt: skip
    assert res.stdout, res.stderr
    data = json.loads(res.stdout)
    for r in data["results"]:
        r.pop("elapsed_ms")  # wall time, not an outcome
    data["results"].sort(key=lambda r: r["url"])
    return res.code, data


def _ok(*args: str) -> str:
    res = run_cli(*args)
    assert res.code == 0, (args, res.stderr)
    return res.stdout


def _history(db: str) -> dict[str, Any]:
    """What a user reads after each run: the check report, status and the rot report."""
    said: dict[str, Any] = {}
    for day in (1, 3, 6):  # gone on three runs over five days: confirmed broken
        said[f"check-{day}"] = _check(db, day)
    said["status"] = json.loads(_ok("status", "-f", "json", "--db", db))
    said["status-broken"] = _ok("status", "--broken", "-f", "json", "--db", db)
    said["report"] = _ok("report", "-f", "json", "--no-github", "--db", db)
    return said


def test_check_status_report_on_postgres_match_sqlite(
    tmp_path: Path,
    server: tuple[str, list[str]],  # noqa: F811
    pg_url: str,
) -> None:
    base, hits = server
    sqlite_db, md = make_db(tmp_path, base)
    assert run_cli("import", md, "--db", pg_url).code == 0

    on_sqlite = _history(str(sqlite_db))
    served = len(hits)
    on_pg = _history(pg_url)
    assert len(hits) == 2 * served  # PostgreSQL's runs really requested the pages too

    for key, value in on_sqlite.items():
        assert on_pg[key] == value, key
    code, first = on_pg["check-1"]
    assert code == 0
    outcomes = {r["url"]: (r["outcome"], r["status"], r["state"]) for r in first["results"]}
    assert outcomes[f"{base}/ok/1"] == ("ok", 200, "ok")
    assert outcomes[f"{base}/redir/2"][0] == "redirected"
    assert outcomes[f"{base}/gone/3"] == ("gone", 404, "suspect")
    broken = json.loads(on_pg["status-broken"])
    assert [r["url"] for r in broken] == [f"{base}/gone/3"]

    with psycopg.connect(pg_url) as conn:  # the rows landed in PostgreSQL, not elsewhere
        runs = conn.execute("SELECT count(*) FROM run WHERE kind = 'check'").fetchone()
        results = conn.execute("SELECT count(*) FROM check_result").fetchone()
    assert runs == (3,)
    assert results is not None and results[0] == 3 * 4  # four web URLs per run


def test_exclude_then_check_on_postgres(
    tmp_path: Path,
    server: tuple[str, list[str]],  # noqa: F811
    pg_url: str,
) -> None:
    base, hits = server
    _, md = make_db(tmp_path, base)
    assert run_cli("import", md, "--db", pg_url).code == 0
    _ok("exclude", "add", f"{base}/gone/*", "--reason", "known dead", "--db", pg_url)
    code, data = _check(pg_url, 1)
    assert code == 0
    assert data["summary"]["excluded"] == 1
    assert "/gone/3" not in hits


def test_report_order_on_a_locale_database_is_python_order(
    tmp_path: Path,
    server: tuple[str, list[str]],  # noqa: F811
    pg_server: PostgresServer,
) -> None:
    """A database with a locale's collation (ICU en-US: case and punctuation count last)
    sorts text unlike Python; the check reads its report back from the DB, and lists the
    URLs in Python's order all the same, as on SQLite."""
    name = f"icu_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        try:
            conn.execute(
                f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'"
                " LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
            )
        except psycopg.Error as exc:
            pytest.skip(f"this PostgreSQL has no ICU collations: {exc}")
    on_pg = pg_server.url(name)
    base, _hits = server
    upper = "HTTP" + base.removeprefix("http")
    paths = ["/ok/B", "/ok/a", "/ok/_z", "/ok/Z", "/ok/b-1", "/ok/b1", "/gone/A"]
    urls = [f"{base}{p}" for p in paths] + [f"{upper}/ok/C"]
    md = tmp_path / "order.md"
    md.write_text("# Order\n\n" + "".join(f"- [u{i}]({u})\n" for i, u in enumerate(urls)))
    on_sqlite = tmp_path / "c.db"
    listed = {}
    for db in (str(on_sqlite), on_pg):
        assert run_cli("import", md, "--db", db).code == 0
        res = run_cli("check", "--db", db, "--allow-private", "--retries", "0", "-f", "json")
        assert res.stdout, res.stderr
        listed[db] = [r["url"] for r in json.loads(res.stdout)["results"]]
    assert listed[on_pg] == listed[str(on_sqlite)] == sorted(urls)
