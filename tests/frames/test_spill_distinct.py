"""compliance_nb.frames.lazy.spill.DistinctIds: the same sorted distinct IDs as
``np.unique``, whether the IDs stay in memory or are spilled to temporary files; the files
are removed."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from compliance_nb.frames.lazy import spill as _spill
from compliance_nb.frames.lazy.spill import DistinctIds

BIG = 9_223_372_036_854_775_807  # the largest ID (2**63 - 1): exact in uint64


def _batches(seed: int, n_batches: int, size: int) -> list[np.ndarray]:
    """Random snowflake-sized IDs with many repeats inside and across batches."""
    rng = np.random.default_rng(seed)
    pool = rng.integers(1_400_000_000_000_000_000, BIG, size=size * 2, dtype=np.int64)
    return [rng.choice(pool, size=size, replace=True).astype(np.uint64) for _ in range(n_batches)]


def _collect(batches: list[np.ndarray], **kw: int) -> tuple[pl.Series, bool]:
    ids = DistinctIds(**kw)
    spilled = False
    for batch in batches:
        ids.add(batch)
        spilled = spilled or ids.spilled
    return ids.result(), spilled


@pytest.fixture
def temp_root(tmp_path, monkeypatch):
    """Temporary files go under tmp_path, so the test can see they are removed."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_in_memory_result_is_sorted_distinct_uint64(temp_root):
    batches = _batches(seed=1, n_batches=5, size=1000)
    got, spilled = _collect(batches)
    assert not spilled
    assert got.name == "id" and got.dtype == pl.UInt64
    assert got.to_numpy().tolist() == np.unique(np.concatenate(batches)).tolist()
    assert got.flags["SORTED_ASC"]


@pytest.mark.parametrize("buckets", [1, 4, 256])
def test_spilled_result_equals_np_unique(temp_root, monkeypatch, buckets):
    monkeypatch.setattr(_spill, "SPILL_THRESHOLD", 700)  # spill every batch or so
    batches = _batches(seed=2, n_batches=12, size=500)
    batches.append(batches[0][::-1].copy())  # a whole batch repeated, in another order
    batches.append(np.array([BIG, 1, BIG], dtype=np.uint64))  # the extremes
    got, spilled = _collect(batches, buckets=buckets)
    assert spilled
    want = np.unique(np.concatenate(batches))
    assert len(got) < sum(len(b) for b in batches)  # there were repeats to drop
    assert got.dtype == pl.UInt64 and got.name == "id"
    assert np.array_equal(got.to_numpy(), want)
    assert got.flags["SORTED_ASC"]
    assert list(temp_root.iterdir()) == []  # the temporary files are gone


def test_every_copy_of_an_id_lands_in_one_bucket(temp_root, monkeypatch):
    """The same ID in many batches far apart is still returned once."""
    monkeypatch.setattr(_spill, "SPILL_THRESHOLD", 10)
    same = np.uint64(1_800_000_000_000_000_001)
    batches = [np.array([same, i + 1], dtype=np.uint64) for i in range(50)]
    got, spilled = _collect(batches, buckets=16)
    assert spilled
    assert got.to_list() == sorted({int(same), *range(1, 51)})


def test_buckets_are_balanced_for_clustered_ids(temp_root, monkeypatch):
    """Snowflake IDs are clustered (time in the high bits, often consecutive low bits);
    the hash still spreads them over the files about evenly."""
    monkeypatch.setattr(_spill, "SPILL_THRESHOLD", 1)
    ids = DistinctIds(buckets=16)
    ids.add(np.arange(1_500_000_000_000_000_000, 1_500_000_000_000_016_000, dtype=np.uint64))
    assert ids._tmp is not None
    sizes = [p.stat().st_size // 8 for p in Path(ids._tmp.name).iterdir()]
    ids.close()
    assert len(sizes) == 16
    assert min(sizes) > 500 and max(sizes) < 1500  # 1000 each on average


def test_empty_input_gives_an_empty_uint64_series(temp_root, monkeypatch):
    got, _ = _collect([np.empty(0, dtype=np.uint64)])
    assert got.dtype == pl.UInt64 and got.to_list() == []
    monkeypatch.setattr(_spill, "SPILL_THRESHOLD", 1)
    got, spilled = _collect([np.empty(0, dtype=np.uint64)])  # nothing to spill
    assert not spilled and got.to_list() == []


def test_close_removes_the_files_without_a_result(temp_root, monkeypatch):
    """An error or a cancel while collecting: close() removes what was spilled."""
    monkeypatch.setattr(_spill, "SPILL_THRESHOLD", 5)
    ids = DistinctIds()
    ids.add(np.arange(1, 20, dtype=np.uint64))
    assert ids.spilled and any(temp_root.iterdir())
    ids.close()
    ids.close()  # twice is fine
    assert list(temp_root.iterdir()) == []


def test_batches_are_not_changed(temp_root, monkeypatch):
    """The caller's arrays (polars may share them read-only) are never sorted in place."""
    batch = np.array([5, 3, 5, 1], dtype=np.uint64)
    batch.flags.writeable = False
    ids = DistinctIds()
    ids.add(batch)
    assert ids.result().to_list() == [1, 3, 5]
    assert batch.tolist() == [5, 3, 5, 1]
    monkeypatch.setattr(_spill, "SPILL_THRESHOLD", 2)
    ids = DistinctIds()
    ids.add(batch)
    assert ids.spilled and ids.result().to_list() == [1, 3, 5]
    assert batch.tolist() == [5, 3, 5, 1]


def test_bucket_count_must_be_a_power_of_two():
    with pytest.raises(ValueError, match="power of two"):
        DistinctIds(buckets=3)
