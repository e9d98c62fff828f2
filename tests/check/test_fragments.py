"""`curator check --check-fragments`: `page#frag` against the page's id/name attributes
(read past </head>), `#anchor` against the list's own headings and anchors."""

from __future__ import annotations

import json
from pathlib import Path

from curator.check.fragments import judged, list_anchors, missing, page_anchors
from tests.support.cli import run_cli
from tests.support.routed_site import serve

DOC = (
    "<html><head><title>Doc</title></head><body>"
    + "<p>filler</p>" * 300  # the ids sit well past </head>
    + '<h2 id="install">Install</h2><a name="legacy"></a><div id=\'user-content-usage\'></div>'
    + "</body></html>"
)


def _doc_site(path: str) -> tuple[int, dict[str, str], str]:
    body = DOC if path == "/doc" else "<html><head></head></html>"
    return (200 if path in ("/doc", "/") else 404), {}, body


def test_anchor_sets_and_what_is_judged() -> None:
    assert page_anchors(DOC.encode()) == {"install", "legacy", "user-content-usage"}
    md = '# Top\n\n## Local heading: 安装\n\n<a id="custom"></a>\n\n## Top\n'
    assert list_anchors(md) == {"top", "local-heading-安装", "custom", "top-1"}
    assert missing(
        {"usage", "install", "gone", "L10-L20", "/route", ""}, page_anchors(DOC.encode())
    ) == ["gone"]
    assert not judged(":~:text=hello") and judged("section")


def test_check_fragments_in_pages_and_in_the_list(tmp_path: Path) -> None:
    with serve(_doc_site) as (base, _hits):
        md = tmp_path / "list.md"
        md.write_text(
            "# List\n\n## Local heading\n\n"
            f"- [a]({base}/doc#install)\n"
            f"- [b]({base}/doc#nope)\n"
            f"- [c]({base}/doc#legacy)\n"
            f"- [u]({base}/doc#usage)\n"
            "- [d](#local-heading) – to a heading of this list\n"
            "- [e](#nowhere) – to nothing\n"
        )
        db = tmp_path / "c.db"
        assert run_cli("import", "--db", db, md).code == 0
        args = ("check", "--db", db, "--allow-private", "--retries", "0", "-f", "json")
        plain = json.loads(run_cli(*args).stdout)["results"]
        res = run_cli(*args, "--check-fragments", "--max-age", "0")
        checked = json.loads(res.stdout)["results"]
    assert [r["reason"] for r in plain if r["reason"]] == []  # off by default
    doc = next(r for r in checked if r["url"].startswith(f"{base}/doc"))
    assert (doc["outcome"], doc["reason"], doc["error"]) == (
        "ok",
        "fragment-missing",
        "no anchor #nope",
    )
    local = [r for r in checked if r["url"].startswith("#")]
    assert [(r["url"], r["reason"]) for r in local] == [("#nowhere", "fragment-missing")]
    assert local[0]["locations"] == [f"{md}:10"]
    status = json.loads(run_cli("status", "--db", db, "--state", "ok", "-f", "json").stdout)
    assert [r["reason"] for r in status] == ["fragment-missing"]
