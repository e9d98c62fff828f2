"""Every command and sub-command documents itself: `--help` works and says something."""

from __future__ import annotations

import typer

from curator.cli.app import app
from tests.support.cli import run_cli


def _commands(group: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for info in group.registered_commands:
        name = info.name or (info.callback.__name__ if info.callback else "")
        found.append((*prefix, name))
    for sub in group.registered_groups:
        assert sub.typer_instance is not None
        found.extend(_commands(sub.typer_instance, (*prefix, sub.name or "")))
    return found


def test_every_command_has_help_text() -> None:
    commands = _commands(app)
    assert ("import",) in commands and ("export",) in commands
    for path in commands:
        r = run_cli(*path, "--help")
        assert r.code == 0, (path, r.stderr)
        assert "Usage:" in r.stdout
        # The first docstring line shows up as the command's description.
        info_lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
        assert len(info_lines) >= 3, path


def test_every_command_has_a_docstring() -> None:
    def walk(group: typer.Typer) -> None:
        for info in group.registered_commands:
            assert info.callback is not None
            doc = info.help or info.callback.__doc__
            assert doc and doc.strip(), info.name
        for sub in group.registered_groups:
            assert sub.typer_instance is not None
            assert sub.help or sub.typer_instance.info.help, sub.name
            walk(sub.typer_instance)

    walk(app)


def test_unknown_command_is_a_usage_error() -> None:
    r = run_cli("frobnicate")
    assert r.code == 2


def test_version_prints_the_installed_version() -> None:
    from importlib.metadata import version

    r = run_cli("--version")
    assert (r.code, r.stdout, r.stderr) == (0, f"curator {version('curator')}\n", "")
    assert version("curator")[0].isdigit()


def test_version_through_python_dash_m() -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "curator", "--version"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("curator ") and proc.stdout.split()[1][0].isdigit()
