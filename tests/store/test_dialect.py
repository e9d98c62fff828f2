"""store/dialect.py: the same `?` SQL through `connect_dbapi` on SQLite and on a real
PostgreSQL server: placeholders, insert-or-ignore, upsert, now, string aggregation, and
write transactions that queue behind each other."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from curator.store.dialect import connect_dbapi, qmark_to_format
from curator.store.target import parse_db_target


@pytest.fixture(params=["sqlite", "postgresql"])
def target_text(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "d.db")
    url: str = request.getfixturevalue("pg_url")
    return url


def test_qmark_to_format_leaves_quoted_text_alone() -> None:
    assert qmark_to_format("SELECT ? , 'a?b' , \"c?\" WHERE x LIKE '50%' AND y = ?") == (
        "SELECT %s , 'a?b' , \"c?\" WHERE x LIKE '50%%' AND y = %s"
    )


def test_same_sql_on_both(target_text: str) -> None:
    with connect_dbapi(parse_db_target(target_text)) as conn:
        d = conn.dialect
        with conn.transaction(write=True):
            conn.execute("CREATE TABLE kv (k VARCHAR NOT NULL PRIMARY KEY, v INTEGER, t VARCHAR)")
            conn.executemany(
                "INSERT INTO kv (k, v, t) VALUES (?, ?, ?)", [("a", 1, "x"), ("b", 2, "y")]
            )
            conn.executemany(
                d.insert_ignore("kv", ("k", "v", "t"), ("k",)), [("a", 9, "z"), ("c", 3, "w")]
            )
            conn.executemany(d.upsert("kv", ("k", "v", "t"), ("k",), ("v",)), [("b", 20, "q")])
        rows = conn.fetch_all("SELECT k, v, t FROM kv WHERE t LIKE '%' AND v > ? ORDER BY k", (0,))
        assert rows == [("a", 1, "x"), ("b", 20, "y"), ("c", 3, "w")]
        (joined,) = conn.fetch_all(
            f"SELECT {d.group_concat('k', d.char(31))} FROM (SELECT k FROM kv ORDER BY k) AS s"
        )[0]
        assert sorted(joined.split("\x1f")) == ["a", "b", "c"]
        (now,) = conn.fetch_all(f"SELECT {d.now}")[0]
        stamp = now if isinstance(now, datetime) else datetime.fromisoformat(now)
        assert abs(stamp.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=1)


def test_failed_transaction_rolls_back(target_text: str) -> None:
    with connect_dbapi(parse_db_target(target_text)) as conn:
        with conn.transaction(write=True):
            conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
        with pytest.raises(RuntimeError), conn.transaction(write=True):
            conn.execute("INSERT INTO t (k) VALUES (?)", (1,))
            raise RuntimeError("boom")
        assert conn.fetch_all("SELECT count(*) FROM t") == [(0,)]


def test_write_transactions_queue(target_text: str) -> None:
    target = parse_db_target(target_text)
    with connect_dbapi(target) as setup, setup.transaction(write=True):
        setup.execute("CREATE TABLE log (who VARCHAR, at_step INTEGER)")
    entered: list[tuple[str, float]] = []

    def writer(name: str, hold: float) -> None:
        with connect_dbapi(target) as conn, conn.transaction(write=True):
            entered.append((name, time.monotonic()))
            (n,) = conn.fetch_all("SELECT count(*) FROM log")[0]
            time.sleep(hold)  # a read-then-write that must not interleave
            conn.execute("INSERT INTO log (who, at_step) VALUES (?, ?)", (name, n))

    first = threading.Thread(target=writer, args=("first", 0.6))
    first.start()
    time.sleep(0.2)
    second = threading.Thread(target=writer, args=("second", 0.0))
    second.start()
    first.join(10)
    second.join(10)
    with connect_dbapi(target) as conn:
        assert sorted(conn.fetch_all("SELECT who, at_step FROM log")) == [
            ("first", 0),
            ("second", 1),  # saw the first writer's row: it waited for its commit
        ]
    assert entered[1][1] - entered[0][1] >= 0.5
