"""How right the entries are on real lists: the corpus in ../shared/corpus/, hand-labelled.

Input: the corpus folder (default `../shared/corpus/` beside the repository; `--corpus DIR`):
MANIFEST.md (list order), LABELS.md (the labelling standard), entries.jsonl (labels) and
lists/. Each list is imported into a fresh temporary DB through curator's own importer and
its curated entries are read back from that DB. Output: one row per list and a total per
half: entries, labelled recall (line, title, URL and heading right), labelled non-entries
made entries, generic-titled entries, anchor-URL entries, entries without URL and
descriptions with words glued across a line break. `--half dev|val|all` (default dev).

The split is by list, fixed by MANIFEST order: odd rows are the development half, even rows
the validation half. Rules are tuned on dev only; val is read at the end, to report.

Usage: .venv/bin/python tools/structure_report.py [--half dev|val|all] [--errors]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curator.errors import InputError  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"

# The words the issue names: an entry titled by one of them took a sub-link's label.
GENERIC_TITLES = frozenset(
    "github gitlab pypi conda npm mit apache-2 paper code pdf arxiv blog demo link here "
    "reference 介绍 论文 代码 链接 地址".split()
)

_MANIFEST_ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*\[`([^`]+)`\]")
_LAST_WORD = re.compile(r"([A-Za-z0-9]+)\s*$")
_FIRST_WORD = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+|>\s*)*([A-Za-z0-9]+)")


def manifest_files(corpus: Path) -> list[str]:
    """List file names in MANIFEST order."""
    rows = []
    for line in (corpus / "MANIFEST.md").read_text(encoding="utf-8").splitlines():
        m = _MANIFEST_ROW.match(line)
        if m:
            rows.append((int(m.group(1)), m.group(2)))
    return [name for _, name in sorted(rows)]


def split_halves(corpus: Path) -> dict[str, list[str]]:
    files = manifest_files(corpus)
    dev = [f for k, f in enumerate(files) if k % 2 == 0]  # rows 1, 3, 5, …
    val = [f for k, f in enumerate(files) if k % 2 == 1]  # rows 2, 4, 6, …
    return {"dev": dev, "val": val, "all": files}


def load_labels(corpus: Path) -> dict[str, list[dict[str, object]]]:
    labels: dict[str, list[dict[str, object]]] = {}
    with (corpus / "entries.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                labels.setdefault(str(row["file"]), []).append(row)
    return labels


@dataclass(frozen=True, slots=True)
class Item:
    """One curated entry as stored: 1-based line, title, URL, nearest heading."""

    line: int
    title: str
    url: str | None
    heading: str
    description: str
    span: tuple[int, int]


@dataclass(slots=True)
class ListScore:
    file: str
    entries: int = 0
    labelled: int = 0
    found: int = 0
    not_entries: int = 0
    wrong: int = 0
    generic: int = 0
    anchor: int = 0
    no_url: int = 0
    glued: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: ListScore) -> None:
        for name in "entries labelled found not_entries wrong generic anchor no_url glued".split():
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)

    @property
    def recall(self) -> float:
        return self.found / self.labelled if self.labelled else 1.0

    @property
    def wrong_share(self) -> float:
        return self.wrong / self.not_entries if self.not_entries else 0.0

    @property
    def generic_share(self) -> float:
        return self.generic / self.entries if self.entries else 0.0


def _norm(text: str) -> str:
    return " ".join(text.split())


def stored_items(path: Path) -> tuple[list[Item], list[str]]:
    """Import one list into a fresh DB with curator's importer; read its curated entries."""
    from sqlmodel import col, select

    from curator.ingest.importer import import_paths
    from curator.parse.model import CURATED_KINDS
    from curator.store.connect import open_engine, read_session
    from curator.store.schema import Category, Entry

    with tempfile.TemporaryDirectory() as tmp:
        engine = open_engine(Path(tmp) / "report.db")
        try:
            try:
                import_paths(engine, [path])
            except InputError:
                return [], []
            with read_session(engine) as session:
                kinds = {tuple(c.path): c.kind for c in session.execute(select(Category)).scalars()}
                rows = session.execute(
                    select(Entry)
                    .where(col(Entry.kind).in_([k.value for k in CURATED_KINDS]))
                    .order_by(col(Entry.line_start))
                ).scalars()
                items = [
                    Item(
                        e.line_start + 1,
                        _norm(e.title),
                        e.url,
                        _heading(tuple(e.category), kinds),
                        e.description,
                        (e.line_start, e.line_end),
                    )
                    for e in rows
                ]
        finally:
            engine.dispose()
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    return items, lines


def _heading(path: tuple[str, ...], kinds: dict[tuple[str, ...], str]) -> str:
    """The nearest real heading of a category path (group labels are not headings)."""
    for k in range(len(path), 0, -1):
        if kinds.get(path[:k], "heading") == "heading":
            return path[k - 1]
    return ""


def glued_words(item: Item, lines: list[str]) -> int:
    """Words run together where the source wraps a line: `last` + `first` in the text."""
    text = f"{item.title} {item.description}"
    glued = 0
    start, end = item.span
    for k in range(start, min(end, len(lines)) - 1):
        last = _LAST_WORD.search(lines[k])
        first = _FIRST_WORD.match(lines[k + 1])
        if not last or not first:
            continue
        joined = last.group(1) + first.group(1)
        if re.search(rf"(?<![A-Za-z0-9]){re.escape(joined)}(?![A-Za-z0-9])", text) and (
            f"{last.group(1)} {first.group(1)}" not in text
        ):
            glued += 1
    return glued


def score_list(path: Path, labels: list[dict[str, object]]) -> ListScore:
    items, lines = stored_items(path)
    score = ListScore(path.name, entries=len(items))
    by_line: dict[int, list[Item]] = {}
    for item in items:
        by_line.setdefault(item.line, []).append(item)
        if item.title.lower().strip(" :.") in GENERIC_TITLES:
            score.generic += 1
            score.errors.append(f"{path.name}:{item.line}: generic title {item.title!r}")
        if item.url is not None and item.url.startswith("#"):
            score.anchor += 1
            score.errors.append(f"{path.name}:{item.line}: anchor URL {item.url!r}")
        if item.url is None:
            score.no_url += 1
        n = glued_words(item, lines)
        if n:
            score.glued += n
            score.errors.append(f"{path.name}:{item.line}: glued description")
    for label in labels:
        line = int(str(label["line"]))
        here = by_line.get(line, [])
        if label["kind"] == "entry":
            score.labelled += 1
            want = (_norm(str(label["title"])), label["url"], _norm(str(label["category"])))
            if any((i.title, i.url, _norm(i.heading)) == want for i in here):
                score.found += 1
            else:
                got = [(i.title, i.url, i.heading) for i in here]
                score.errors.append(f"{path.name}:{line}: missed {want} got {got}")
        else:
            score.not_entries += 1
            text = _norm(str(label["text"]))
            if any(i.title == text for i in here) if text else bool(here):
                score.wrong += 1
                score.errors.append(f"{path.name}:{line}: not-entry {text!r} made an entry")
    return score


def report(corpus: Path, half: str) -> tuple[list[ListScore], ListScore]:
    labels = load_labels(corpus)
    scores = [
        score_list(corpus / "lists" / name, labels.get(name, []))
        for name in split_halves(corpus)[half]
    ]
    total = ListScore(f"total ({half})")
    for s in scores:
        total.add(s)
    return scores, total


def _row(s: ListScore) -> str:
    return (
        f"{s.file[:58]:58} {s.entries:6} {s.found:4}/{s.labelled:<4} {s.recall:5.2f} "
        f"{s.wrong:3}/{s.not_entries:<3} {s.generic_share:6.1%} {s.anchor:4} {s.no_url:5} "
        f"{s.glued:5}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--half", choices=("dev", "val", "all"), default="dev")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--errors", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    if not (args.corpus / "MANIFEST.md").is_file():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    scores, total = report(args.corpus, args.half)
    print(
        f"{'list':58} {'entries':>6} {'labelled':>9} {'recall':>5} {'wrong':>7} "
        f"{'generic':>6} {'anchor':>4} {'noURL':>5} {'glued':>5}"
    )
    for s in scores:
        print(_row(s))
    print(_row(total))
    if args.errors:
        for line in total.errors:
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
