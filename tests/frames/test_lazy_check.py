"""check_compliance, join_results and apply_compliance on lazy frames (polars LazyFrame,
DuckDB relation, Dask) against the sandbox: same answers as the eager path, still lazy,
IDs validated as strictly, only the ID column read, splitting and resuming."""

from __future__ import annotations

from typing import Any

import pandas as pd
import polars as pl
import pytest
from _lazy_helpers import BUILDERS, IDS, collect, fast_client, same_rows

from compliance_nb import apply_compliance, check_compliance, join_results
from compliance_nb._exceptions import IDColumnTypeError, InputError, JobFailedError

pytestmark = pytest.mark.filterwarnings("ignore:.*Dask support is moving:FutureWarning")


@pytest.fixture(params=list(BUILDERS), ids=list(BUILDERS))
def build(request: pytest.FixtureRequest) -> Any:
    return BUILDERS[request.param]


def eager_twin(build: Any, df: pl.DataFrame) -> Any:
    """The eager frame the lazy one stands for (pandas for Dask, else polars)."""
    return df.to_pandas() if build is BUILDERS["dask"] else df


def sample() -> pl.DataFrame:
    """Text IDs with repeats, nulls, whitespace and leading zeros, plus other columns."""
    ids = [str(v) for v in IDS] + [f" {IDS[3]}\t", "0020", "20", None, str(IDS[0])]
    n = len(ids)
    return pl.DataFrame(
        {
            "row": list(range(n)),
            "id": ids,
            "author": [str(20 + i % 7) for i in range(n)],
            "geo": [f"g{i}" for i in range(n)],
        }
    )


def test_check_is_lazy_and_equals_the_eager_path(sandbox, build, tmp_path):
    df = sample()
    lazy_in = build(df)
    kw = {"client": fast_client(sandbox), "progress": False, "ledger_path": tmp_path / "l.db"}
    out = check_compliance(lazy_in, **kw)
    assert type(out) is type(lazy_in)
    same_rows(out, check_compliance(eager_twin(build, df), **kw))
    got = collect(out)
    assert got.schema["compliance_created_at"] == pl.Datetime("us", "UTC")
    assert got.schema["compliant"] == pl.Boolean
    assert got["compliant"].null_count() == 1  # the null ID only
    assert (~got["compliant"].drop_nulls()).sum() > 0  # some IDs need action


def test_users_at_once_and_prefix(sandbox, build, tmp_path):
    df = sample()
    kw = {
        "client": fast_client(sandbox),
        "progress": False,
        "ledger_path": tmp_path / "l.db",
        "user_id_column": "author",
        "prefix": "cx_",
    }
    out = check_compliance(build(df), **kw)
    want = check_compliance(eager_twin(build, df), **kw)
    same_rows(out, want)
    assert "user_cx_reason" in collect(out).columns


def test_integer_ids_and_oracle_answer(sandbox, build, tmp_path):
    df = pl.DataFrame({"row": range(len(IDS)), "id": pl.Series(IDS, dtype=pl.Int64)})
    out = collect(
        check_compliance(
            build(df), client=fast_client(sandbox), progress=False, ledger_path=tmp_path / "l"
        )
    ).sort("row")
    want = sandbox.expected(IDS, "tweets")
    assert (
        out.select(
            "compliance_action",
            "compliance_reason",
            "compliance_created_at",
            "compliance_redacted_at",
        ).rows()
        == want.select("action", "reason", "created_at", "redacted_at").rows()
    )


def test_apply_on_checked_lazy_frame_equals_eager(sandbox, build, tmp_path):
    df = sample()
    kw = {"client": fast_client(sandbox), "progress": False, "ledger_path": tmp_path / "l.db"}
    lazy_checked = check_compliance(build(df), **kw)
    eager_checked = check_compliance(eager_twin(build, df), **kw)
    out, summary = apply_compliance(lazy_checked, return_summary=True)
    want, want_summary = apply_compliance(eager_checked, return_summary=True)
    assert type(out) is type(lazy_checked)
    same_rows(out, want)
    assert summary == want_summary
    assert summary["rows_removed"] > 0


def test_apply_with_results_scrubs_geo_and_drops_rows(build):
    df = pl.DataFrame(
        {"row": [0, 1, 2, 3], "id": ["1", "2", "3", None], "lat": [1.5, 2.5, 3.5, 4.5]}
    )
    results = pl.DataFrame(
        {"id": ["1", "2"], "action": ["delete", "delete"], "reason": ["deleted", "scrub_geo"]}
    )
    out = apply_compliance(build(df), results)
    got = collect(out).sort("row")
    assert got.rows() == [(1, "2", None), (2, "3", 3.5), (3, None, 4.5)]
    same_rows(out, apply_compliance(eager_twin(build, df), results))


def test_join_results_stays_lazy(build, tmp_path):
    df = sample()
    results = pl.DataFrame(
        {"id": [str(IDS[3]), "20"], "action": ["delete"] * 2, "reason": ["protected"] * 2}
    )
    out = join_results(build(df), results)
    same_rows(out, join_results(eager_twin(build, df), results))
    got = collect(out)
    # the whitespace-padded and zero-padded rows match their IDs too
    assert got.filter(pl.col("compliance_reason") == "protected").height == 4


@pytest.mark.parametrize(
    "bad", ["abc", "-5", "0", "9223372036854775808", "1e18", "12 34", "\u00a020", "+20"]
)
def test_invalid_text_raises_before_any_request(sandbox, build, bad):
    df = pl.DataFrame({"row": [0, 1], "id": ["20", bad]})
    with pytest.raises(InputError, match="not valid Tweet IDs"):
        check_compliance(build(df), client=fast_client(sandbox), progress=False)
    assert sandbox.requests_log == []


def test_coerce_gives_null_results_like_the_eager_path(sandbox, build, tmp_path):
    df = pl.DataFrame({"row": [0, 1, 2, 3], "id": [str(IDS[0]), "abc", None, "-5"]})
    kw = {
        "client": fast_client(sandbox),
        "progress": False,
        "ledger_path": tmp_path / "l.db",
        "errors": "coerce",
    }
    with pytest.warns(UserWarning, match="2 distinct value"):
        out = check_compliance(build(df), **kw)
    with pytest.warns(UserWarning):
        want = check_compliance(eager_twin(build, df), **kw)
    same_rows(out, want)
    assert collect(out).sort("row")["compliant"].is_null().to_list() == [False, True, True, True]


@pytest.mark.parametrize("dtype", [pl.Int64, pl.UInt64])
def test_integer_ids_next_to_an_invalid_one_match_exactly(build, dtype):
    """Neighbouring IDs above 2**53 (one apart) in an integer column that also holds
    an invalid ID: only the ID in the results is matched (no trip through float)."""
    big = 1_800_000_000_000_000_001
    bad = 0 if dtype == pl.Int64 else 9_223_372_036_854_775_808  # invalid: 0, > 2**63-1
    ids = [big, big + 1, bad] * 3  # Dask: 3 partitions, each with an invalid ID
    df = pl.DataFrame({"row": range(9), "id": ids}, schema_overrides={"id": dtype})
    results = pl.DataFrame(  # a result line for "0" matches no row (0 is no ID)
        {"id": [str(big), "0"], "action": ["delete"] * 2, "reason": ["deleted"] * 2}
    )
    with pytest.warns(UserWarning, match="1 distinct value"):
        out = join_results(build(df), results, errors="coerce")
    got = collect(out).sort("row")
    assert got["compliance_status"].to_list() == ["deleted", "available", None] * 3
    assert got["id"].cast(pl.UInt64).to_list() == ids


def test_float_column_is_refused(sandbox, build):
    df = pl.DataFrame({"row": [0], "id": [20.0]})
    with pytest.raises(IDColumnTypeError, match="floating-point"):
        check_compliance(build(df), client=fast_client(sandbox), progress=False)
    assert sandbox.requests_log == []


def test_missing_column_and_clash_are_refused(sandbox, build):
    df = pl.DataFrame({"row": [0], "id": ["20"], "compliant": [True]})
    with pytest.raises(InputError, match="'tweet_id' is not in the DataFrame"):
        check_compliance(build(df), id_column="tweet_id", client=fast_client(sandbox))
    with pytest.raises(InputError, match="already has column"):
        check_compliance(build(df), client=fast_client(sandbox), progress=False)
    assert sandbox.requests_log == []


def test_all_null_ids_start_no_job(sandbox, build):
    df = pl.DataFrame({"row": [0, 1], "id": pl.Series([None, None], dtype=pl.String)})
    got = collect(check_compliance(build(df), progress=False))  # no client, no token needed
    assert got["compliant"].to_list() == [None, None]
    assert sandbox.jobs_created == 0


# -- only the ID column is read ---------------------------------------------------------


def test_polars_extraction_never_computes_other_columns(sandbox, tmp_path):
    calls: list[int] = []

    def expensive(s: pl.Series) -> pl.Series:
        calls.append(len(s))
        raise AssertionError("the other column was computed")

    lf = pl.LazyFrame({"id": [str(v) for v in IDS]}).with_columns(
        pl.col("id").map_batches(expensive, return_dtype=pl.String).alias("huge")
    )
    out = check_compliance(
        lf, client=fast_client(sandbox), progress=False, ledger_path=tmp_path / "l"
    )
    assert calls == []
    assert sandbox.jobs_created == 1
    assert "huge" in out.collect_schema().names()  # still there, never computed


def test_duckdb_extraction_never_computes_other_columns(sandbox, tmp_path):
    import duckdb

    con = duckdb.connect()
    rel = con.sql(
        "SELECT CAST(1800000000000000001 + 104729 * range AS VARCHAR) AS id, "
        "error('the other column was computed') AS huge FROM range(60)"
    )
    out = check_compliance(
        rel, client=fast_client(sandbox), progress=False, ledger_path=tmp_path / "l"
    )
    assert sandbox.jobs_created == 1
    assert out.select("id", "compliant").aggregate("count(*)").fetchall() == [(60,)]


def test_dask_extraction_reads_only_the_id_column(sandbox, tmp_path, capsys):
    import dask.dataframe as dd
    import narwhals.stable.v2 as nw

    from compliance_nb.frames.lazy.distinct import distinct_query

    path = tmp_path / "archive.parquet"
    pd.DataFrame({"id": [str(v) for v in IDS], "huge": ["x" * 1000] * len(IDS)}).to_parquet(path)
    ddf = dd.read_parquet(path)
    capsys.readouterr()
    distinct_query(nw.from_native(ddf), "id").to_native().optimize().expr.pprint()
    plan = capsys.readouterr().out
    assert "ReadParquet" in plan and "columns=['id']" in plan
    assert "huge" not in plan
    check_compliance(ddf, client=fast_client(sandbox), progress=False, ledger_path=tmp_path / "l")
    assert sandbox.jobs_created == 1


# -- splitting and resuming --------------------------------------------------------------


def test_split_run_resumes_after_a_failed_part(sandbox, tmp_path):
    lf = pl.LazyFrame({"row": range(len(IDS)), "id": pl.Series(IDS, dtype=pl.Int64)})
    kw = {
        "client": fast_client(sandbox),
        "ledger_path": tmp_path / "ledger.sqlite3",
        "max_ids_per_job": 20,  # 60 IDs -> 3 parts
    }

    def fail_part_two(event: Any) -> None:
        if event.stage == "created" and event.part == 2:
            sandbox.faults.add("processing", "fail")

    with pytest.raises(JobFailedError):
        check_compliance(lf, progress=fail_part_two, **kw)
    assert sandbox.jobs_created == 2  # part 1 done, part 2 failed, part 3 never started

    events: list[Any] = []
    out = check_compliance(lf, progress=events.append, **kw)
    assert sandbox.jobs_created == 4  # parts 2 and 3 only
    cached = [e.part for e in events if e.stage == "cached"]
    created = sorted(e.part for e in events if e.stage == "created")
    assert cached == [1]
    assert created == [2, 3]
    got = collect(out).sort("row")
    want = sandbox.expected(IDS, "tweets")
    assert got["compliance_reason"].to_list() == want["reason"].to_list()


def test_dask_keeps_partitions_order_and_index(sandbox, tmp_path):
    import dask.dataframe as dd

    pdf = pd.DataFrame(
        {"id": [str(v) for v in IDS]}, index=pd.Index([f"r{i:03d}" for i in range(60)])
    )
    ddf = dd.from_pandas(pdf, npartitions=4)
    out = check_compliance(
        ddf, client=fast_client(sandbox), progress=False, ledger_path=tmp_path / "l"
    )
    assert out.npartitions == ddf.npartitions
    got = out.compute()
    assert list(got.index) == list(pdf.index)
    assert got["id"].tolist() == pdf["id"].tolist()
