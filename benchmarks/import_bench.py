"""Import / export benchmark on a generated 20,000-entry awesome-style list.

Prints wall times for `import` (parse + one transaction of bulk inserts), a no-op
re-import, and `export --sources`, and compares the parse stage and the import with
markdown-it-py tokenizing the same list (the floor: curator cannot parse faster than the
tokenizer it is built on; a yardstick that scales with the machine and its load), as ratios.
Targets on a 2-core machine: import <= 2 s when the tokenizer took 2.2 s, i.e.
import / tokenizer <= 0.90x; export <= 1 s.

    python benchmarks/import_bench.py [--entries 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curator.export.sources import export_sources  # noqa: E402
from curator.ingest.importer import import_paths  # noqa: E402
from curator.parse import parse_markdown  # noqa: E402
from curator.parse.blocks import make_markdown  # noqa: E402
from curator.store.connect import open_engine, read_session  # noqa: E402

# The target, import <= 2 s when tokenizing this list took 2.2 s, as a ratio.
IMPORT_RATIO_TARGET = 0.90

WORDS = (
    "GPU CUDA kernel 推理 加速 模型 压缩 量化 transformer attention benchmark 芯片 "
    "latency dataset vision speech 部署 框架 tutorial paper"
).split()


def make_list(entries: int, seed: int = 7) -> str:
    """An awesome-style list mixing every shape the parser knows, `entries` curated items."""
    rng = random.Random(seed)
    out = ["# Generated awesome list", "", "- [Intro](#intro)", ""]
    made = 0
    section = 0
    while made < entries:
        section += 1
        out += [f"## Section {section} {rng.choice(WORDS)}", ""]
        shape = section % 4
        if shape == 0:
            out += ["| 名称 | 地址 | 说明 |", "|---|---|---|"]
            for _ in range(min(50, entries - made)):
                made += 1
                out.append(
                    f"| Row {made} | [github](https://github.com/o{made}/r) | "
                    f"{rng.choice(WORDS)} {rng.choice(WORDS)} |"
                )
            out.append("")
            continue
        for _ in range(min(50, entries - made)):
            made += 1
            words = " ".join(rng.choice(WORDS) for _ in range(4))
            if shape == 1:
                out.append(
                    f"* [Item {made} {words}](https://h{made % 97}.example/p/{made}): {words}"
                )
                if made % 5 == 0:
                    out.append(
                        f"  * [github](https://github.com/u/{made}), "
                        f"[arxiv](https://arxiv.org/abs/{made})"
                    )
            elif shape == 2:
                out += [f"[Paper {made}](https://arxiv.org/abs/2301.{made:05d})", f"* {words}", ""]
            else:
                out.append(
                    f"{made % 9 + 1}. Plain entry {made}：{words} https://bare{made}.example/"
                )
        out.append("")
    return "\n".join(out) + "\n"


def timed(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    text = make_list(args.entries)
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        src = tmpdir / "awesome.md"
        src.write_text(text, encoding="utf-8")
        doc = parse_markdown(text)
        print(
            f"list: {len(text.encode()) / 1e6:.1f} MB, {len(doc.curated)} entries, "
            f"{sum(len(e.links) for e in doc.entries)} links"
        )
        md = make_markdown()
        t_tok = timed(lambda: md.parse(text), args.repeat)
        t_parse = timed(lambda: parse_markdown(text), args.repeat)

        def fresh_import() -> None:
            db = tmpdir / f"bench-{time.monotonic_ns()}.db"
            import_paths(open_engine(db), [src])

        t_import = timed(fresh_import, args.repeat)
        db = tmpdir / "main.db"
        engine = open_engine(db)
        import_paths(engine, [src])
        t_reimport = timed(lambda: import_paths(engine, [src]), args.repeat)

        def export() -> None:
            with read_session(engine) as session:
                export_sources(session, tmpdir / "out")
            (tmpdir / "out" / "sources" / "awesome.md").unlink()

        t_export = timed(export, args.repeat)
        ok = (tmpdir / "out").exists()
        export()
        print(f"markdown-it-py tokens only : {t_tok:6.3f} s")
        print(
            f"curator parse              : {t_parse:6.3f} s  "
            f"(ratio to tokenizer {t_parse / t_tok:.2f}x)"
        )
        print(f"curator import (fresh DB)  : {t_import:6.3f} s")
        print(f"curator re-import no-op    : {t_reimport:6.3f} s")
        print(f"curator export --sources   : {t_export:6.3f} s  (target <= 1.0 s)")
        print(f"round trip wrote files     : {ok}")
        print(
            f"import / tokenizer: {t_import / t_tok:.2f}x (target <= {IMPORT_RATIO_TARGET:.2f}x; "
            f"tokenizer {t_tok:.3f} s, import {t_import:.3f} s)"
        )


if __name__ == "__main__":
    main()
