"""A shard's results as a file (`curator check --results-out FILE`), and reading it back
for `curator merge`.

Input: the run's header (`RunHeader`) and its `ResultRecord`s (all at once, or one by one
as the run makes them: `ResultsSpool`, which holds them in a temporary file rather than in
memory); or a file. Output: a file written atomically (temp + rename: a reader never sees
half of it), or the parsed header and records, with `InputError` naming file and line for
anything malformed. Config: none.

Format: JSON lines. Line 1 is the header: `{"format": "curator-check-results",
"version": 1, "run_key", "shard", "started_at", "finished_at", "status", "counts",
"confirm_runs", "confirm_days", "arguments"}`. Every further line is one checked URL:
`{"url", "normalized", "checked_at", "outcome", "status", "final_url", "redirects":
[{"url", "status"}], "elapsed_ms", "attempts", "error", "title", "description", "reason",
"repo"}`; `reason` is why a page that answered is gone (soft-404, parked) or a detail
(fragment-missing), `repo` what the GitHub API said of a repository link (`{"name_with_owner",
"url", "archived", "disabled", "fork", "stars", "pushed_at", "description", "license",
"language"}`) or null; both may be absent (files of older versions). Times are ISO 8601
with an offset. The normalized URL is what `merge` matches in its database.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from curator.check.types import FetchResult, Hop, Outcome, RepoFacts
from curator.errors import InputError
from curator.store.kinds import RunStatus
from curator.util.fsutil import atomic_writer

FORMAT = "curator-check-results"
VERSION = 1


@dataclass(frozen=True, slots=True)
class RunHeader:
    run_key: str
    shard: str | None
    started_at: datetime
    finished_at: datetime | None
    status: RunStatus
    confirm_runs: int
    confirm_days: float
    counts: dict[str, Any] = field(default_factory=dict)
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResultRecord:
    normalized: str
    checked_at: datetime
    result: FetchResult


def _header_json(h: RunHeader) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "run_key": h.run_key,
        "shard": h.shard,
        "started_at": h.started_at.isoformat(),
        "finished_at": h.finished_at.isoformat() if h.finished_at else None,
        "status": h.status.value,
        "counts": h.counts,
        "confirm_runs": h.confirm_runs,
        "confirm_days": h.confirm_days,
        "arguments": h.arguments,
    }


def _record_json(r: ResultRecord) -> dict[str, Any]:
    res = r.result
    return {
        "url": res.url,
        "normalized": r.normalized,
        "checked_at": r.checked_at.isoformat(),
        "outcome": res.outcome.value,
        "status": res.status,
        "final_url": res.final_url,
        "redirects": [{"url": h.url, "status": h.status} for h in res.redirects],
        "elapsed_ms": res.elapsed_ms,
        "attempts": res.attempts,
        "error": res.error,
        "title": res.title,
        "description": res.description,
        "reason": res.reason,
        "repo": _repo_json(res.repo) if res.repo is not None else None,
    }


def _repo_json(repo: RepoFacts) -> dict[str, Any]:
    return {
        "name_with_owner": repo.name_with_owner,
        "url": repo.url,
        "archived": repo.archived,
        "disabled": repo.disabled,
        "fork": repo.fork,
        "stars": repo.stars,
        "pushed_at": repo.pushed_at.isoformat() if repo.pushed_at else None,
        "description": repo.description,
        "license": repo.license,
        "language": repo.language,
    }


def _repo_of(data: Any, where: str) -> RepoFacts | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise InputError(f"{where}: repo must be a JSON object or null")
    pushed = data.get("pushed_at")
    return RepoFacts(
        name_with_owner=str(data["name_with_owner"]),
        url=str(data["url"]),
        archived=bool(data.get("archived")),
        disabled=bool(data.get("disabled")),
        fork=bool(data.get("fork")),
        stars=int(data.get("stars") or 0),
        pushed_at=_time(pushed, where, "repo.pushed_at") if pushed is not None else None,
        description=data.get("description"),
        license=data.get("license"),
        language=data.get("language"),
    )


def write_results_file(path: Path, header: RunHeader, records: Iterable[ResultRecord]) -> None:
    with ResultsSpool() as spool:
        for r in records:
            spool.add(r)
        spool.write(path, header)


class ResultsSpool:
    """A results file in the making: records added as the run makes them wait in a
    temporary file (the header, written first, is known only at the end)."""

    def __init__(self) -> None:
        # Open for the whole run, across calls; close() (or the with block) ends it.
        self._file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115

    def add(self, record: ResultRecord) -> None:
        self._file.write(json.dumps(_record_json(record), ensure_ascii=False) + "\n")

    def write(self, path: Path, header: RunHeader) -> None:
        """`path`: the header, then every record added, in the order added."""
        self._file.seek(0)
        with atomic_writer(path) as out:
            out.write(json.dumps(_header_json(header), ensure_ascii=False) + "\n")
            shutil.copyfileobj(self._file, out)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ResultsSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _time(value: Any, where: str, name: str) -> datetime:
    if not isinstance(value, str):
        raise InputError(f"{where}: {name} must be an ISO date-time")
    try:
        t = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"{where}: {name} {value!r} is not an ISO date-time") from exc
    if t.tzinfo is None:
        raise InputError(f"{where}: {name} {value!r} has no UTC offset")
    return t


def _header_of(data: Any, where: str) -> RunHeader:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"{where}: not a curator results file (written by check --results-out)")
    if data.get("version") != VERSION:
        raise InputError(f"{where}: results file version {data.get('version')!r} is not known")
    key = data.get("run_key")
    if not isinstance(key, str) or not key:
        raise InputError(f"{where}: the header has no run_key")
    try:
        return RunHeader(
            run_key=key,
            shard=data.get("shard"),
            started_at=_time(data.get("started_at"), where, "started_at"),
            finished_at=(
                _time(data["finished_at"], where, "finished_at")
                if data.get("finished_at")
                else None
            ),
            status=RunStatus(str(data.get("status") or RunStatus.DONE.value)),
            confirm_runs=int(data["confirm_runs"]),
            confirm_days=float(data["confirm_days"]),
            counts=dict(data.get("counts") or {}),
            arguments=dict(data.get("arguments") or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{where}: bad header field ({exc})") from exc


def _record_of(data: Any, where: str) -> ResultRecord:
    if not isinstance(data, dict):
        raise InputError(f"{where}: a result line must be a JSON object")
    try:
        outcome = Outcome(data["outcome"])
        hops = tuple(Hop(str(h["url"]), int(h["status"])) for h in data.get("redirects") or ())
        result = FetchResult(
            url=str(data["url"]),
            outcome=outcome,
            status=int(data["status"]) if data.get("status") is not None else None,
            final_url=data.get("final_url"),
            redirects=hops,
            title=data.get("title"),
            description=data.get("description"),
            error=data.get("error"),
            attempts=int(data.get("attempts") or 1),
            elapsed_ms=int(data.get("elapsed_ms") or 0),
            reason=data.get("reason"),
            repo=_repo_of(data.get("repo"), where),
        )
        normalized = str(data["normalized"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{where}: bad result ({type(exc).__name__}: {exc})") from exc
    return ResultRecord(normalized, _time(data.get("checked_at"), where, "checked_at"), result)


def read_results_file(path: Path) -> tuple[RunHeader, list[ResultRecord]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from exc
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise InputError(f"{path}: file is empty")
    parsed: list[tuple[str, Any]] = []
    for n, line in lines:
        where = f"{path}:{n}"
        try:
            parsed.append((where, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not JSON ({exc.msg})") from exc
    header = _header_of(parsed[0][1], parsed[0][0])
    return header, [_record_of(data, where) for where, data in parsed[1:]]
