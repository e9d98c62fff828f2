"""store/dialect.py and store/dbapi.py: the same `?` SQL through the store's connections
(`dbapi.connect`, `dbapi.transaction`) on SQLite and on a real PostgreSQL server:
placeholders, insert-or-ignore, upsert, now, string aggregation, and write transactions
that queue behind each other."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from curator.store.dbapi import connect, dbapi, fetch_all, insert_returning_id, transaction
from curator.store.dialect import dialect_of
from curator.store.placeholders import qmark_to_format
from curator.store.target import DbTarget, parse_db_target


class Conn:
    """The store's connection with the calls these tests make, as the store makes them."""

    def __init__(self, target: DbTarget) -> None:
        self.db: Any = connect(target)
        self.dialect = dialect_of(self.db)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        dbapi(self.db).execute(sql, params)

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        dbapi(self.db).executemany(sql, rows)

    def fetch_all(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in fetch_all(self.db, sql, params)]

    def insert_returning_id(self, sql: str, params: tuple[Any, ...]) -> int:
        return insert_returning_id(self.db, sql, params)

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[None]:
        with transaction(self.db, write=write):
            yield

    def close(self) -> None:
        self.db.close()


def open_conn(target: DbTarget) -> closing[Conn]:
    return closing(Conn(target))


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
    with open_conn(parse_db_target(target_text)) as conn:
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
    with open_conn(parse_db_target(target_text)) as conn:
        with conn.transaction(write=True):
            conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
        with pytest.raises(RuntimeError), conn.transaction(write=True):
            conn.execute("INSERT INTO t (k) VALUES (?)", (1,))
            raise RuntimeError("boom")
        assert conn.fetch_all("SELECT count(*) FROM t") == [(0,)]


def test_write_transactions_queue(target_text: str) -> None:
    target = parse_db_target(target_text)
    with open_conn(target) as setup, setup.transaction(write=True):
        setup.execute("CREATE TABLE log (who VARCHAR, at_step INTEGER)")
    entered: list[tuple[str, float]] = []

    def writer(name: str, hold: float) -> None:
        with open_conn(target) as conn, conn.transaction(write=True):
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
    with open_conn(target) as conn:
        assert sorted(conn.fetch_all("SELECT who, at_step FROM log")) == [
            ("first", 0),
            ("second", 1),  # saw the first writer's row: it waited for its commit
        ]
    assert entered[1][1] - entered[0][1] >= 0.5


def test_check_path_helpers(target_text: str) -> None:
    """What the check path's SQLite-only constructs become: RETURNING for lastrowid, a typed
    NULL parameter, min() over booleans, times in and out."""
    when = datetime(2026, 12, 4, 20, 30, 1, 123456, tzinfo=UTC)
    with open_conn(parse_db_target(target_text)) as conn:
        d = conn.dialect
        with conn.transaction(write=True):
            conn.execute(
                "CREATE TABLE r (id INTEGER PRIMARY KEY"
                + ("" if d.placeholder == "?" else " GENERATED BY DEFAULT AS IDENTITY")
                + ", at TIMESTAMP, flag BOOLEAN NOT NULL, grp INTEGER)"
            )
            first = conn.insert_returning_id(
                "INSERT INTO r (at, flag, grp) VALUES (?, ?, ?)", (d.time_param(when), True, 1)
            )
            second = conn.insert_returning_id(
                "INSERT INTO r (at, flag, grp) VALUES (?, ?, ?)", (d.time_param(None), False, 1)
            )
        assert second == first + 1
        rows = conn.fetch_all(
            f"SELECT grp, {d.all_true('flag')}, max(at) FROM r"
            " WHERE (CAST(? AS INTEGER) IS NULL OR grp = ?) GROUP BY grp",
            (None, None),
        )
        assert [(g, ok, d.read_time(at)) for g, ok, at in rows] == [(1, 0, when)]
