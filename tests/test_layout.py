"""The package layout: one folder per stage, no import cycles, no stage importing upward.

tools/import_graph.py is run as a user would run it; its verdict is the test. The loose
module check keeps new stage code from landing at the top of `curator/` again.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOP_LEVEL_ALLOWED = {"__init__.py", "__main__.py", "errors.py", "urls.py"}


def test_import_graph_has_no_cycles_and_no_upward_imports() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "import_graph.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("import graph ok"), proc.stdout


def test_no_stage_module_is_loose_at_the_top() -> None:
    loose = {p.name for p in (ROOT / "curator").glob("*.py")} - TOP_LEVEL_ALLOWED
    assert not loose, f"move these into their stage's folder: {sorted(loose)}"
