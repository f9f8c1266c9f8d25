"""docs/reliability.md is the table rendered from the fault suite's catalogue, and every
case in the catalogue is exercised by a test."""

from __future__ import annotations

import re
from pathlib import Path

from _faults_helpers import CASES, DOC_PATH, render_doc

TESTS = Path(__file__).resolve().parent


def test_reliability_doc_is_up_to_date():
    assert DOC_PATH.exists(), "run: python tests/_faults_helpers.py --write-docs"
    assert DOC_PATH.read_text(encoding="utf-8") == render_doc(), (
        "docs/reliability.md is out of date: run python tests/_faults_helpers.py --write-docs"
    )


def test_case_ids_are_unique_and_each_one_is_used_by_a_test():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    sources = "\n".join(p.read_text() for p in TESTS.glob("test_faults_*.py"))
    for c in CASES:
        by_group = re.search(rf'group_cases\("{re.escape(c.group)}"\)', sources)
        assert by_group or f'"{c.id}"' in sources, f"no test exercises case {c.id!r}"
