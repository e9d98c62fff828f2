"""The maintainer's decisions, committed next to the lists: `curator.toml`, or the
`[tool.curator]` table of `pyproject.toml`.

Input: the current directory (the file is looked for there and in each parent, stopping
at the git root; `$CURATOR_CONFIG` names a file instead, and an empty value turns the
lookup off). Output: a typed, frozen `Config` with where each key came from, and edits
written back with tomlkit (`edit_config`), which keeps the file's comments and order.
Config: this is it. Paths in the file are relative to the file's directory.
`allow_private` is refused wherever it appears: a pull request must not be able to point
the checker at the runner's private network by editing a file.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from curator.errors import ConfigError
from curator.util.fsutil import atomic_write_text

FILE_NAME = "curator.toml"

_TOP = ("lists", "db", "check", "exclude", "tags", "categories", "export")
_CHECK = (
    "concurrency",
    "per_host",
    "timeout",
    "retries",
    "max_age",
    "confirm_runs",
    "confirm_days",
    "user_agent",
    "headers",
)
_EXCLUDE = ("pattern", "reason", "expires")
_TAGS = ("rules", "manual", "vetoes")
_EXPORT = ("out", "base_url", "taxonomy", "stars")
_DURATION = re.compile(r"^\s*\d+(\.\d+)?\s*[smhdw]?\s*$", re.I)

# What `curator check` uses when neither a flag nor the file says: shown by `config show`.
CHECK_DEFAULTS: dict[str, Any] = {
    "concurrency": 128,
    "per_host": 10,
    "timeout": 10.0,
    "retries": 2,
    "max_age": "1d",
    "confirm_runs": 2,
    "confirm_days": 2.0,
    "user_agent": "curator-linkcheck/0.1 (+https://github.com/curator)",
}


@dataclass(frozen=True, slots=True)
class ExcludeRule:
    pattern: str
    reason: str = ""
    expires: datetime | None = None


@dataclass(frozen=True, slots=True)
class CheckSettings:
    """Only the keys the file sets (None: not set there)."""

    concurrency: int | None = None
    per_host: int | None = None
    timeout: float | None = None
    retries: int | None = None
    max_age: str | None = None
    confirm_runs: int | None = None
    confirm_days: float | None = None
    user_agent: str | None = None
    # host → {header name: value}; sent only to that exact host.
    headers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TagSettings:
    rules: Path | None = None
    manual: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # URL → tags
    vetoes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # URL → tags


@dataclass(frozen=True, slots=True)
class ExportSettings:
    out: Path | None = None
    base_url: str | None = None
    taxonomy: Path | None = None
    stars: bool | None = None  # show GitHub repositories' star counts


@dataclass(frozen=True, slots=True)
class Config:
    path: Path | None = None  # None: no file in use
    table: tuple[str, ...] = ()  # where curator's keys live in it: () or ("tool", "curator")
    lists: tuple[str, ...] = ()
    db: str | None = None  # a SQLite path (made relative to the file) or a postgresql:// URL
    check: CheckSettings = field(default_factory=CheckSettings)
    exclude: tuple[ExcludeRule, ...] = ()
    tags: TagSettings = field(default_factory=TagSettings)
    categories: Mapping[str, str] = field(default_factory=dict)  # URL → canonical category
    export: ExportSettings = field(default_factory=ExportSettings)

    @property
    def in_use(self) -> bool:
        return self.path is not None

    def origin(self, key: str) -> str:
        """`curator.toml:check.timeout`, as `config show` prints it."""
        assert self.path is not None
        prefix = ".".join(self.table)
        return f"{self.path.name}:{prefix + '.' if prefix else ''}{key}"


def find_config(start: Path | None = None) -> tuple[Path, tuple[str, ...]] | None:
    """The config file for `start` (default: the current directory), and its table."""
    env = os.environ.get("CURATOR_CONFIG")
    if env is not None:
        if not env.strip():
            return None
        path = Path(env)
        if not path.is_file():
            raise ConfigError(f"CURATOR_CONFIG: {path}: no such file")
        return path, (("tool", "curator") if path.name == "pyproject.toml" else ())
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / FILE_NAME).is_file():
            return folder / FILE_NAME, ()
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "curator" in _read(pyproject).get("tool", {}):
            return pyproject, ("tool", "curator")
        if (folder / ".git").exists():
            break
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc


def load_config(start: Path | None = None) -> Config:
    """The `Config` in use (an empty one when there is no file)."""
    found = find_config(start)
    if found is None:
        return Config()
    path, table = found
    data: Any = _read(path)
    for part in table:
        data = data.get(part, {})
    return _parse(path, table, data)


class _Reader:
    def __init__(self, path: Path, table: tuple[str, ...]) -> None:
        self.path, self.prefix = path, ".".join(table)

    def name(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: {self.name(key)}: {problem}")

    def keys(self, where: str, table: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                known = ", ".join(allowed)
                raise self.fail(f"{where}{key}", f"unknown key{hint}; known here: {known}")

    def typed(self, key: str, value: Any, kind: type | tuple[type, ...], what: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, kind):
            raise self.fail(key, f"must be {what}, not {value!r}")
        return value


def _refuse_allow_private(r: _Reader, value: Any, where: str = "") -> None:
    if isinstance(value, Mapping):
        for key, sub in value.items():
            if str(key).replace("-", "_").lower() == "allow_private":
                raise r.fail(
                    f"{where}{key}",
                    "--allow-private can only be given on the command line, never in a file",
                )
            _refuse_allow_private(r, sub, f"{where}{key}.")
    elif isinstance(value, list):
        for item in value:
            _refuse_allow_private(r, item, where)


def _parse(path: Path, table: tuple[str, ...], data: Mapping[str, Any]) -> Config:
    r = _Reader(path, table)
    _refuse_allow_private(r, data)
    r.keys("", data, _TOP)
    base = path.parent

    def rel(key: str, value: Any) -> Path:
        return base / r.typed(key, value, str, "a path")

    lists = data.get("lists", [])
    if isinstance(lists, str):
        lists = [lists]
    if not isinstance(lists, list) or not all(isinstance(x, str) for x in lists):
        raise r.fail("lists", "must be a list of paths or globs")
    db = None
    if "db" in data:
        given = r.typed("db", data["db"], str, "a path or a postgresql:// URL")
        db = given if "://" in given else str(base / given)
    return Config(
        path=path,
        table=table,
        lists=tuple(lists),
        db=db,
        check=_check(r, r.typed("check", data.get("check", {}), dict, "a table")),
        exclude=_exclude(r, data.get("exclude", [])),
        tags=_tags(r, r.typed("tags", data.get("tags", {}), dict, "a table"), rel),
        categories=_url_map(r, "categories", data.get("categories", {}), str, "a category"),
        export=_export(r, r.typed("export", data.get("export", {}), dict, "a table"), rel),
    )


def _check(r: _Reader, t: dict[str, Any]) -> CheckSettings:
    r.keys("check.", t, _CHECK)
    out: dict[str, Any] = {}
    for key in ("concurrency", "per_host", "confirm_runs"):
        if key in t:
            if r.typed(f"check.{key}", t[key], int, "a whole number >= 1") < 1:
                raise r.fail(f"check.{key}", "must be >= 1")
            out[key] = t[key]
    if "retries" in t and r.typed("check.retries", t["retries"], int, "a whole number") < 0:
        raise r.fail("check.retries", "must be >= 0")
    for key in ("timeout", "confirm_days"):
        if key in t:
            out[key] = float(r.typed(f"check.{key}", t[key], (int, float), "a number"))
            if out[key] < (0.1 if key == "timeout" else 0):
                raise r.fail(f"check.{key}", "is too small")
    if "retries" in t:
        out["retries"] = t["retries"]
    if "max_age" in t:
        age = str(t["max_age"]) if isinstance(t["max_age"], int) else t["max_age"]
        if not isinstance(age, str) or not _DURATION.match(age):
            raise r.fail("check.max_age", f"must be a duration such as 12h or 7d, not {age!r}")
        out["max_age"] = age
    if "user_agent" in t:
        ua = r.typed("check.user_agent", t["user_agent"], str, "text")
        if not ua.strip() or "\n" in ua or "\r" in ua:
            raise r.fail("check.user_agent", "must be one non-empty line")
        out["user_agent"] = ua
    headers: dict[str, dict[str, str]] = {}
    for host, names in r.typed("check.headers", t.get("headers", {}), dict, "a table").items():
        key = f"check.headers.{host}"
        r.typed(key, names, dict, 'a table of header = "value"')
        for name, value in names.items():
            if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
                raise r.fail(f"{key}.{name}", "is not a header name")
            if not isinstance(value, str) or "\n" in value or "\r" in value:
                raise r.fail(f"{key}.{name}", "must be one line of text")
        headers[host.lower()] = dict(names)
    return CheckSettings(**out, headers=headers)


def _when(r: _Reader, key: str, value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    if isinstance(value, str):
        try:
            return _when(r, key, datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            pass
    raise r.fail(key, f"must be a date such as 2027-01-01, not {value!r}")


def _exclude(r: _Reader, items: Any) -> tuple[ExcludeRule, ...]:
    if not isinstance(items, list):
        raise r.fail("exclude", "must be an array of tables ([[exclude]])")
    rules = []
    for k, item in enumerate(items):
        where = f"exclude[{k}]."
        r.typed(where.rstrip("."), item, dict, "a table")
        r.keys(where, item, _EXCLUDE)
        if "pattern" not in item:
            raise r.fail(f"{where}pattern", "is missing")
        pattern = r.typed(f"{where}pattern", item["pattern"], str, "text").strip()
        reason = r.typed(f"{where}reason", item.get("reason", ""), str, "text")
        expires = _when(r, f"{where}expires", item["expires"]) if "expires" in item else None
        rules.append(ExcludeRule(pattern, reason, expires))
    return tuple(rules)


def _url_map(r: _Reader, key: str, table: Any, kind: type, what: str) -> dict[str, Any]:
    r.typed(key, table, dict, "a table of URL = value")
    for url, value in table.items():
        if not str(url).startswith(("http://", "https://")):
            raise r.fail(f"{key}.{url}", "keys must be http(s) URLs")
        r.typed(f"{key}.{url}", value, kind, what)
    return dict(table)


def _tag_lists(r: _Reader, key: str, table: Any) -> dict[str, tuple[str, ...]]:
    raw = _url_map(r, key, table, list, "a list of tag names")
    out = {}
    for url, tags in raw.items():
        if not all(isinstance(t, str) and t.strip() for t in tags):
            raise r.fail(f"{key}.{url}", "must be a list of tag names")
        out[url] = tuple(tags)
    return out


def _tags(r: _Reader, t: dict[str, Any], rel: Callable[[str, Any], Path]) -> TagSettings:
    r.keys("tags.", t, _TAGS)
    return TagSettings(
        rules=rel("tags.rules", t["rules"]) if "rules" in t else None,
        manual=_tag_lists(r, "tags.manual", t.get("manual", {})),
        vetoes=_tag_lists(r, "tags.vetoes", t.get("vetoes", {})),
    )


def _flag(r: _Reader, key: str, value: Any) -> bool:
    # `typed` refuses bools where numbers are wanted (True is an int); here one is wanted.
    if not isinstance(value, bool):
        raise r.fail(key, f"must be true or false, not {value!r}")
    return value


def _export(r: _Reader, t: dict[str, Any], rel: Callable[[str, Any], Path]) -> ExportSettings:
    r.keys("export.", t, _EXPORT)
    base_url = r.typed("export.base_url", t["base_url"], str, "a URL") if "base_url" in t else None
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise r.fail("export.base_url", f"must be an http(s) URL, not {base_url!r}")
    return ExportSettings(
        out=rel("export.out", t["out"]) if "out" in t else None,
        base_url=base_url,
        taxonomy=rel("export.taxonomy", t["taxonomy"]) if "taxonomy" in t else None,
        stars=_flag(r, "export.stars", t["stars"]) if "stars" in t else None,
    )


@dataclass(frozen=True, slots=True)
class SettingView:
    key: str
    value: Any
    origin: str  # curator.toml:check.timeout, flag --timeout, env CURATOR_DB, default


def merged_settings(config: Config, flags: Mapping[str, Any] | None = None) -> list[SettingView]:
    """Every setting with the value in effect and where it came from: flag > env > file >
    default (only `db` has an environment variable: CURATOR_DB)."""
    flags = flags or {}
    views: list[SettingView] = []

    def add(key: str, file_value: Any, default: Any, env: str | None = None) -> None:
        if flags.get(key) is not None:
            views.append(SettingView(key, flags[key], f"flag --{key.split('.')[-1]}"))
        elif env and os.environ.get(env):
            views.append(SettingView(key, os.environ[env], f"env {env}"))
        elif file_value not in (None, (), {}):
            views.append(SettingView(key, file_value, config.origin(key)))
        else:
            views.append(SettingView(key, default, "default"))

    add("db", config.db, Path("data/curator.db"), "CURATOR_DB")
    add("lists", list(config.lists) or None, [])
    for key, default in CHECK_DEFAULTS.items():
        add(f"check.{key}", getattr(config.check, key), default)
    for host, headers in sorted(config.check.headers.items()):
        for name in sorted(headers):
            # Header values are often tokens: only their presence is shown.
            views.append(
                SettingView(
                    f"check.headers.{host}.{name}",
                    "(set)",
                    config.origin(f"check.headers.{host}.{name}"),
                )
            )
    for k, rule in enumerate(config.exclude):
        when = f", expires {rule.expires:%Y-%m-%d}" if rule.expires else ""
        views.append(
            SettingView(
                f"exclude[{k}]", f"{rule.pattern} ({rule.reason}{when})", config.origin("exclude")
            )
        )
    add("tags.rules", config.tags.rules, "data/tags.toml, else the bundled rules")
    for url, tags in sorted(config.tags.manual.items()):
        views.append(SettingView(f"tags.manual.{url}", list(tags), config.origin("tags.manual")))
    for url, tags in sorted(config.tags.vetoes.items()):
        views.append(SettingView(f"tags.vetoes.{url}", list(tags), config.origin("tags.vetoes")))
    for url, cat in sorted(config.categories.items()):
        views.append(SettingView(f"categories.{url}", cat, config.origin("categories")))
    add("export.out", config.export.out, Path("exports"))
    add("export.base_url", config.export.base_url, None)
    add("export.taxonomy", config.export.taxonomy, "data/taxonomy.toml, else the bundled one")
    add("export.stars", config.export.stars, False)
    return views


def edit_config(config: Config, change: Callable[[Any], None]) -> None:
    """Apply `change` to curator's table of the file (a tomlkit document, comments and
    order kept), check that the result still loads, and write it atomically."""
    import tomlkit

    assert config.path is not None
    doc = tomlkit.parse(config.path.read_text(encoding="utf-8"))
    table: Any = doc
    for part in config.table:
        table = table[part]
    change(table)
    text = tomlkit.dumps(doc)
    _parse(config.path, config.table, _subtable(tomllib.loads(text), config.table))
    atomic_write_text(config.path, text)


def _subtable(data: dict[str, Any], table: tuple[str, ...]) -> dict[str, Any]:
    for part in table:
        data = data.get(part, {})
    return data


def set_exclusion(table: Any, rule: ExcludeRule) -> None:
    import tomlkit

    rules = table.get("exclude")
    if rules is None:
        rules = tomlkit.aot()
        table["exclude"] = rules
    item = tomlkit.table()
    item["pattern"] = rule.pattern
    item["reason"] = rule.reason
    if rule.expires is not None:
        item["expires"] = rule.expires.date() if rule.expires.time() == time() else rule.expires
    item.add(tomlkit.nl())  # a blank line before whatever table follows, as written by hand
    for k, existing in enumerate(rules):
        if existing.get("pattern") == rule.pattern:
            rules[k] = item
            return
    rules.append(item)


def drop_exclusion(table: Any, pattern: str) -> None:
    rules = table.get("exclude")
    if rules is None:
        return
    keep = [k for k, item in enumerate(rules) if item.get("pattern") == pattern]
    for k in reversed(keep):
        del rules[k]
    if not len(rules):
        del table["exclude"]


def _put(table: Any, names: tuple[str, ...], key: str, value: Any) -> None:
    """`table[names...][key] = value`, creating the tables (each followed by a blank line)."""
    import tomlkit

    for k, name in enumerate(names):
        if name not in table:
            new = tomlkit.table()
            if k == len(names) - 1:
                new[key] = value
                new.add(tomlkit.nl())
            table[name] = new
            if k == len(names) - 1:
                return
        table = table[name]
    table[key] = value


def set_manual_tag(table: Any, url: str, tag: str, veto: bool) -> None:
    """`tag add` (veto False) or `tag remove` (veto True) of `tag` on the entry at `url`."""
    add_to, drop_from = ("vetoes", "manual") if veto else ("manual", "vetoes")
    tags = list(table.get("tags", {}).get(add_to, {}).get(url, []))
    if tag not in tags:
        tags.append(tag)
    _put(table, ("tags", add_to), url, tags)
    other = table["tags"].get(drop_from)
    if other is not None and url in other:
        left = [t for t in other[url] if t != tag]
        if left:
            other[url] = left
        else:
            del other[url]
            if not other:
                del table["tags"][drop_from]


def set_category(table: Any, url: str, category: str | None) -> None:
    if category is None:
        if "categories" in table and url in table["categories"]:
            del table["categories"][url]
            if not table["categories"]:
                del table["categories"]
        return
    _put(table, ("categories",), url, category)


def list_paths(config: Config) -> list[Path]:
    """The files `lists` names (paths or globs, relative to the file's directory)."""
    if config.path is None or not config.lists:
        raise ConfigError(
            "missing PATHS: give the lists to import (files or directories), or name them"
            ' in curator.toml: lists = ["README.md"]'
        )
    base = config.path.parent
    found: list[Path] = []
    for pattern in config.lists:
        if any(c in pattern for c in "*?["):
            matches = sorted(p for p in base.glob(pattern) if p.is_file())
            if not matches:
                raise ConfigError(f"{config.origin('lists')}: {pattern!r} matches no file")
            found.extend(m for m in matches if m not in found)
        else:
            path = base / pattern
            if path not in found:
                found.append(path)
    return found
