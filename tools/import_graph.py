"""Check curator's import graph: no cycles, and no stage importing from a stage above it.

Input: the source tree under `curator/` (read with `ast`; imports inside functions count too,
since a lazy import is still a dependency). Output: one line per problem on stdout and exit
status 1, or a one-line summary and 0. Config: `LAYERS` below, lowest first; a module may
import from its own layer or any layer below it, never above. Also: only `curator/cli/`
imports typer or rich.

    python tools/import_graph.py            # check
    python tools/import_graph.py --edges    # print every module -> module edge
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "curator"

# Lowest first. Top-level modules are named by their file stem, packages by folder.
LAYERS: list[set[str]] = [
    {"", "errors", "urls", "util"},
    {"parse"},
    {"store"},
    {"ingest", "check"},
    {"curate"},
    {"export", "report"},
    {"serve"},
    {"cli", "__main__"},
]
PRESENTATION = ("typer", "rich", "click")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def stage_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layer_of(stage: str) -> int:
    for i, layer in enumerate(LAYERS):
        if stage in layer:
            return i
    raise KeyError(stage)


def imports_of(path: Path, module: str, known: set[str]) -> tuple[set[str], set[str]]:
    """(curator modules imported, third-party top-level names imported)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()
    third: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_pkg else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        for name in names:
            if name.split(".")[0] != "curator":
                if name:
                    third.add(name.split(".")[0])
                continue
            # the longest known module that the name starts with
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module and name != "curator":
                found.add(name)
    return found, third


def graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    files = {module_name(p): p for p in PKG.rglob("*.py") if "migrations" not in p.parts}
    known = set(files)
    edges: dict[str, set[str]] = {}
    third: dict[str, set[str]] = {}
    for mod, path in files.items():
        edges[mod], third[mod] = imports_of(path, mod, known)
    # importing `curator.a.b` also runs `curator.a/__init__`: not an edge we care about
    return edges, third


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in edges:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def problems() -> list[str]:
    edges, third = graph()
    found: list[str] = []
    for comp in cycles(edges):
        found.append("import cycle: " + " <-> ".join(comp))
    for mod, deps in sorted(edges.items()):
        stage = stage_of(mod)
        try:
            mine = layer_of(stage)
        except KeyError:
            found.append(f"{mod}: stage {stage!r} is in no layer of tools/import_graph.py")
            continue
        for dep in sorted(deps):
            dstage = stage_of(dep)
            if dstage == stage:
                continue
            try:
                theirs = layer_of(dstage)
            except KeyError:
                continue  # reported for the module itself
            if theirs > mine:
                found.append(f"{mod} imports {dep}: {stage} may not import from {dstage}")
        if stage != "cli":
            for name in sorted(third[mod] & set(PRESENTATION)):
                found.append(f"{mod} imports {name}: presentation belongs in curator/cli/")
    return found


def main(argv: list[str]) -> int:
    if "--edges" in argv:
        edges, _ = graph()
        for mod, deps in sorted(edges.items()):
            for dep in sorted(deps):
                print(f"{mod} -> {dep}")
        return 0
    found = problems()
    for line in found:
        print(line)
    if found:
        return 1
    edges, _ = graph()
    print(f"import graph ok: {len(edges)} modules, {sum(map(len, edges.values()))} edges")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
