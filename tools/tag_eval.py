"""Precision and recall of the tagging rules on the hand-labelled seed fixture.

Input: tests/fixtures/tag_labels.csv (source, stable key, title, tags; one row per curated
entry of the five seed lists, labelled by hand) and a rules file (default: the bundled
data/tags.toml; `--rules FILE` to try another). Output: a table of precision, recall,
true/false positives and false negatives per tag on stdout; `--errors` also lists the
entries behind each false positive/negative. Exit code 1 when `--min P` is given and
hardware or perf falls below it (CI runs this through tests/test_tags.py).

Usage: .venv/bin/python tools/tag_eval.py [--rules FILE] [--errors] [--min 0.95]

How the fixture was labelled (by reading each entry: title, description, notes, section):
- hardware: about GPUs/accelerators/chips, CPUs and instruction sets, memory, HPC, or a
  stated hardware target/requirement; every entry filed under a hardware section (the
  GPU section, 异构计算, AI/NPU/GPU 芯片特性, 高性能计算) counts as hardware by definition.
- perf: the stated subject is speed or efficiency: optimization, acceleration, kernels,
  GEMM/Winograd, profiling, latency/throughput measurement, inference engines built for
  speed, quantization. "Performance" meaning accuracy, or said in passing, is not perf.
- llm: large/pretrained language models; compression: quantization, pruning,
  distillation, lightweight nets; deployment: inference engines, conversion, serving;
  course: courses, tutorials, lecture material; book: books; paper: papers, preprints,
  surveys, paper collections; code: the entry links a source repository (not one file).
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curator.curate.rules import Tagger, input_from_parsed, load_rules  # noqa: E402
from curator.ingest.importer import stable_keys  # noqa: E402
from curator.parse import decode_bytes, parse_markdown  # noqa: E402

LABELS = ROOT / "tests" / "fixtures" / "tag_labels.csv"
LISTS = ROOT / "data" / "lists"
HISTORY = ROOT / "data" / "history"  # an older version of a list: labelled too
TARGETS = ("hardware", "perf")


@dataclass(frozen=True, slots=True)
class TagScore:
    tag: str
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass(frozen=True, slots=True)
class Report:
    entries: int
    scores: list[TagScore]
    errors: list[tuple[str, str, str, str]]  # (tag, "FP"/"FN", source, title)

    def score(self, tag: str) -> TagScore:
        return next(s for s in self.scores if s.tag == tag)


def read_labels(path: Path = LABELS) -> dict[tuple[str, str], tuple[str, set[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {
            (row["source"], unquote(row["key"])): (row["title"], set(row["tags"].split()))
            for row in csv.DictReader(fh)
        }


def evaluate(rules: Path | None = None, labels: Path = LABELS, lists: Path = LISTS) -> Report:
    tagger = Tagger(load_rules(rules if rules is not None else ROOT / "data" / "tags.toml"))
    truth = read_labels(labels)
    predicted: dict[tuple[str, str], set[str]] = {}
    for path in sorted([*lists.glob("*.md"), *HISTORY.glob("*.md")]):
        doc = parse_markdown(decode_bytes(path.read_bytes(), str(path)).text)
        unmatched = []
        for entry, key in zip(doc.entries, stable_keys(doc.entries), strict=True):
            # Keys are compared percent-decoded: the parser's href spelling may change.
            ident = (path.stem, unquote(key))
            if not entry.curated:
                continue
            if ident in truth:
                predicted[ident] = set(tagger.tag(input_from_parsed(entry)))
            else:
                unmatched.append(entry)
        # An entry whose key moved (parser changes) is found again by its title.
        for entry in unmatched:
            for ident, (title, _) in truth.items():
                same = title.startswith(entry.title[:60]) or entry.title.startswith(title)
                if ident[0] == path.stem and ident not in predicted and entry.title and same:
                    predicted[ident] = set(tagger.tag(input_from_parsed(entry)))
                    break
    missing = sorted(set(truth) - set(predicted))
    if len(missing) > len(truth) // 20:
        raise SystemExit(f"{len(missing)} labelled entries not found in the seeds: {missing[:3]}")
    truth = {k: v for k, v in truth.items() if k in predicted}
    tags = sorted({t for _, ts in truth.values() for t in ts})
    scores, errors = [], []
    for tag in tags:
        tp = fp = fn = 0
        for key, (title, want) in truth.items():
            got = tag in predicted[key]
            if got and tag in want:
                tp += 1
            elif got:
                fp += 1
                errors.append((tag, "FP", key[0], title))
            elif tag in want:
                fn += 1
                errors.append((tag, "FN", key[0], title))
        scores.append(TagScore(tag, tp, fp, fn))
    return Report(len(truth), scores, errors)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rules", type=Path, help="rules file (default: data/tags.toml)")
    ap.add_argument("--labels", type=Path, default=LABELS, help="labelled fixture (CSV)")
    ap.add_argument("--errors", action="store_true", help="list false positives/negatives")
    ap.add_argument("--min", type=float, help="fail if hardware/perf P or R is below this")
    args = ap.parse_args(argv)
    report = evaluate(args.rules, args.labels)
    print(f"{report.entries} hand-labelled entries from {LISTS.relative_to(ROOT)}")
    print(f"{'tag':<12} {'precision':>9} {'recall':>7} {'TP':>4} {'FP':>4} {'FN':>4}")
    for s in report.scores:
        print(f"{s.tag:<12} {s.precision:>9.3f} {s.recall:>7.3f} {s.tp:>4} {s.fp:>4} {s.fn:>4}")
    if args.errors:
        for tag, kind, source, title in report.errors:
            print(f"  {tag:<12} {kind}  {source}: {title}")
    if args.min is not None:
        low = [
            s.tag
            for s in report.scores
            if s.tag in TARGETS and min(s.precision, s.recall) < args.min
        ]
        if low:
            print(f"below {args.min}: {', '.join(low)}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
