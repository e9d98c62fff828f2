"""`curator.toml` through the CLI: `import` with no arguments, decisions mirrored into the
DB, `config show` provenance, `exclude`/`tag`/`categorize` writing into the file (its
comments and order kept), `[check]` settings and per-host headers reaching a local
server, and a file that tries to turn on `allow_private`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.routed_site import serve

LIST = """# Kit

## GPU

- [Cutlass]({base}/cutlass) - CUDA templates.
- [Other]({other}/other) - the same server under another name.
"""

CONFIG = """\
# Decisions for this list: reviewed in pull requests.
lists = ["*.md"]  # every list in the repository root
db = "state/links.db"

[check]
timeout = 3
retries = 0
max_age = "0"
user_agent = "kit-bot/2.0"

[check.headers."127.0.0.1"]
X-Api-Key = "s3cret"

# Vendor pages that block robots.
[[exclude]]
pattern = "https://vendor.example/*"
reason = "bot wall"

[tags.manual]
"{base}/cutlass" = ["perf"]
"""


@pytest.fixture
def server() -> Iterator[tuple[str, list[tuple[str, Message]]]]:
    """(base URL, [(path, request headers)] of every request)."""
    seen: list[tuple[str, Message]] = []
    with serve(lambda path: (200, {}, "<html><head><title>ok</title></head></html>"), seen) as (
        base,
        _,
    ):
        yield base, seen


def by_host(seen: list[tuple[str, Message]]) -> dict[str, tuple[str | None, str | None]]:
    """Host → (user-agent, x-api-key) the checker sent it."""
    return {
        str(h.get("host", "")).split(":")[0]: (h.get("user-agent"), h.get("x-api-key"))
        for _, h in seen
    }


@pytest.fixture
def project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: tuple[str, list[object]]
) -> Path:
    base = server[0]
    other = base.replace("127.0.0.1", "localhost")
    (tmp_path / ".git").mkdir()  # the search for curator.toml stops here
    (tmp_path / "kit.md").write_text(LIST.format(base=base, other=other), encoding="utf-8")
    (tmp_path / "curator.toml").write_text(CONFIG.format(base=base), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CURATOR_DB", raising=False)
    monkeypatch.delenv("CURATOR_CONFIG", raising=False)
    return tmp_path


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_import_check_and_decisions_come_from_the_file(
    project: Path, server: tuple[str, list[tuple[str, Message]]]
) -> None:
    seen = server[1]
    r = run_cli("import")
    assert r.code == 0, r.stderr
    assert r.stdout.startswith("kit: v1 +2")
    db = project / "state" / "links.db"
    assert rows(db, "SELECT pattern, reason FROM exclusion") == [
        ("https://vendor.example/*", "bot wall")
    ]
    assert rows(db, "SELECT entry_id, name, origin FROM tag") == [(1, "perf", "manual")]

    r = run_cli("check", "--allow-private")
    assert r.code == 0, r.stdout + r.stderr
    hosts = by_host(seen)
    assert hosts["127.0.0.1"] == ("kit-bot/2.0", "s3cret")
    assert hosts["localhost"] == ("kit-bot/2.0", None)  # the header goes to its host only


def test_header_and_user_agent_flags_win_over_the_file(
    project: Path, server: tuple[str, list[tuple[str, Message]]]
) -> None:
    seen = server[1]
    assert run_cli("import").code == 0
    r = run_cli(
        "check",
        "--allow-private",
        "--user-agent",
        "flag-bot/3.0",
        "--header",
        "127.0.0.1: x-api-key: from-flag",  # the file's X-Api-Key, in another case
        "--header",
        "localhost: X-Api-Key: other",
    )
    assert r.code == 0, r.stdout + r.stderr
    hosts = by_host(seen)
    # one header per name: the flag's value, not the file's (nor both joined)
    assert hosts["127.0.0.1"] == ("flag-bot/3.0", "from-flag")
    assert hosts["localhost"] == ("flag-bot/3.0", "other")


def test_allow_private_in_the_file_is_refused(project: Path) -> None:
    text = (project / "curator.toml").read_text(encoding="utf-8")
    (project / "curator.toml").write_text(
        text.replace("retries = 0\n", "retries = 0\nallow_private = true\n"), encoding="utf-8"
    )
    for args in (("check",), ("import",), ("config", "show")):
        r = run_cli(*args)
        assert r.code == 2, (args, r.stdout, r.stderr)
        assert r.stderr.strip() == (
            f"Error: {project / 'curator.toml'}: check.allow_private: --allow-private can only"
            " be given on the command line, never in a file"
        )
    assert not (project / "state").exists()  # nothing was written


def test_unknown_key_is_an_error_with_a_suggestion(project: Path) -> None:
    (project / "curator.toml").write_text("[check]\nper_hots = 3\n", encoding="utf-8")
    r = run_cli("import")
    assert r.code == 2
    assert "check.per_hots: unknown key (did you mean 'per_host'?)" in r.stderr


def test_config_show_says_where_each_setting_came_from(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = run_cli("config", "show")
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"# config file: {project / 'curator.toml'}"
    assert f'db = "{project / "state" / "links.db"}"  # curator.toml:db' in lines
    assert 'check.user_agent = "kit-bot/2.0"  # curator.toml:check.user_agent' in lines
    assert "check.concurrency = 128  # default" in lines
    assert 'check.headers.127.0.0.1.X-Api-Key = "(set)"' in r.stdout  # never the secret
    assert "s3cret" not in r.stdout
    monkeypatch.setenv("CURATOR_DB", "env.db")
    assert 'db = "env.db"  # env CURATOR_DB' in run_cli("config", "show").stdout
    flagged = run_cli("config", "show", "--db", "flag.db").stdout
    assert 'db = "flag.db"  # flag --db' in flagged


def test_exclude_tag_and_categorize_write_into_the_file_keeping_comments(
    project: Path, server: tuple[str, list[object]]
) -> None:
    base = server[0]
    assert run_cli("import").code == 0
    before = (project / "curator.toml").read_text(encoding="utf-8")
    steps = [
        (
            "exclude",
            "add",
            "https://slow.example/*",
            "--reason",
            "times out",
            "--expires",
            "2099-01-01",
        ),
        ("tag", "add", "2", "gpu"),
        ("tag", "remove", "1", "perf"),
        ("categorize", "1", "hardware"),
    ]
    for args in steps:
        r = run_cli(*args)
        assert r.code == 0, (args, r.stderr)
    after = (project / "curator.toml").read_text(encoding="utf-8")
    # Every line of the file as it was is still there, in the same order.
    kept = [ln for ln in before.splitlines() if ln != f'"{base}/cutlass" = ["perf"]']
    it = iter(after.splitlines())
    assert all(any(ln == a for a in it) for ln in kept), after
    assert "# Vendor pages that block robots." in after
    assert 'lists = ["*.md"]  # every list in the repository root' in after
    other = base.replace("127.0.0.1", "localhost")
    for needle in (
        'pattern = "https://slow.example/*"\nreason = "times out"\nexpires = 2099-01-01',
        f'"{other}/other" = ["gpu"]',
        f'[tags.vetoes]\n"{base}/cutlass" = ["perf"]',
        f'[categories]\n"{base}/cutlass" = "hardware"',
    ):
        assert needle in after, needle
    assert f'"{base}/cutlass" = ["perf"]' not in after.split("[tags.vetoes]")[0]

    # A fresh DB built from the file alone gets the same decisions.
    fresh = project / "fresh.db"
    assert run_cli("import", "--db", fresh).code == 0
    db = project / "state" / "links.db"
    query = "SELECT entry_id, name, origin FROM tag ORDER BY entry_id, name"
    assert rows(fresh, query) == rows(db, query) == [(1, "perf", "removed"), (2, "gpu", "manual")]
    q2 = "SELECT pattern, reason FROM exclusion ORDER BY pattern"
    assert rows(fresh, q2) == rows(db, q2)
    assert rows(fresh, "SELECT entry_id, canonical FROM category_override") == [(1, "hardware")]

    r = run_cli("exclude", "remove", "https://vendor.example/*")
    assert r.code == 0, r.stderr
    text = (project / "curator.toml").read_text(encoding="utf-8")
    assert "vendor.example" not in text and "slow.example" in text


def test_a_flag_wins_over_the_file(
    project: Path, server: tuple[str, list[tuple[str, Message]]]
) -> None:
    seen = server[1]
    config = project / "curator.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('max_age = "0"', 'max_age = "7d"'),
        encoding="utf-8",
    )
    assert run_cli("import").code == 0
    assert run_cli("check", "--allow-private").code == 0
    first = len(seen)
    assert first >= 2
    # The file's max_age (7d) skips links checked a moment ago...
    assert run_cli("check", "--allow-private").code == 0
    assert len(seen) == first
    # ...and the flag overrides it.
    assert run_cli("check", "--allow-private", "--max-age", "0").code == 0
    assert len(seen) >= first + 2


def test_a_decision_on_an_entry_without_a_web_url_stays_in_the_db_with_a_note(
    project: Path,
) -> None:
    with (project / "kit.md").open("a", encoding="utf-8") as fh:
        fh.write("- [Local notes](notes/gpu.md) - our own page.\n")
    assert run_cli("import").code == 0
    before = (project / "curator.toml").read_text(encoding="utf-8")
    entry = rows(project / "state" / "links.db", "SELECT id FROM entry WHERE title = 'Local notes'")
    r = run_cli("tag", "add", str(entry[0][0]), "gpu")
    assert r.code == 0, r.stderr
    assert "has no web URL: kept in the DB only, not in" in r.stderr
    assert (project / "curator.toml").read_text(encoding="utf-8") == before
    tags = rows(
        project / "state" / "links.db", f"SELECT name FROM tag WHERE entry_id = {entry[0][0]}"
    )
    assert ("gpu",) in tags


def test_a_hand_decision_taken_out_of_the_file_is_taken_out_of_the_db(project: Path) -> None:
    with (project / "kit.md").open("a", encoding="utf-8") as fh:
        fh.write("- [Local notes](notes/gpu.md) - our own page.\n")
    assert run_cli("import").code == 0
    db = project / "state" / "links.db"
    local = rows(db, "SELECT id FROM entry WHERE title = 'Local notes'")[0][0]
    assert run_cli("tag", "add", str(local), "gpu").code == 0  # DB only: no web URL
    assert run_cli("categorize", "1", "hardware").code == 0
    query = "SELECT entry_id, name, origin FROM tag WHERE origin != 'rule' ORDER BY entry_id"
    assert rows(db, query) == [(1, "perf", "manual"), (local, "gpu", "manual")]
    # A pull request reverts the file's decisions about the cutlass page.
    toml = project / "curator.toml"
    text = toml.read_text(encoding="utf-8")
    base = text.split('"', 2)[1] if False else None  # noqa: F841 (keep the file as written)
    kept = [ln for ln in text.splitlines() if "/cutlass" not in ln]
    toml.write_text("\n".join(kept) + "\n", encoding="utf-8")
    r = run_cli("import")
    assert r.code == 0, r.stderr
    assert "2 hand tags, vetoes or categories are no longer in" in r.stderr
    assert rows(db, query) == [(local, "gpu", "manual")]
    assert rows(db, "SELECT entry_id FROM category_override") == []
