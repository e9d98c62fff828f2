"""`curator.toml` / `[tool.curator]`: found upward from the current directory (stopping at
the git root), every key typed and checked, unknown keys and `allow_private` refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from curator.errors import ConfigError, ExitCode
from curator.util.config import find_config, list_paths, load_config

EVERY_KEY = """\
# The maintainer's decisions for this list.
lists = ["README.md", "lists/*.md"]
db = "data/links.db"

[check]
concurrency = 16
per_host = 2
timeout = 7.5
retries = 1
max_age = "12h"
confirm_runs = 3
confirm_days = 4
user_agent = "my-list-bot/1.0 (+https://example.org/bot)"

[check.headers."api.example.com"]
Authorization = "Bearer abc"
X-Client = "curator"

[[exclude]]
pattern = "https://*.linkedin.com/*"
reason = "bot wall"
expires = 2027-01-01

[[exclude]]
pattern = "re:^https://example\\\\.org/private/"
reason = "needs a login"

[tags]
rules = "data/tags.toml"

[tags.manual]
"https://github.com/NVIDIA/cutlass" = ["perf", "gpu"]

[tags.vetoes]
"https://github.com/pytorch/pytorch" = ["hardware"]

[categories]
"https://github.com/NVIDIA/cutlass" = "hardware"

[export]
out = "site"
base_url = "https://github.com/OWNER/REPO/blob/main/"
taxonomy = "data/taxonomy.toml"
"""


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CURATOR_CONFIG", raising=False)
    monkeypatch.delenv("CURATOR_DB", raising=False)


def repo(tmp_path: Path, text: str, name: str = "curator.toml") -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_every_key_is_loaded_typed_and_relative_to_the_file(tmp_path: Path) -> None:
    root = repo(tmp_path, EVERY_KEY)
    (root / "docs" / "deep").mkdir(parents=True)
    cfg = load_config(root / "docs" / "deep")  # found from a subdirectory
    assert cfg.path == root / "curator.toml" and cfg.table == ()
    assert cfg.lists == ("README.md", "lists/*.md")
    assert cfg.db == str(root / "data" / "links.db")
    c = cfg.check
    assert (c.concurrency, c.per_host, c.timeout, c.retries) == (16, 2, 7.5, 1)
    assert (c.max_age, c.confirm_runs, c.confirm_days) == ("12h", 3, 4.0)
    assert c.user_agent == "my-list-bot/1.0 (+https://example.org/bot)"
    assert c.headers == {"api.example.com": {"Authorization": "Bearer abc", "X-Client": "curator"}}
    assert [(e.pattern, e.reason, e.expires) for e in cfg.exclude] == [
        ("https://*.linkedin.com/*", "bot wall", datetime(2027, 1, 1, tzinfo=UTC)),
        ("re:^https://example\\.org/private/", "needs a login", None),
    ]
    assert cfg.tags.rules == root / "data" / "tags.toml"
    assert cfg.tags.manual == {"https://github.com/NVIDIA/cutlass": ("perf", "gpu")}
    assert cfg.tags.vetoes == {"https://github.com/pytorch/pytorch": ("hardware",)}
    assert cfg.categories == {"https://github.com/NVIDIA/cutlass": "hardware"}
    assert cfg.export.out == root / "site"
    assert cfg.export.base_url == "https://github.com/OWNER/REPO/blob/main/"
    assert cfg.export.taxonomy == root / "data" / "taxonomy.toml"


def test_pyproject_tool_curator_and_the_git_root_stop(tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    outer.mkdir()
    (outer / "curator.toml").write_text('lists = ["x.md"]\n', encoding="utf-8")
    inner = outer / "project"
    inner.mkdir()
    repo(inner, '[tool.curator]\nlists = ["README.md"]\n', "pyproject.toml")
    cfg = load_config(inner)
    assert cfg.path == inner / "pyproject.toml" and cfg.table == ("tool", "curator")
    assert cfg.origin("lists") == "pyproject.toml:tool.curator.lists"
    (inner / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    # A pyproject without [tool.curator] is not a config, and the search stops at .git:
    # the curator.toml above the repository is never read.
    assert find_config(inner) is None and not load_config(inner).in_use


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[check]\nallow_private = true\n", "check.allow_private: --allow-private can only"),
        ("allow-private = true\n", "allow-private: --allow-private can only"),
        ('[check.headers."h"]\nallow_private = "1"\n', "check.headers.h.allow_private"),
        ("[check]\ntimeuot = 5\n", "check.timeuot: unknown key (did you mean 'timeout'?)"),
        ("[exports]\nout = 'x'\n", "exports: unknown key (did you mean 'export'?)"),
        ("[[exclude]]\npatern = 'x'\n", "exclude[0].patern: unknown key (did you mean 'pattern'?)"),
        ("[check]\nconcurrency = 0\n", "check.concurrency: must be >= 1"),
        ("[check]\ntimeout = 'fast'\n", "check.timeout: must be a number"),
        ("[check]\nmax_age = 'soon'\n", "check.max_age: must be a duration"),
        ("[[exclude]]\npattern = 'x'\nexpires = 'someday'\n", "exclude[0].expires: must be a date"),
        ("[categories]\nnot-a-url = 'x'\n", "categories.not-a-url: keys must be http(s) URLs"),
        ("[export]\nbase_url = 'github.com/x'\n", "export.base_url: must be an http(s) URL"),
        ("lists = [\n", "not valid TOML"),
    ],
)
def test_bad_files_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    root = repo(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_config(root)
    assert message in str(exc.value) and str(root / "curator.toml") in str(exc.value)
    assert exc.value.exit_code == ExitCode.USAGE


def test_lists_globs_and_curator_config_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repo(tmp_path, EVERY_KEY)
    (root / "lists").mkdir()
    for name in ("b.md", "a.md"):
        (root / "lists" / name).write_text("- [x](https://x.org)\n", encoding="utf-8")
    assert list_paths(load_config(root)) == [
        root / "README.md",
        root / "lists" / "a.md",
        root / "lists" / "b.md",
    ]
    monkeypatch.setenv("CURATOR_CONFIG", "")
    assert not load_config(root).in_use
    other = tmp_path / "elsewhere.toml"
    other.write_text('lists = ["nothing/*.md"]\n', encoding="utf-8")
    monkeypatch.setenv("CURATOR_CONFIG", str(other))
    with pytest.raises(ConfigError, match="matches no file"):
        list_paths(load_config(root))


def test_db_may_be_a_postgresql_url(tmp_path: Path) -> None:
    (tmp_path / "curator.toml").write_text('db = "postgresql://team@db.internal/lists"\n')
    # a URL is kept as written (a path would be made relative to the file)
    assert load_config(tmp_path).db == "postgresql://team@db.internal/lists"
