"""A tiny local runner for curator's composite action (action.yml), for tests.

It does what the GitHub runner does for the parts of a composite action that matter here:
evaluates `${{ }}` expressions (contexts, ==, !=, !, &&, ||, startsWith, always, success,
failure), runs `shell: bash` steps with `bash --noprofile --norc -eo pipefail`, collects
`$GITHUB_OUTPUT` (both `k=v` and `k<<DELIM` forms), skips later steps after a failure
unless their `if:` says `always()`, and maps the action's outputs. `uses:` steps are
simulated: `actions/cache/restore` and `actions/cache/save` against an in-memory cache
store with GitHub's rules (immutable keys, exact key first, then the newest entry whose key
starts with a restore-key); other `uses:` (setup-python, the pip cache) are no-ops, since
the test already runs inside a Python environment with curator installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||[!(),])|(?P<id>[A-Za-z_][\w.-]*))"
)


class _Expr:
    def __init__(self, text: str, ctx: dict[str, Any], status: dict[str, bool]) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text.rstrip()):
            m = _TOKEN.match(text, pos)
            if not m:
                raise ValueError(f"cannot parse expression {text!r} at {pos}")
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.i, self.ctx, self.status = 0, ctx, status

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        self.i += 1
        return self.tokens[self.i - 1]

    def parse(self) -> Any:
        value = self.or_()
        if self.i != len(self.tokens):
            raise ValueError(f"trailing tokens in expression: {self.tokens[self.i :]}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            value = value or right
        return value

    def and_(self) -> Any:
        value = self.cmp()
        while self.peek() == "&&":
            self.take()
            right = self.cmp()
            value = value and right
        return value

    def cmp(self) -> Any:
        value = self.unary()
        while self.peek() in ("==", "!="):
            op = self.take()[1]
            right = self.unary()
            same = str(value).lower() == str(right).lower()
            value = same if op == "==" else not same
        return value

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not self.unary()
        if self.peek() == "(":
            self.take()
            value = self.or_()
            assert self.take()[1] == ")"
            return value
        kind, text = self.take()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if self.peek() == "(":
            self.take()
            args = []
            while self.peek() != ")":
                args.append(self.or_())
                if self.peek() == ",":
                    self.take()
            self.take()
            return self.call(text, args)
        if text in ("true", "false"):
            return text == "true"
        value: Any = self.ctx
        for part in text.split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        return value

    def call(self, name: str, args: list[Any]) -> Any:
        if name == "startsWith":
            return str(args[0]).lower().startswith(str(args[1]).lower())
        if name == "always":
            return True
        if name == "success":
            return not self.status["failed"]
        if name == "failure":
            return self.status["failed"]
        raise ValueError(f"unknown function {name}")


def evaluate(text: str, ctx: dict[str, Any], failed: bool = False) -> Any:
    return _Expr(text, ctx, {"failed": failed}).parse()


def substitute(text: str, ctx: dict[str, Any]) -> str:
    return re.sub(
        r"\$\{\{(.*?)\}\}", lambda m: _render(evaluate(m.group(1), ctx)), text, flags=re.S
    )


def _render(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def read_outputs(path: Path) -> dict[str, str]:
    outputs: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            end = lines.index(delim, i + 1)
            outputs[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
            continue
        name, _, value = line.partition("=")
        outputs[name] = value
        i += 1
    return outputs


@dataclass
class CacheStore:
    entries: list[tuple[str, Path]] = field(default_factory=list)  # oldest first

    def save(self, key: str, path: Path, into: Path) -> None:
        if any(k == key for k, _ in self.entries):
            raise AssertionError(f"cache key {key} already exists: GitHub caches are immutable")
        target = into / f"cache-{len(self.entries)}"
        shutil.copytree(path, target)
        self.entries.append((key, target))

    def restore(self, key: str, restore_keys: list[str], path: Path) -> str | None:
        hit = next((p for k, p in self.entries if k == key), None)
        hit_key = key if hit else None
        for prefix in restore_keys:
            if hit is None:
                found = [(k, p) for k, p in self.entries if k.startswith(prefix)]
                if found:
                    hit_key, hit = found[-1]
        if hit is None:
            return None
        shutil.rmtree(path, ignore_errors=True)
        shutil.copytree(hit, path)
        return hit_key


@dataclass
class ActionRun:
    outputs: dict[str, str]
    steps: dict[str, dict[str, Any]]
    failed: bool
    log: list[str]


def run_action(
    action_file: Path,
    *,
    with_: dict[str, str],
    github: dict[str, str],
    workspace: Path,
    runner_temp: Path,
    cache: CacheStore,
    env: dict[str, str],
) -> ActionRun:
    action = yaml.safe_load(action_file.read_text(encoding="utf-8"))
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    ctx: dict[str, Any] = {
        "github": dict(github),
        "runner": {"os": "Linux", "temp": str(runner_temp)},
    }
    ctx["inputs"] = {k: substitute(v, ctx) for k, v in inputs.items()}
    ctx["inputs"].update(with_)
    ctx["steps"] = {}
    summary = runner_temp / "step-summary.md"
    failed, log = False, []
    for n, step in enumerate(action["runs"]["steps"]):
        sid = step.get("id", f"__{n}")
        cond = str(step.get("if", "success()")).strip()
        cond = cond[3:-2] if cond.startswith("${{") else cond
        if not re.search(r"\b(always|success|failure|cancelled)\(", cond):
            cond = f"success() && ({cond})"  # GitHub's implicit status check
        if not evaluate(cond, ctx, failed):
            ctx["steps"][sid] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
            log.append(f"skip {step.get('name', sid)}")
            continue
        outcome, outputs = "success", {}
        uses = step.get("uses")
        if uses:
            args = {k: substitute(str(v), ctx) for k, v in (step.get("with") or {}).items()}
            if uses.startswith("actions/cache/restore@"):
                hit = cache.restore(
                    args["key"], args.get("restore-keys", "").split(), Path(args["path"])
                )
                outputs = {
                    "cache-hit": str(hit == args["key"]).lower(),
                    "cache-matched-key": hit or "",
                }
            elif uses.startswith("actions/cache/save@"):
                cache.save(args["key"], Path(args["path"]), runner_temp)
            log.append(f"uses {uses}")
        elif "Install curator" in step.get("name", ""):
            log.append("skip install: curator is already installed in this environment")
        else:
            out_file = runner_temp / f"output-{n}.txt"
            step_env = {
                **env,
                "GITHUB_OUTPUT": str(out_file),
                "GITHUB_STEP_SUMMARY": str(summary),
                "GITHUB_ACTION_PATH": str(action_file.parent),
                "GITHUB_WORKSPACE": str(workspace),
                "GITHUB_REPOSITORY": github.get("repository", ""),
                "GITHUB_ACTIONS": "true",
                "RUNNER_TEMP": str(runner_temp),
                **{k: substitute(str(v), ctx) for k, v in (step.get("env") or {}).items()},
            }
            assert step.get("shell") == "bash", f"step {sid} needs shell: bash"
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=workspace,
                env=step_env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            log.append(
                f"run {step.get('name', sid)} -> {proc.returncode}\n{proc.stdout}{proc.stderr}"
            )
            outputs = read_outputs(out_file)
            if proc.returncode != 0:
                outcome, failed = "failure", True
        ctx["steps"][sid] = {"outputs": outputs, "outcome": outcome, "conclusion": outcome}
    outputs = {k: substitute(v["value"], ctx) for k, v in action["outputs"].items()}
    return ActionRun(outputs, ctx["steps"], failed, log)


def bash_syntax_ok(script: str) -> tuple[bool, str]:
    proc = subprocess.run(
        ["bash", "-n", "-c", script], capture_output=True, text=True, env=dict(os.environ)
    )
    return proc.returncode == 0, proc.stderr
