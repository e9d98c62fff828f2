"""Pull-request mode: the web links on lines added compared with a git ref.

Input: a ref (`curator check --diff origin/main`) and the working tree of the git
repository containing the current directory. Output: a `DiffSelection`: the web links that
sit on added lines of changed Markdown files (path relative to the repository root, 1-based
line, URL as written and normalized). The diff is taken against the merge base of the ref
and HEAD (what GitHub shows as the pull request's changes), falling back to the ref itself
when the history is too shallow to have a merge base. Lines come from `git diff
--unified=0`; links come from curator's own parser run on the new file, so a link counts
exactly when the importer would store it. Config: none; git must be on PATH.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from curator.errors import InputError
from curator.ingest.importer import MARKDOWN_SUFFIXES
from curator.parse import decode_bytes, parse_markdown
from curator.urls import LinkKind, normalize

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_GIT_TIMEOUT_S = 60


@dataclass(frozen=True, slots=True)
class AddedLink:
    path: str  # relative to the repository root, "/"-separated
    line: int  # 1-based
    url: str  # as written
    normalized: str


@dataclass(frozen=True, slots=True)
class DiffSelection:
    ref: str
    base: str  # the commit actually compared with
    files: tuple[str, ...]  # changed Markdown files with added lines
    links: tuple[AddedLink, ...]

    @property
    def urls(self) -> frozenset[str]:
        """Normalized URLs to check."""
        return frozenset(link.normalized for link in self.links)


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=root,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError as exc:
        raise InputError("--diff needs git, and git is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise InputError(f"git {args[0]} took longer than {_GIT_TIMEOUT_S} s") from exc


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of unusual file names ("a\\tb.md")."""
    if not (path.startswith('"') and path.endswith('"')):
        return path
    raw = path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return raw.encode("latin-1", "surrogateescape").decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class FileChange:
    path: str  # new side, relative to the repository root
    old_path: str | None  # None for a new file
    added: frozenset[int]  # 1-based numbers of added lines


def parse_diff(diff: str) -> list[FileChange]:
    """The files of a unified diff (`a/`, `b/` prefixes) with their added line numbers."""
    changes: list[FileChange] = []
    old: str | None = None
    path: str | None = None
    added: set[int] = set()
    line = 0

    def flush() -> None:
        if path is not None and added:
            changes.append(FileChange(path, old, frozenset(added)))

    for raw in diff.splitlines():
        if raw.startswith("diff --git "):
            flush()
            old, path, added = None, None, set()
            continue
        if raw.startswith("--- "):
            name = _unquote(raw[4:].rstrip("\t"))
            old = None if name == "/dev/null" else name.removeprefix("a/")
            continue
        if raw.startswith("+++ "):
            name = _unquote(raw[4:].rstrip("\t"))
            path = None if name == "/dev/null" else name.removeprefix("b/")
            continue
        hunk = _HUNK.match(raw)
        if hunk:
            line = int(hunk.group(1))
            continue
        if path is None:
            continue
        if raw.startswith("+"):
            added.add(line)
            line += 1
        elif raw.startswith(" "):
            line += 1
    flush()
    return changes


def repo_root(cwd: Path) -> Path:
    proc = _git(cwd, "rev-parse", "--show-toplevel")
    if proc.returncode != 0:
        raise InputError(f"--diff: {cwd} is not inside a git repository")
    return Path(proc.stdout.strip())


def changed_files(ref: str, cwd: Path) -> tuple[Path, str, list[FileChange]]:
    """(repository root, compared commit, changed Markdown files with added lines)."""
    root = repo_root(cwd)
    if ref.startswith("-"):
        raise InputError(f"--diff {ref!r}: not a git ref")
    verify = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if verify.returncode != 0:
        raise InputError(
            f"--diff {ref}: unknown git ref; fetch it first (`git fetch origin <branch>`, "
            "or `fetch-depth: 0` in actions/checkout)"
        )
    merge_base = _git(root, "merge-base", ref, "HEAD")
    base = merge_base.stdout.strip() if merge_base.returncode == 0 else verify.stdout.strip()
    specs = [f":(icase,glob)**/*{suffix}" for suffix in MARKDOWN_SUFFIXES]
    proc = _git(
        root,
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--unified=0",
        "-M",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        "--diff-filter=AMR",
        base,
        "--",
        *specs,
    )
    if proc.returncode != 0:
        raise InputError(f"--diff {ref}: git diff failed: {proc.stderr.strip()[:300]}")
    return root, base, parse_diff(proc.stdout)


def _web_links(data: bytes, name: str) -> list[tuple[int, str]]:
    """(1-based line, href) of every web link curator's parser finds in a list."""
    doc = parse_markdown(decode_bytes(data, name).text)
    return [
        (link.line + 1, link.href)
        for entry in doc.entries
        for link in entry.links
        if link.kind is LinkKind.WEB
    ]


def _old_urls(root: Path, base: str, old_path: str | None) -> set[str]:
    if old_path is None:
        return set()
    proc = subprocess.run(
        ["git", "show", f"{base}:{old_path}"], cwd=root, capture_output=True, check=False
    )
    if proc.returncode != 0:
        return set()
    try:
        return {normalize(href) for _, href in _web_links(proc.stdout, old_path)}
    except InputError:
        return set()  # the old version was not a readable list: every link is new


def select_added_links(ref: str, cwd: Path | None = None) -> DiffSelection:
    """Web links on lines added since `ref` whose URL the file did not have before (an
    edited line keeps its old links out of the selection)."""
    root, base, changes = changed_files(ref, cwd or Path.cwd())
    links: list[AddedLink] = []
    for change in changes:
        try:
            data = (root / change.path).read_bytes()
        except OSError:
            continue  # deleted in the working tree since: nothing to check there
        before = _old_urls(root, base, change.old_path)
        for line, href in _web_links(data, change.path):
            norm = normalize(href)
            if line in change.added and norm not in before:
                links.append(AddedLink(change.path, line, href, norm))
    files = tuple(sorted(c.path for c in changes))
    return DiffSelection(ref, base, files, tuple(links))
