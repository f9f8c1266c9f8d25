"""join_results: a results file or frame joined onto a frame, no API access."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pandas as pd
import polars as pl
import pytest
from _check_helpers import (  # noqa: F401 - fixture
    CONSTRUCTORS,
    added_as_polars,
    assert_same_frame,
    constructor,
    copy_of,
    original_part,
)

from compliance_nb._exceptions import InputError
from compliance_nb.frames.joins import join_results

A, B, C, D = 1_800_000_000_000_000_001, 2**63 - 1, 20, 1_500_000_000_000_000_000
RESULTS = "\n".join(
    [
        # A: a geo scrub and a deletion -> deleted wins; earliest created_at kept
        '{"id":"1800000000000000001","action":"delete","reason":"scrub_geo",'
        '"created_at":"2020-01-01T00:00:00.000Z","redacted_at":"2021-01-01T00:00:00.000Z"}',
        '{"id":"1800000000000000001","action":"delete","reason":"deleted",'
        '"created_at":"2020-01-01T00:00:00+00:00","redacted_at":"2022-05-01T10:00:00.500Z"}',
        # B: two deletions -> the earliest redacted_at
        '{"id":"9223372036854775807","action":"delete","reason":"deleted",'
        '"created_at":"2019-01-01T00:00:00.000Z","redacted_at":"2023-01-01T00:00:00.000Z"}',
        '{"id":"9223372036854775807","action":"delete","reason":"deleted",'
        '"created_at":"2019-01-01T00:00:00.000Z","redacted_at":"2022-01-01T00:00:00.000Z"}',
        # C: an unknown reason, no redacted_at
        '{"id":"20","action":"delete","reason":"edited","created_at":"2006-03-21T20:50:14.000Z"}',
        # an ID not in the frame: ignored
        '{"id":"5","action":"delete","reason":"deleted","created_at":"2006-03-21T20:50:14.000Z"}',
        "",
    ]
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


WANT = {
    A: ("delete", "deleted", utc(2020, 1, 1), utc(2022, 5, 1, 10, 0, 0, 500_000)),
    B: ("delete", "deleted", utc(2019, 1, 1), utc(2022, 1, 1)),
    C: ("delete", "edited", utc(2006, 3, 21, 20, 50, 14), None),
    D: (None, None, None, None),
}
STATUS = {A: "deleted", B: "deleted", C: "edited", D: "available"}
MAIN = ["compliance_action", "compliance_reason", "compliance_created_at", "compliance_redacted_at"]


@pytest.fixture
def results_path(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text(RESULTS)
    return path


def test_join_a_results_file_on_every_backend(constructor, results_path):  # noqa: F811
    ids = [C, A, None, D, B, A]
    if constructor is CONSTRUCTORS["pandas-int64"]:
        ids = [v for v in ids if v is not None]
    df = constructor(ids)
    before = copy_of(df)
    out = join_results(df, results_path)
    assert_same_frame(df, before)
    assert_same_frame(original_part(out, before), before)
    added = added_as_polars(out, [*MAIN, "compliant", "compliance_status"])
    assert added.select(MAIN).rows() == [WANT[v] if v else (None,) * 4 for v in ids]
    assert added["compliant"].to_list() == [None if v is None else v == D for v in ids]
    assert added["compliance_status"].to_list() == [STATUS.get(v) for v in ids]


def test_join_a_results_frame_polars_or_pandas(results_path):
    from compliance_nb.jobs.results import read_results

    frame = read_results(results_path)
    df = pl.DataFrame({"tid": [str(A), str(D)]})
    for results in (frame, frame.to_pandas()):
        out = join_results(df, results, id_column="tid", prefix="c_")
        assert out.select(["c_reason", "c_compliant", "c_status"]).rows() == [
            ("deleted", False, "deleted"),
            (None, True, "available"),
        ]


def test_join_a_frame_with_text_timestamps_and_integer_ids():
    results = pd.DataFrame(
        {
            "id": [C],
            "action": ["delete"],
            "reason": ["scrub_geo"],
            "created_at": ["2006-03-21T20:50:14.000Z"],
        }
    )
    out = join_results(pd.DataFrame({"id": [C, D]}, index=["x", "y"]), results)
    assert list(out.index) == ["x", "y"]
    assert out["compliance_status"].tolist() == ["geo_scrubbed", "available"]
    assert out["compliance_created_at"].iloc[0] == pd.Timestamp("2006-03-21 20:50:14", tz="UTC")
    assert out["compliance_redacted_at"].isna().all()


def test_results_without_id_column_are_refused():
    with pytest.raises(InputError, match="no 'id' column"):
        join_results(pl.DataFrame({"id": ["1"]}), pl.DataFrame({"tweet": ["1"]}))


def test_float_result_ids_are_refused():
    with pytest.raises(InputError, match="float"):
        join_results(pl.DataFrame({"id": ["1"]}), pl.DataFrame({"id": [1.0]}))


def test_join_a_file_downloaded_from_the_sandbox(sandbox, tmp_path):
    ids = [1_800_000_000_000_000_001 + 7_919 * i for i in range(150)]
    client = sandbox.client(sleep=lambda s: time.sleep(min(s, 0.02)))
    path = client.run("tweets", ids, dest=tmp_path / "r.jsonl")
    df = pd.DataFrame({"id": [str(v) for v in reversed(ids)]})
    out = join_results(df, path)
    want = sandbox.expected(list(reversed(ids)), "tweets").drop("id").rows()
    assert added_as_polars(out, MAIN).rows() == want


def test_multiindex_with_repeated_labels_is_kept(results_path):
    index = pd.MultiIndex.from_tuples([("a", 1), ("a", 1), ("b", 2)], names=["k", "n"])
    df = pd.DataFrame({"id": [str(B), str(D), str(A)]}, index=index)
    before = copy_of(df)
    out = join_results(df, results_path)
    assert out.index.equals(index)
    assert out["compliance_status"].tolist() == ["deleted", "available", "deleted"]
    assert_same_frame(df, before)


def test_pyarrow_table_in_pyarrow_table_out(results_path):
    import pyarrow as pa

    table = pa.table({"id": pa.array([A, D], type=pa.uint64())})
    out = join_results(table, results_path)
    assert isinstance(out, pa.Table)
    assert out.column("id").to_pylist() == [A, D]
    assert out.column("compliant").to_pylist() == [False, True]


def test_label_columns_are_categories_that_work_like_text(tmp_path):
    """action, reason and status are categorical (a few distinct values, 1-4 bytes a
    row instead of 16 and more), and still behave as text for everyday use."""
    path = tmp_path / "results.jsonl"
    path.write_text(RESULTS)
    frame = pl.DataFrame({"id": [str(A), str(C), str(D), None]})
    out = join_results(frame, path)
    for label in ("compliance_action", "compliance_reason", "compliance_status"):
        assert out.schema[label] == pl.Categorical, label
    # polars: compare with text, including a value that is not there; concat two runs
    assert out.filter(pl.col("compliance_status") == "deleted")["id"].to_list() == [str(A)]
    assert out.filter(pl.col("compliance_status") == "suspended").height == 0
    other = join_results(pl.DataFrame({"id": [str(B)]}), path)
    both = pl.concat([out, other])
    assert both["compliance_status"].cast(pl.String).to_list() == [
        "deleted",
        "edited",
        "available",
        None,
        "deleted",
    ]
    # pandas: a category column with only the labels that occur, .str and == work
    pd_out = join_results(pd.DataFrame({"id": [str(A), str(C), str(D)]}), path)
    status = pd_out["compliance_status"]
    assert isinstance(status.dtype, pd.CategoricalDtype)
    assert sorted(status.cat.categories) == ["available", "deleted", "edited"]
    assert (status == "edited").tolist() == [False, True, False]
    assert status.str.startswith("del").tolist() == [True, False, False]
    assert pd_out["compliance_reason"].value_counts().to_dict() == {"deleted": 1, "edited": 1}


def test_two_result_ids_with_one_number_give_one_row_per_input_row():
    """The IDs "07" and "7" are kept apart when collapsing (their text differs) but are one ID
    for a row of numbers: each row stays one row, the first line wins."""
    results = pl.DataFrame(
        {"id": ["7", "07"], "action": ["delete", "delete"], "reason": ["deleted", "protected"]}
    )
    out = join_results(pl.DataFrame({"id": [7, 8]}), results)
    assert out.height == 2
    assert out["compliance_reason"].cast(pl.String).to_list() == ["deleted", None]
    assert out["compliance_status"].cast(pl.String).to_list() == ["deleted", "available"]


def test_status_labels_for_unknown_missing_and_geo_reasons_tweets_and_users():
    """The labels are made from the reasons' categories: each kind of reason gets its
    label, for the Tweets lookup and (with a ``user_`` prefix) for the users lookup."""
    from compliance_nb.frames.columns import ColumnNames, _status_columns, lookup_results

    reasons = ["deleted", "weird_new", None, "scrub_geo", "geo_scrubbed"]
    results = pl.DataFrame(
        {
            "id": pl.Series(range(1, 6), dtype=pl.UInt64),
            "action": ["delete"] * 5,
            "reason": reasons,
            "created_at": pl.Series([None] * 5, dtype=pl.Datetime("us", "UTC")),
            "redacted_at": pl.Series([None] * 5, dtype=pl.Datetime("us", "UTC")),
        }
    )
    keys = pl.Series([5, 4, 3, 2, 1, 6, None], dtype=pl.UInt64)  # 6: no result; None: no ID
    tweets = lookup_results(keys, results, "m_").gather()
    assert tweets["m_label"].cast(pl.String).to_list() == [
        "geo_scrubbed",
        "geo_scrubbed",
        "unknown",
        "weird_new",
        "deleted",
        None,  # no result: the label of a result does not apply
        None,
    ]
    assert tweets["m_label"].dtype == pl.Categorical
    names = ColumnNames.for_prefix()
    added = _status_columns(tweets, None, names)
    assert added["compliance_status"].cast(pl.String).to_list() == [
        "geo_scrubbed",
        "geo_scrubbed",
        "unknown",
        "weird_new",
        "deleted",
        "available",
        None,
    ]
    assert added["compliant"].to_list() == [False] * 5 + [True, None]
    users = lookup_results(keys, results, "u_").gather()
    assert users["u_label"].cast(pl.String).to_list() == [
        "geo_scrubbed",
        "geo_scrubbed",
        "user_unknown",
        "user_weird_new",
        "user_deleted",
        None,
        None,
    ]
    # the users lookup beside a Tweets lookup with no results: the author decides, even
    # for the row with no Tweet ID
    empty = results.clear()
    both = _status_columns(lookup_results(keys, empty, "m_").gather(), users, names)
    assert both["compliance_status"].cast(pl.String).to_list() == [
        "geo_scrubbed",
        "geo_scrubbed",
        "user_unknown",
        "user_weird_new",
        "user_deleted",
        "available",
        None,
    ]
    assert both["compliant"].to_list() == [False] * 5 + [True, None]
