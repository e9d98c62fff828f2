"""`curator check --check-fragments`: `page#frag` against the page's id/name attributes
(read past </head>), `#anchor` against the list's own headings and anchors."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from curator.check.fragments import judged, list_anchors, missing, page_anchors
from tests.support.cli import run_cli

DOC = (
    "<html><head><title>Doc</title></head><body>"
    + "<p>filler</p>" * 300  # the ids sit well past </head>
    + '<h2 id="install">Install</h2><a name="legacy"></a><div id=\'user-content-usage\'></div>'
    + "</body></html>"
)


@contextmanager
def serve_doc() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = DOC.encode() if self.path == "/doc" else b"<html><head></head></html>"
            self.send_response(200 if self.path in ("/doc", "/") else 404)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_anchor_sets_and_what_is_judged() -> None:
    assert page_anchors(DOC.encode()) == {"install", "legacy", "user-content-usage"}
    md = '# Top\n\n## Local heading: 安装\n\n<a id="custom"></a>\n\n## Top\n'
    assert list_anchors(md) == {"top", "local-heading-安装", "custom", "top-1"}
    assert missing(
        {"usage", "install", "gone", "L10-L20", "/route", ""}, page_anchors(DOC.encode())
    ) == ["gone"]
    assert not judged(":~:text=hello") and judged("section")


def test_check_fragments_in_pages_and_in_the_list(tmp_path: Path) -> None:
    with serve_doc() as base:
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
