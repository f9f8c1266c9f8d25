"""The engine's compact, block-wise results reader agrees with read_results line for line."""

from __future__ import annotations

import json
import random
from pathlib import Path

import polars as pl
import pytest

import compliance_nb.jobs.results as results_module
from compliance_nb._exceptions import ResultsFormatError
from compliance_nb.jobs.collapse import collapse_results
from compliance_nb.jobs.results import read_results, read_results_compact

REASONS = ["deleted", "suspended", "protected", "deactivated", "scrub_geo", "some_new_reason"]


def _lines(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        line = {
            "id": str(rng.randrange(1, 2**63)),
            "action": "delete",
            "reason": rng.choice(REASONS),
            "created_at": f"20{rng.randrange(10, 24)}-0{rng.randrange(1, 10)}-1{rng.randrange(10)}"
            f"T0{rng.randrange(10)}:1{rng.randrange(10)}:2{rng.randrange(10)}.{rng.randrange(1000):03d}Z",
        }
        if rng.random() < 0.7:
            line["redacted_at"] = "2024-05-06T07:08:09+00:00"
        out.append(json.dumps(line))
    return out


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col("id", "action", "reason").cast(pl.String))


@pytest.mark.parametrize("block", [64, 1000, 64 * 1024 * 1024])
def test_blocks_give_the_same_rows_as_read_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(results_module, "READ_BLOCK", block)
    path = tmp_path / "r.json"
    lines = _lines(500)
    lines.insert(100, "")  # a blank line
    path.write_text("\n".join(lines))  # and no newline after the last line
    compact = read_results_compact(path)
    assert compact.schema["id"] == pl.UInt64
    assert compact.schema["reason"] == pl.Categorical
    assert _as_text(compact).equals(read_results(path))
    assert compact.height == 500


@pytest.mark.parametrize(
    ("index", "bad"),
    [
        (250, '{"id": "12x", "action": "delete", "reason": "deleted"}'),  # not a decimal ID
        (200, '{"id": 5, "action": "delete", "reason": "deleted"}'),  # not a string
    ],
)
def test_a_bad_line_in_a_later_block_names_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index: int, bad: str
) -> None:
    monkeypatch.setattr(results_module, "READ_BLOCK", 2000)
    lines = _lines(300)
    lines[index] = bad
    path = tmp_path / "r.json"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ResultsFormatError) as info:
        read_results_compact(path)
    assert info.value.line_number == index + 1


def test_with_bad_lines_in_several_blocks_the_first_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # blocks are parsed two at a time: a later block may fail first, the file's first
    # bad line is still the one reported
    monkeypatch.setattr(results_module, "READ_BLOCK", 1500)
    lines = _lines(400)
    lines[60] = '{"id": "7", "action": "delete", "reason": "deleted", "created_at": "yesterday"}'
    lines[350] = "not json at all"
    path = tmp_path / "r.json"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ResultsFormatError) as info:
        read_results_compact(path)
    assert info.value.line_number == 61


@pytest.mark.parametrize("piece", [1, 7, 333, 10_000])
def test_the_parser_fed_pieces_of_any_size_gives_the_rows_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    monkeypatch.setattr(results_module, "READ_BLOCK", 1000)  # many blocks
    path = tmp_path / "r.json"
    path.write_text("\n".join(_lines(300)))  # no newline after the last line
    data = path.read_bytes()
    with results_module.ResultsParser(path, compact=True) as parser:
        parser.feed(data[:500])  # a download that starts over after 500 bytes ...
        parser.restart()
        for start in range(0, len(data), piece):
            parser.feed(data[start : start + piece])
        parsed = parser.finish()
    assert parsed.equals(read_results_compact(path))  # ... gives each line once
    assert parsed.height == 300


def test_the_parser_names_the_bad_line_by_its_number_in_the_whole_file(tmp_path: Path) -> None:
    lines = _lines(50)
    lines[41] = '{"id": "41", "action": 3}'
    data = ("\n".join(lines) + "\n").encode()
    with results_module.ResultsParser(tmp_path / "r.json") as parser:
        parser.feed(data)
        with pytest.raises(ResultsFormatError, match="'action' should be a string") as info:
            parser.finish()
    assert info.value.line_number == 42


def test_empty_and_blank_files(tmp_path: Path) -> None:
    for text in ("", "\n\n  \n"):
        path = tmp_path / "r.json"
        path.write_text(text)
        out = read_results_compact(path)
        assert out.height == 0 and out.schema["id"] == pl.UInt64


def test_collapse_keeps_compact_types_and_agrees_with_text(tmp_path: Path) -> None:
    lines = _lines(200)
    lines += [lines[3].replace('"deleted"', '"scrub_geo"'), lines[7], lines[11]]  # repeats
    path = tmp_path / "r.json"
    path.write_text("\n".join(lines) + "\n")
    compact = collapse_results(read_results_compact(path))
    text = collapse_results(read_results(path))
    assert compact.schema["id"] == pl.UInt64 and compact.schema["action"] == pl.Categorical
    assert _as_text(compact).equals(text)
