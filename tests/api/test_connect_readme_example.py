"""The README's notebook example runs as written (against the sandbox, with no token)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

README = Path(__file__).resolve().parents[2] / "README.md"


def _notebook_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## In a notebook", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "no python block under '## In a notebook'"
    return match.group(1)


def test_readme_example_is_about_ten_lines():
    lines = [line for line in _notebook_example().splitlines() if line.strip()]
    assert 8 <= len(lines) <= 12


def test_readme_example_runs_and_saves_a_smaller_clean_dataset(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(_notebook_example(), "README.md", "exec"), namespace)
    assert "SIMULATED" in capsys.readouterr().out  # connect() said it uses the sandbox
    saved = pd.read_parquet(tmp_path / "clean_tweets.parquet")
    assert len(saved) == len(namespace["clean"]) < len(namespace["checked"])
    assert {"compliance_reason", "compliant"} <= set(namespace["checked"].columns)
