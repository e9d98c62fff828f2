"""The structure report on the real-list corpus: the targets of issue 13 on the dev half.

Reads `../shared/corpus/` beside the repository at run time (the lists stay there, never in
this repository) and skips with the reason when it is not there. Each list goes through
curator's own importer into a fresh SQLite file (tools/structure_report.py).
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from tests.support.cli import ROOT


def _load_report() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "structure_report", ROOT / "tools" / "structure_report.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["structure_report"] = module
    spec.loader.exec_module(module)
    return module


report = _load_report()
CORPUS = report.CORPUS

pytestmark = pytest.mark.skipif(
    not (CORPUS / "MANIFEST.md").is_file() or not (CORPUS / "entries.jsonl").is_file(),
    reason="the labelled corpus ../shared/corpus/ is not beside this repository",
)


def test_split_is_by_list_and_fixed_by_manifest_order() -> None:
    halves = report.split_halves(CORPUS)
    assert len(halves["all"]) == 35
    assert halves["dev"] == halves["all"][0::2] and halves["val"] == halves["all"][1::2]
    assert not set(halves["dev"]) & set(halves["val"])


def test_dev_half_meets_the_targets() -> None:
    scores, total = report.report(CORPUS, "dev")
    assert len(scores) == 18 and total.labelled >= 150
    assert total.recall >= 0.95, total.errors
    assert total.wrong_share <= 0.01, total.errors
    assert total.generic_share <= 0.01, total.errors
    assert total.anchor == 0, total.errors
    assert total.glued == 0, total.errors
