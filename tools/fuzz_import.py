"""Long fuzz run of the import: >= 100,000 generated lists through the parser properties.

Input: options below. Output: counts printed to stdout (inputs, checks run, refusals by
reason, failures by kind) and, when something fails, the failing inputs as JSON lines in
`--failures FILE` (default `fuzz-failures.jsonl` in the current directory).

Every input (from `tests/strategies.markdown_docs`, the same strategy CI runs on a few
hundred examples) is parsed and checked for link completeness against markdown-it-py's own
tokens and for a byte-exact decode/split/encode round trip; every `--db-every`th input is
also imported into a fresh SQLite DB (half of those through the multi-process parser) and
exported. Failures are recorded, not raised, so the run goes on; hypothesis does not shrink.

    .venv/bin/python tools/fuzz_import.py --inputs 100000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from strategies import (  # noqa: E402
    ENCODINGS,
    check_import,
    check_parse,
    check_round_trip,
    markdown_docs,
)


class Run:
    def __init__(self, db_every: int, failures: Path) -> None:
        self.db_every = db_every
        self.failures_path = failures
        self.counts: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.first: dict[str, str] = {}
        self.start = time.monotonic()

    def record(self, kind: str, text: str, exc: BaseException) -> None:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        key = f"{kind}: {type(exc).__name__}: {str(exc)[:120]} @ {Path(where.filename).name}"
        if not isinstance(exc, AssertionError):
            key += f":{where.lineno}"
        self.failures[key] += 1
        if key not in self.first:
            self.first[key] = text
            with self.failures_path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"failure": key, "text": text}, ensure_ascii=False) + "\n")

    def one(self, text: str, encoding: str) -> None:
        n = self.counts["inputs"] = self.counts["inputs"] + 1
        self.counts["chars"] += len(text)
        for kind, check in (
            ("parse", lambda: check_parse(text)),
            ("round trip", lambda: check_round_trip(text, encoding)),
        ):
            try:
                check()
                self.counts[f"{kind} ok"] += 1
            except Exception as exc:
                self.record(kind, text, exc)
        if n % self.db_every == 0:
            try:
                check_import(text, encoding, chunked=(n // self.db_every) % 2 == 1)
                self.counts["db import ok"] += 1
            except Exception as exc:
                self.record("db import", text, exc)
        if n % 10_000 == 0:
            self.progress()

    def progress(self) -> None:
        rate = self.counts["inputs"] / max(time.monotonic() - self.start, 1e-9)
        print(
            f"{self.counts['inputs']:>8} inputs  {rate:6.0f}/s  "
            f"failures {sum(self.failures.values())}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inputs", type=int, default=100_000, help="how many generated lists")
    ap.add_argument("--db-every", type=int, default=200, help="import into SQLite every Nth")
    ap.add_argument("--failures", type=Path, default=Path("fuzz-failures.jsonl"))
    ap.add_argument("--seed", type=int, default=None, help="hypothesis seed (reproducible run)")
    ap.add_argument("--batch", type=int, default=2000, help="inputs per hypothesis engine")
    args = ap.parse_args(argv)
    run = Run(args.db_every, args.failures)
    # Batches: one hypothesis engine for all inputs keeps every choice it made (GBs by 100k).
    batch = min(args.batch, args.inputs)
    for k in range(0, args.inputs, batch):

        @settings(
            max_examples=min(batch, args.inputs - k),
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(markdown_docs(), st.sampled_from(ENCODINGS))
        def fuzz(text: str, encoding: str) -> None:
            run.one(text, encoding)

        if args.seed is not None:
            fuzz = seed(args.seed * 1_000_003 + k)(fuzz)
        fuzz()
    elapsed = time.monotonic() - run.start
    c = run.counts
    print(f"inputs:            {c['inputs']} ({c['chars'] / 1e6:.1f} M chars, {elapsed:.0f} s)")
    print(f"parse + links ok:  {c['parse ok']}")
    print(f"round trip ok:     {c['round trip ok']}")
    print(f"db imports ok:     {c['db import ok']} (every {args.db_every}th input)")
    print(f"failures:          {sum(run.failures.values())} ({len(run.failures)} distinct)")
    for key, count in run.failures.most_common():
        print(f"  {count:>6}  {key}")
    if run.failures:
        print(f"failing inputs: {args.failures}")
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
