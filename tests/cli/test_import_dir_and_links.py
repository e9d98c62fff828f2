"""`curator import DIR` with files that are not lists, and `curator links` (issue 13)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.local_site import serve_site

LIST = "# Tools\n\n- [fd](https://fd.example/) - find files\n"


def test_folder_import_skips_files_without_entries_and_keeps_heading_only_readmes(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "repo"
    (folder / "docs").mkdir(parents=True)
    (folder / "README.md").write_text(LIST, encoding="utf-8")
    (folder / "CONTRIBUTING.md").write_text(
        "# Contributing\n\nPlease read the guide before you open a pull request.\n",
        encoding="utf-8",
    )
    (folder / "docs" / "todo.md").write_text("# Todo\n\n## Later\n\n## Never\n", encoding="utf-8")
    (folder / "docs" / "empty.md").write_text("", encoding="utf-8")
    db = tmp_path / "c.db"
    r = run_cli("import", folder, "--db", db)
    assert r.code == 0, r.stderr
    warnings = r.stderr.splitlines()
    assert warnings == [
        f"Warning: {folder / 'CONTRIBUTING.md'}: skipped, no list entries or links found "
        "(is it only prose?)",
        f"Warning: {folder / 'docs' / 'empty.md'}: skipped, file is empty",
    ]
    assert "README: v1 +1" in r.stdout and "todo: v1 +0 -0 ~0 (0 entries" in r.stdout
    listed = json.loads(run_cli("list", "--format", "json", "--db", db).stdout)
    assert [e["title"] for e in listed] == ["fd"]
    stats = run_cli("stats", "--format", "json", "--db", db).stdout
    assert '"todo"' in stats and '"CONTRIBUTING"' not in stats


def test_named_file_without_entries_and_a_folder_of_nothing_are_errors(tmp_path: Path) -> None:
    prose = tmp_path / "essay" / "essay.md"
    prose.parent.mkdir()
    prose.write_text("# Essay\n\nOnly words here, and no list at all.\n", encoding="utf-8")
    db = tmp_path / "c.db"
    r = run_cli("import", prose, "--db", db)
    assert (r.code, r.stderr) == (
        2,
        f"Error: {prose}: no list entries or links found (is it only prose?)\n",
    )
    r = run_cli("import", prose.parent, "--db", db)
    assert r.code == 2
    assert r.stderr.splitlines()[-1] == (
        f"Error: {prose.parent}: no Markdown file with list entries or links"
    )


def test_links_lists_every_stored_link_with_file_line_role_and_state(tmp_path: Path) -> None:
    with serve_site() as site:
        site.status["/ok"] = 200
        text = (
            f"# Tools [![CI]({site.url('/badge/ci.svg')})]({site.url('/ci')})\n\n"
            "- [Tools](#tools)\n\n"
            f"Read the [guide]({site.url('/guide')}) before you send us a pull request, please.\n\n"
            f"- [fd]({site.url('/ok')}) - find files, [docs]({site.url('/gone')})\n"
            "- [mail](mailto:me@example.org) - write\n"
        )
        md = tmp_path / "list.md"
        md.write_text(text, encoding="utf-8")
        db = tmp_path / "c.db"
        assert run_cli("import", md, "--db", db).code == 0
        rows = json.loads(run_cli("links", "--format", "json", "--db", db).stdout)
        got = {(r["url"], r["role"], r["kind"], r["line"]) for r in rows}
        assert got == {
            (site.url("/badge/ci.svg"), "badge", "image", 1),
            (site.url("/ci"), "badge", "web", 1),
            ("#tools", "toc", "anchor", 3),
            (site.url("/guide"), "prose", "web", 5),
            (site.url("/ok"), "entry", "web", 7),
            (site.url("/gone"), "sub", "web", 7),
            ("mailto:me@example.org", "entry", "mailto", 8),
        }
        assert {r["file"] for r in rows} == {str(md)}
        only = run_cli("links", "--role", "prose", "--format", "csv", "--db", db).stdout
        parsed = list(csv.DictReader(io.StringIO(only)))
        assert [(r["url"], r["line"]) for r in parsed] == [(site.url("/guide"), "5")]
        anchors = run_cli("links", "--kind", "anchor", "--db", db)
        assert anchors.code == 0 and anchors.stdout.startswith("1 links\n")
        assert "#tools" in anchors.stdout and "anchor" in anchors.stdout
        run_cli("check", "--allow-private", "--retries", "0", "--db", db)
    ok = json.loads(run_cli("links", "--state", "ok", "--format", "json", "--db", db).stdout)
    assert [r["url"] for r in ok] == [site.url("/ok")]
    suspect = run_cli("links", "--state", "suspect", "--format", "json", "--db", db).stdout
    failed = {r["url"] for r in json.loads(suspect)}
    assert {site.url("/guide"), site.url("/gone"), site.url("/ci")} <= failed
    assert site.url("/ok") not in failed
    r = run_cli("links", "--source", "nope", "--db", db)
    assert (r.code, r.stderr) == (2, "Error: no source named 'nope' (see `curator stats`)\n")
