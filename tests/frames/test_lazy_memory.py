"""The lazy path's memory measures: the distinct IDs spill to temporary files beyond a
threshold (same result), the files go away on an error, and the polars join keeps the
lookup compact and as its build side without changing the output."""

from __future__ import annotations

import tempfile

import narwhals.stable.v2 as nw
import polars as pl
import pytest

from compliance_nb import join_results
from compliance_nb._exceptions import InputError
from compliance_nb.frames.lazy import distinct as _distinct
from compliance_nb.frames.lazy import spill as _spill
from compliance_nb.frames.lazy.distinct import unique_lazy_ids
from compliance_nb.frames.lazy.join import lookup_table
from compliance_nb.frames.lazy.polars import BUILD_RIGHT


@pytest.fixture
def temp_root(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@pytest.fixture
def tiny_batches(monkeypatch):
    """Small engine batches and a small spill threshold: the spill path on small data."""
    monkeypatch.setattr(_distinct, "BATCH_ROWS", 7)
    monkeypatch.setattr(_spill, "SPILL_THRESHOLD", 20)


def _ids_frame(n: int) -> pl.DataFrame:
    ids = [1_800_000_000_000_000_000 + (i * 7919) % (n // 2) for i in range(n)]  # repeats
    return pl.DataFrame({"id": ids, "row": list(range(n))})


@pytest.mark.parametrize("as_text", [False, True])
def test_spilled_distinct_ids_equal_the_eager_unique(temp_root, tiny_batches, as_text):
    df = _ids_frame(300)
    if as_text:
        df = df.with_columns((" " + pl.col("id").cast(pl.String)).alias("id"))  # stripped
    got = unique_lazy_ids(nw.from_native(df.lazy()), "id")
    want = df["id"].cast(pl.String).str.strip_chars().cast(pl.UInt64).unique().sort()
    assert got.ids.dtype == pl.UInt64
    assert got.ids.to_list() == want.to_list()
    assert got.text is as_text
    assert list(temp_root.iterdir()) == []


def test_invalid_ids_raise_and_leave_no_temporary_files(temp_root, tiny_batches):
    df = _ids_frame(300).with_columns(pl.col("id").cast(pl.String))
    df = pl.concat([df, pl.DataFrame({"id": ["12x"], "row": [999]})])
    with pytest.raises(InputError, match="1 distinct value"):
        unique_lazy_ids(nw.from_native(df.lazy()), "id")
    assert list(temp_root.iterdir()) == []


RESULTS = pl.DataFrame(
    {
        "id": ["1800000000000000010", "1800000000000000011"],
        "action": ["delete", "delete"],
        "reason": ["deleted", "scrub_geo"],
    }
)


def test_polars_join_builds_on_the_lookup_and_returns_categories():
    lf = pl.LazyFrame({"id": [1_800_000_000_000_000_010 + i for i in range(4)]})
    out = join_results(lf, RESULTS)
    plan = out.explain()
    if "build_side" in BUILD_RIGHT:
        assert "ForceRight" in plan
    # the lookup holds the text fields compactly; the output keeps them so (as eager)
    fields = {"action": "a", "reason": "r", "created_at": "c"}
    table = lookup_table(
        RESULTS.with_columns(created_at=None), fields, pl.Int64, "hit", compact_text=True
    )
    assert table.schema["a"] == pl.Categorical and table.schema["r"] == pl.Categorical
    assert table.schema["__compliance_nb_key"] == pl.Int64
    schema = out.collect_schema()
    assert schema["compliance_action"] == pl.Categorical
    assert schema["compliance_reason"] == pl.Categorical
    assert schema["compliance_status"] == pl.Categorical
    got = out.collect().sort("id")
    assert got["compliance_reason"].to_list() == ["deleted", "scrub_geo", None, None]
    assert got["compliance_status"].to_list() == [
        "deleted",
        "geo_scrubbed",
        "available",
        "available",
    ]


def test_two_result_ids_with_one_key_give_one_row_per_input_row():
    """Integer ID column: "07" and "7" in the results are the same key; each row of
    the frame is still one row of the output (the first line wins)."""
    results = pl.DataFrame(
        {"id": ["7", "07"], "action": ["delete", "delete"], "reason": ["deleted", "protected"]}
    )
    out = join_results(pl.LazyFrame({"id": [7, 8]}), results).collect().sort("id")
    assert out.height == 2
    assert out["compliance_reason"].to_list() == ["deleted", None]
