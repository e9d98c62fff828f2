"""Tag + export benchmark on the generated 20,000-entry list of benchmarks/import_bench.py.

Imports the list once (not timed), gives 10 % of its URLs a check state (broken, flaky,
moved) so status markers are rendered, then times `curator tag` (rules applied, tags
written in one transaction), a full `curator export` (README, category pages, tag pages,
sources, CHANGES.md) into an empty directory, and a repeated export with nothing changed.
Target on this 2-core machine: tag + export of 20,000 entries <= 1.5 s when markdown-it-py
tokenized the same list in 2.2 s, i.e. (tag + export) / tokenizer <= 0.68x (the tokenizer
is a yardstick that scales with the machine and its load).

    python benchmarks/tag_export_bench.py [--entries 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from import_bench import make_list  # noqa: E402
from sqlalchemy import delete, insert, select  # noqa: E402

from curator.curate.rules import load_rules  # noqa: E402
from curator.curate.tagging import apply_rules  # noqa: E402
from curator.export.run import export_all  # noqa: E402
from curator.ingest.importer import import_paths  # noqa: E402
from curator.parse.blocks import make_markdown  # noqa: E402
from curator.store.connect import open_engine, write_session  # noqa: E402
from curator.store.schema import Tag, Url, UrlState  # noqa: E402

# The target, tag + export <= 1.5 s when tokenizing this list took 2.2 s, as a ratio.
RATIO_TARGET = 0.68


def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """Best wall time and median CPU time of `repeat` runs.

    The machine is shared with other engineers' jobs: the best run is the one least
    disturbed by them, the CPU time shows what this process and the workers it forked
    (tagging matches on two cores) spent."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        w, c = time.perf_counter(), _cpu()
        result = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(_cpu() - c)
    return min(walls), statistics.median(cpus), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        src = tmpdir / "awesome.md"
        text = make_list(args.entries)
        src.write_text(text, encoding="utf-8")
        md = make_markdown()
        t_tok, _, _ = timed(lambda: md.parse(text), args.repeat)
        engine = open_engine(tmpdir / "bench.db")
        t0 = time.perf_counter()
        import_paths(engine, [src])
        t_import = time.perf_counter() - t0
        now = datetime.now(UTC)
        with write_session(engine) as session:
            ids = session.execute(select(Url.id).order_by(Url.id)).scalars().all()
            states = ["broken", "flaky", "ok"]
            rows = [
                {
                    "url_id": uid,
                    "state": states[i % 3],
                    "last_outcome": "redirected" if i % 3 == 2 else "gone",
                    "final_url": f"https://moved.example/{uid}" if i % 3 == 2 else None,
                    "archived_url": f"https://web.archive.org/web/{uid}" if i % 3 == 0 else None,
                    "last_checked_at": now,
                }
                for i, uid in enumerate(ids[::10])
            ]
            session.execute(insert(UrlState), rows)
        rules = load_rules(ROOT / "data" / "tags.toml")

        def clear_tags() -> None:
            with write_session(engine) as session:
                session.execute(delete(Tag))

        def tag() -> object:
            with write_session(engine) as session:
                return apply_rules(session, rules)

        tag_walls, tag_cpus = [], []
        for _ in range(args.repeat):
            clear_tags()
            w, c, tag_result = timed(tag, 1)
            tag_walls.append(w)
            tag_cpus.append(c)
        t_tag, c_tag = min(tag_walls), statistics.median(tag_cpus)
        t_retag, c_retag, _ = timed(tag, args.repeat)
        out = tmpdir / "exports"

        def export_fresh() -> object:
            shutil.rmtree(out, ignore_errors=True)
            return export_all(engine, out)

        t_export, c_export, result = timed(export_fresh, args.repeat)
        t_again, c_again, again = timed(lambda: export_all(engine, out), args.repeat)
        files = len(result.files)  # type: ignore[attr-defined]
        written = sum(f.written for f in again.files)  # type: ignore[attr-defined]
        print(
            f"list: {args.entries} entries generated by import_bench.make_list, "
            f"{len(rows)} URLs with a check state; import took {t_import:.2f} s (not timed)"
        )
        print(f"                          best wall  median CPU  (of {args.repeat} runs)")
        print(
            f"curator tag (no tags yet)  : {t_tag:6.3f} s {c_tag:6.3f} s  "
            f"({tag_result.added} tags on {tag_result.entries} entries)"  # type: ignore[attr-defined]
        )
        print(f"curator tag (again)        : {t_retag:6.3f} s {c_retag:6.3f} s")
        print(f"curator export (empty dir) : {t_export:6.3f} s {c_export:6.3f} s  ({files} files)")
        print(f"tag + export               : {t_tag + t_export:6.3f} s {c_tag + c_export:6.3f} s")
        print(
            f"export again, no change    : {t_again:6.3f} s {c_again:6.3f} s  "
            f"({written} files rewritten)"
        )
        print(
            f"tag + export / tokenizer: {(t_tag + t_export) / t_tok:.2f}x "
            f"(target <= {RATIO_TARGET:.2f}x; markdown-it-py tokenizing the same list took "
            f"{t_tok:.3f} s)"
        )
        print(f"load average (1 min)       : {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
