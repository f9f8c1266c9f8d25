"""Lazy-frame builders and collectors for the tests/frames/test_lazy_*.py files.

A builder turns a polars DataFrame into one lazy backend; :func:`collect` turns any of
them back into a polars DataFrame (UTC datetimes labelled ``"UTC"``, as the eager path
gives), so results can be compared with the eager path's, sorted by the ``row`` column.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import polars as pl

IDS = [1_800_000_000_000_000_001 + 104_729 * i for i in range(60)]


def fast_client(sb: Any) -> Any:
    return sb.client(sleep=lambda s: time.sleep(min(s, 0.02)))


def polars_lazy(df: pl.DataFrame) -> Any:
    return df.lazy()


def duckdb_relation(df: pl.DataFrame) -> Any:
    import duckdb

    con = duckdb.connect()  # not the default connection: the lookup must follow it
    return con.from_arrow(df.to_arrow())


def dask_frame(df: pl.DataFrame) -> Any:
    import dask.dataframe as dd

    return dd.from_pandas(df.to_pandas(), npartitions=3)


BUILDERS: dict[str, Callable[[pl.DataFrame], Any]] = {
    "polars-lazy": polars_lazy,
    "duckdb": duckdb_relation,
    "dask": dask_frame,
}


def collect(native: Any) -> pl.DataFrame:
    """Any lazy frame -> polars, datetimes converted to the "UTC" label."""
    module = type(native).__module__
    if isinstance(native, pl.LazyFrame):
        out = native.collect()
    elif module.startswith("duckdb"):
        out = native.pl()
    elif module.startswith("dask"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            out = pl.from_pandas(native.compute().reset_index(drop=True))
    elif module.startswith("pyspark"):
        out = pl.from_arrow(native.toArrow())
        assert isinstance(out, pl.DataFrame)
    else:  # pragma: no cover
        raise TypeError(type(native))
    return out.with_columns(pl.col(pl.Datetime).dt.convert_time_zone("UTC"))


def as_polars(frame: Any) -> pl.DataFrame:
    """An eager result (pandas or polars) as polars, for comparison."""
    if isinstance(frame, pl.DataFrame):
        return frame
    return pl.from_pandas(frame.reset_index(drop=True))


def same_rows(lazy_out: Any, eager_out: Any, key: str = "row") -> None:
    """The lazy output, collected and sorted by ``key``, equals the eager one."""
    from polars.testing import assert_frame_equal

    got = collect(lazy_out).sort(key)
    want = as_polars(eager_out).sort(key)
    assert got.columns == want.columns
    # the provenance column names each run's jobs and times: the same jobs, then set aside
    from compliance_nb.jobs.runinfo import recall

    sources = [c for c in got.columns if c.endswith("source")]
    if sources:
        got_info, want_info = recall(got), recall(want)
        assert got_info is not None and want_info is not None
        assert (got_info.job_ids, got_info.sandbox) == (want_info.job_ids, want_info.sandbox)
        got, want = got.drop(sources), want.drop(sources)
    if not isinstance(lazy_out, pl.LazyFrame):  # engines without a categorical type
        text = [c for c, t in got.schema.items() if t == pl.String]
        want = want.with_columns(pl.col(c).cast(pl.String) for c in text)
    assert_frame_equal(got, want, check_dtypes=True)
