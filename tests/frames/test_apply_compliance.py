"""apply_compliance: removed rows dropped, geo scrubs applied, summary, input untouched."""

from __future__ import annotations

import logging
import time

import pandas as pd
import polars as pl
import pytest
from _check_helpers import assert_same_frame, copy_of

from compliance_nb import SimulatedResultsWarning
from compliance_nb._exceptions import InputError
from compliance_nb.datasets import sample_tweets
from compliance_nb.frames.apply import apply_compliance, default_geo_columns
from compliance_nb.frames.check import check_compliance

GEO = ("scrub_geo", "geo_scrubbed")

RESULTS = pl.DataFrame(
    {
        "id": ["1", "2", "3", "5"],
        "action": ["delete"] * 4,
        "reason": ["deleted", "scrub_geo", "protected", "geo_scrubbed"],
    }
)


def plain(backend: str):
    data = {
        "id": ["1", "2", "3", "4", "5", None],
        "text": list("abcdef"),
        "geo.place_id": ["p1", "p2", "p3", "p4", "p5", "p6"],
        "lat": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        "geography_class": ["x"] * 6,  # not a geo column by the default rule
    }
    if backend == "pandas":
        return pd.DataFrame(data, index=[f"r{i}" for i in range(6)])
    return pl.DataFrame(data)


@pytest.mark.parametrize("backend", ["pandas", "polars"])
def test_plain_frame_plus_results(backend):
    df = plain(backend)
    before = copy_of(df)
    out, summary = apply_compliance(df, RESULTS, return_summary=True)
    assert_same_frame(df, before)
    assert type(out) is type(df)
    assert list(out.columns) == list(df.columns)  # joined compliance columns dropped
    if backend == "pandas":
        assert list(out.index) == ["r1", "r3", "r4", "r5"]
        rows = list(out.itertuples(index=False, name=None))
        rows = [tuple(None if pd.isna(v) else v for v in r) for r in rows]
    else:
        rows = out.rows()
    assert rows == [
        ("2", "b", None, None, "x"),
        ("4", "d", "p4", 4.0, "x"),
        ("5", "e", None, None, "x"),
        (None, "f", "p6", 6.0, "x"),
    ]
    assert summary == {
        "counts": "rows",
        "rows_in": 6,
        "rows_out": 4,
        "rows_removed": 2,
        "removed": {"deleted": 1, "protected": 1},
        "rows_geo_scrubbed": 2,
        "geo_columns": ["geo.place_id", "lat"],
    }


def test_results_file_path(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(
        '{"id":"4","action":"delete","reason":"suspended",'
        '"created_at":"2020-01-01T00:00:00.000Z"}\n'
    )
    out = apply_compliance(plain("polars"), path)
    assert out["id"].to_list() == ["1", "2", "3", "5", None]


def test_explicit_geo_columns_and_kept_compliance_columns():
    out = apply_compliance(
        plain("polars"), RESULTS, geo_columns=["text"], drop_compliance_columns=False
    )
    assert out["text"].to_list() == [None, "d", None, "f"]
    assert out["lat"].to_list() == [2.0, 4.0, 5.0, 6.0]
    assert "compliance_status" in out.columns


def test_missing_geo_column_and_missing_compliance_columns_are_errors():
    with pytest.raises(InputError, match="'nope'"):
        apply_compliance(plain("polars"), RESULTS, geo_columns=["nope"])
    with pytest.raises(InputError, match="check_compliance"):
        apply_compliance(plain("polars"))


def test_summary_is_logged(caplog):
    with caplog.at_level(logging.INFO, logger="compliance_nb"):
        apply_compliance(plain("polars"), RESULTS)
    assert "2 of 6 rows removed" in caplog.text
    assert "deleted 1" in caplog.text


def test_default_geo_rule():
    cols = [
        "id",
        "geo",
        "Coordinates",
        "place_id",
        "geo_lat",
        "longitude",
        "lng",
        "placement",
        "geometry_note",
        "place.full_name",
    ]
    assert default_geo_columns(cols) == [
        "geo",
        "Coordinates",
        "place_id",
        "geo_lat",
        "longitude",
        "lng",
        "place.full_name",
    ]


def test_on_check_compliance_output_with_authors(sandbox):
    df = sample_tweets(400, seed=5)  # pandas; geo_place_id / geo_lat / geo_lon columns
    client = sandbox.client(sleep=lambda s: time.sleep(min(s, 0.02)))
    checked = check_compliance(df, user_id_column="author_id", client=client, progress=False)
    before = copy_of(checked)
    with pytest.warns(SimulatedResultsWarning):  # the sandbox's results
        out, summary = apply_compliance(checked, return_summary=True)
    assert_same_frame(checked, before)

    t = sandbox.expected([int(v) for v in df["id"].dropna()], "tweets")
    u = sandbox.expected([int(v) for v in df["author_id"].dropna()], "users")
    t_reason = dict(zip(t["id"].to_list(), t["reason"].to_list(), strict=True))
    u_reason = dict(zip(u["id"].to_list(), u["reason"].to_list(), strict=True))
    keep, scrub = [], []
    for label, tid, aid in zip(df.index, df["id"], df["author_id"], strict=True):
        tr = None if pd.isna(tid) else t_reason[str(int(tid))]
        ur = None if pd.isna(aid) else u_reason[str(int(aid))]
        removed = (tr is not None and tr not in GEO) or (ur is not None and ur not in GEO)
        if not removed:
            keep.append(label)
            if tr in GEO or ur in GEO:
                scrub.append(label)
    assert list(out.index) == keep
    assert out.loc[scrub, ["geo_place_id", "geo_lat", "geo_lon"]].isna().all().all()
    untouched = [k for k in keep if k not in scrub]
    pd.testing.assert_frame_equal(out.loc[untouched, df.columns], df.loc[untouched])
    assert summary["rows_removed"] == len(df) - len(keep)
    assert summary["rows_geo_scrubbed"] == len(scrub)
    assert set(summary["geo_columns"]) == {"geo_place_id", "geo_lat", "geo_lon"}
    assert any(k.startswith("user_") for k in summary["removed"])
    assert "compliance_status" in out.columns  # kept: they came with the input
    assert len(scrub) > 0 and len(keep) < len(df)


@pytest.mark.parametrize("lazy", [False, True], ids=["eager", "lazy"])
def test_geo_scrubs_without_geo_columns_are_warned_about(caplog, lazy):
    frame = pl.DataFrame({"id": ["1", "2", "4", "5"], "text": list("abcd")})
    if lazy:
        frame = frame.lazy()
    with caplog.at_level(logging.WARNING, logger="compliance_nb"):
        _, summary = apply_compliance(frame, RESULTS, return_summary=True)
    assert summary["rows_geo_scrubbed"] == 2 and summary["geo_columns"] == []
    warned = [r for r in caplog.records if "no geo columns were found" in r.getMessage()]
    assert len(warned) == 1 and "2 row(s)" in warned[0].getMessage()


def test_no_warning_when_the_geo_columns_exist(caplog):
    with caplog.at_level(logging.WARNING, logger="compliance_nb"):
        apply_compliance(plain("polars"), RESULTS, return_summary=True)
    assert not [r for r in caplog.records if "no geo columns" in r.getMessage()]


def test_geo_scrub_writes_none_in_pandas_object_columns_and_keeps_the_rest():
    """In a pandas ``object`` column (places as dicts, say) a scrubbed value becomes None,
    like the column's other missing values; other rows keep their very objects; numeric
    columns get NaN; repeated index labels and the caller's frame are untouched."""
    place = {"full_name": "Somewhere"}
    df = pd.DataFrame(
        {
            "id": ["2", "4", "5", "6"],
            "place": pd.Series([{"p": 2}, place, "p5", None], dtype=object),
            "lat": [2.0, 4.0, 5.0, 6.0],
        }
    ).set_axis(["r", "r", "s", "s"])  # repeated labels
    assert df["place"].iloc[3] is None
    before = copy_of(df)
    out = apply_compliance(df, RESULTS)  # 2: scrub_geo, 5: geo_scrubbed
    assert out["place"].dtype == object
    assert [v is None for v in out["place"]] == [True, False, True, True]
    assert out["place"].iloc[1] is place
    assert out["lat"].isna().tolist() == [True, False, True, False]
    assert out.index.tolist() == ["r", "r", "s", "s"]
    assert_same_frame(df, before)
