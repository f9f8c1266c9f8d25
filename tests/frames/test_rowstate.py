"""RowIndex / RowResults: result lines folded into per-row state block by block give each
row what the collapse rule gives its ID (checked against the rule written out by hand),
and check_compliance's join from that state equals the join of collapsed results."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from _results_helpers import ORDER, collapse_by_hand

import compliance_nb.frames.rowstate as rowstate
from compliance_nb.frames.columns import lookup_results, lookup_state
from compliance_nb.frames.rowstate import RowIndex, RowResults
from compliance_nb.jobs.collapse import collapse_results
from compliance_nb.jobs.counts import summarise
from compliance_nb.jobs.engine import run_compliance_ids
from compliance_nb.jobs.ledger import Ledger
from compliance_nb.jobs.results import COMPACT_SCHEMA

REASONS = [*ORDER, "geo_scrubbed", "weird"]


def _day(rng: random.Random) -> datetime | None:
    day = rng.choice([None, *range(1, 28)])
    return None if day is None else datetime(2020, 1, day, tzinfo=timezone.utc)


def _case(seed: int) -> tuple[list[int | None], list[tuple]]:
    """Per-row keys (IDs 1-299, several rows each, some rows without an ID) and result
    lines (IDs 1-399: about half of them with several lines, some not in the frame)."""
    rng = random.Random(seed)
    keys = [rng.choice([None, *range(1, 300)]) for _ in range(900)]
    lines = [
        (
            rng.randrange(1, 400),
            rng.choice(["delete", "other", None]),
            rng.choice(REASONS),
            _day(rng),
            _day(rng),
        )
        for _ in range(700)
    ]
    return keys, lines


def _compact(lines: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(lines, schema=list(COMPACT_SCHEMA), orient="row").cast(COMPACT_SCHEMA)


def _blocks(lines: list[tuple], rng: random.Random) -> list[pl.DataFrame]:
    cuts = sorted(rng.sample(range(1, len(lines)), 6))
    return [_compact(lines[a:b]) for a, b in zip([0, *cuts], [*cuts, len(lines)], strict=True)]


def _state(keys: list[int | None], blocks: list[pl.DataFrame]) -> RowResults:
    state = RowResults(RowIndex(pl.Series(keys, dtype=pl.UInt64)))
    for block in blocks:
        state.add(block)
    return state


def _per_row(state: RowResults) -> list[Any]:
    """For each row: "no id", "none" or (action, reason, created_at, redacted_at)."""
    entries = state.entries().rows()
    out: list[Any] = []
    for entry in state.rows().tolist():
        if entry >= len(entries):
            out.append("none" if entry == len(entries) else "no id")
        else:
            out.append(entries[entry])
    return out


@pytest.mark.parametrize("seed", range(8))
def test_each_row_gets_its_ids_result_by_the_rule_written_out(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rowstate, "_SLICE", 7 + seed)  # the index made in slices
    keys, lines = _case(seed)
    state = _state(keys, _blocks(lines, random.Random(seed)))
    chosen = {row[0]: row[1:] for row in collapse_by_hand(lines)}
    expected = ["no id" if key is None else chosen.get(key, "none") for key in keys]
    assert _per_row(state) == expected
    # one entry per ID of the frame with a result: none made twice, none left empty
    assert state.entries().height == len({line[0] for line in lines} & set(keys))


def test_blocks_fed_again_change_nothing() -> None:
    """A download that starts over hands its first blocks over a second time."""
    keys, lines = _case(11)
    blocks = _blocks(lines, random.Random(11))
    once = _per_row(_state(keys, blocks))
    assert _per_row(_state(keys, blocks[:3] + blocks)) == once


def test_results_are_the_collapsed_results_of_the_frames_ids() -> None:
    keys, lines = _case(3)
    state = _state(keys, _blocks(lines, random.Random(3)))
    held = {k for k in keys if k is not None}
    expected = sorted(row for row in collapse_by_hand(lines) if row[0] in held)
    got = state.results()
    assert dict(got.schema) == COMPACT_SCHEMA
    assert got.with_columns(pl.col("action", "reason").cast(pl.String)).rows() == expected
    # one part's IDs only (what the ledger stores for that part's job)
    part = pl.Series(sorted(i for i in held if 100 <= i < 200), dtype=pl.UInt64)
    in_part = [row for row in expected if 100 <= row[0] < 200]
    assert state.results(part).with_columns(pl.col("action", "reason").cast(pl.String)).rows() == (
        in_part
    )


@pytest.mark.parametrize("slice_size", [1, 2, 3, 1 << 20])
@pytest.mark.parametrize("given", [False, True])
def test_index_finds_every_row_of_an_id_and_ignores_others(
    slice_size: int, given: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys compared a slice at a time (an ID's rows across two slices too), with the
    distinct IDs worked out or given."""
    monkeypatch.setattr(rowstate, "_SLICE", slice_size)
    keys = pl.Series([7, None, 3, 7, 7, 2**64 - 1, None], dtype=pl.UInt64)
    distinct = pl.Series([3, 7, 2**64 - 1], dtype=pl.UInt64) if given else None
    index = RowIndex(keys, distinct)
    assert index.ids().to_list() == [3, 7, 2**64 - 1]
    lines, places = index.find(np.array([7, 5, 2**64 - 1, 0, 7], dtype=np.uint64))
    assert lines.tolist() == [0, 2, 4] and places.tolist() == [1, 2, 1]
    state = RowResults(index)
    state.add(_compact([(2**64 - 1, "delete", "deleted", None, None)]))
    assert state.rows().tolist() == [1, 2, 1, 1, 1, 0, 2]  # 1: no result, 2: no ID
    assert sorted(index.rows_without_id.tolist()) == [1, 6]
    # no row without an ID (the keys are sorted in place of a copy)
    full = RowIndex(keys.drop_nulls(), distinct)
    assert full.ids().to_list() == [3, 7, 2**64 - 1] and len(full.rows_without_id) == 0
    state = RowResults(full)
    state.add(_compact([(7, "delete", "deleted", None, None)]))
    assert state.rows().tolist() == [0, 1, 0, 0, 1]  # 0: the entry of 7, 1: no result
    with pytest.raises(TypeError, match="UInt64"):
        RowIndex(pl.Series([1], dtype=pl.Int64))
    with pytest.raises(ValueError, match="distinct"):
        RowIndex(keys, pl.Series([3, 7], dtype=pl.UInt64))
    with pytest.raises(TypeError, match="UInt64"):  # before a thread is started
        RowResults(pl.Series([1.0]))


@pytest.mark.parametrize("tag", ["m_", "u_"])
def test_the_join_from_row_state_equals_the_join_of_collapsed_results(tag: str) -> None:
    keys, lines = _case(7)
    key_series = pl.Series(keys, dtype=pl.UInt64)
    old = lookup_results(key_series, collapse_results(_compact(lines)), tag).gather()
    new = lookup_state(_state(keys, _blocks(lines, random.Random(7))), tag)
    got = new.gather()
    as_text = [pl.col(c).cast(pl.String) for c, t in old.schema.items() if t == pl.Categorical]
    assert got.columns == old.columns
    assert got.with_columns(as_text).equals(old.with_columns(as_text))
    assert got.schema == old.schema


def test_engine_feeds_the_same_state_from_a_download_and_from_the_ledger(
    sandbox: Any, tmp_path: Path
) -> None:
    """Second run: the stored (collapsed) results of both parts, fed to a new state."""
    ids = [1_800_000_000_000_000_001 + 104_729 * i for i in range(300)]
    keys = pl.Series([*ids, None, *ids[:50]], dtype=pl.UInt64)
    ledger = Ledger(tmp_path / "l.sqlite3")

    def run() -> tuple[Any, RowResults]:
        state = RowResults(RowIndex(keys))
        res = run_compliance_ids(
            state.index.ids(),
            "tweets",
            client=sandbox.client(),
            ledger=ledger,
            max_ids_per_job=200,
            sink=state,
        )
        return res, state

    first, downloaded = run()
    second, stored = run()
    assert not first.from_cache and second.from_cache and len(second.jobs) == 2
    assert first.results.height == 0 and first.counts == second.counts
    assert first.counts["checked"] == 300 and first.counts["available"] < 300
    assert _per_row(stored) == _per_row(downloaded)
    # what the ledger keeps for each job: that part's collapsed results
    (a, b) = sorted(ledger.all(), key=lambda r: r.part or 0)
    part_a, part_b = ledger.load_results(a), ledger.load_results(b)
    assert part_a["id"].max() < part_b["id"].min()
    assert part_a.height + part_b.height == 300 - first.counts["available"]


def test_a_run_with_a_sink_counts_and_stores_what_a_run_without_one_returns(
    sandbox: Any, tmp_path: Path
) -> None:
    ids = pl.Series([1_900_000_000_000_000_003 + 7_919 * i for i in range(400)], dtype=pl.UInt64)
    plain = run_compliance_ids(
        ids, "tweets", client=sandbox.client(), ledger=Ledger(tmp_path / "a.sqlite3")
    )
    state = RowResults(ids)  # built in a thread, as check_compliance does
    fed = run_compliance_ids(
        ids,
        "tweets",
        client=sandbox.client(),
        ledger=Ledger(tmp_path / "b.sqlite3"),
        max_ids_per_job=150,
        sink=state,
    )
    assert plain.results.height > 0 and len(fed.jobs) == 3
    assert fed.counts == plain.counts == summarise(plain.results, 400)
    text = [pl.col("action", "reason").cast(pl.String)]
    assert state.results().with_columns(text).equals(plain.results.sort("id").with_columns(text))


def test_dropping_the_index_keeps_the_entries() -> None:
    keys, lines = _case(2)
    blocks = _blocks(lines, random.Random(2))
    state = _state(keys, blocks)
    entries = state.entries()
    state.drop_index()
    assert state.entries().equals(entries)
    with pytest.raises(RuntimeError, match="let go"):
        state.add(blocks[0])
    with pytest.raises(RuntimeError, match="let go"):
        state.rows()


def test_results_stored_as_text_fold_in_like_compact_ones() -> None:
    """Results stored in the ledger by an earlier version hold IDs, actions and reasons as
    text: they fold in the same."""
    keys, lines = _case(4)
    compact = _per_row(_state(keys, [_compact(lines)]))
    text = _compact(lines).with_columns(pl.col("id", "action", "reason").cast(pl.String))
    assert _per_row(_state(keys, [text])) == compact
