"""The lazy path's backends, one per engine, each through the interface the generic code
uses: the table finds each engine's own, the distinct values come out whole in small
batches, the added columns get their final dtypes, and an engine without a module gets
the generic fallback (IDs collected at once; no join)."""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw
import pandas as pd
import polars as pl
import pytest
from _lazy_helpers import BUILDERS, IDS, collect

from compliance_nb import join_results
from compliance_nb._exceptions import InputError
from compliance_nb.frames.lazy.dask import DaskBackend
from compliance_nb.frames.lazy.distinct import distinct_query, unique_lazy_ids
from compliance_nb.frames.lazy.duckdb import DuckDBBackend
from compliance_nb.frames.lazy.engines import BACKENDS, as_lazy, backend_for
from compliance_nb.frames.lazy.generic import GenericBackend
from compliance_nb.frames.lazy.join import finish_lazy
from compliance_nb.frames.lazy.polars import PolarsBackend

pytestmark = pytest.mark.filterwarnings("ignore:.*Dask support is moving:FutureWarning")

OWN = {"polars-lazy": PolarsBackend, "duckdb": DuckDBBackend, "dask": DaskBackend}


@pytest.fixture(params=list(BUILDERS), ids=list(BUILDERS))
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_each_engine_has_its_own_backend(engine):
    frame = as_lazy(BUILDERS[engine](pl.DataFrame({"id": [1]})))
    backend = backend_for(frame)
    assert type(backend) is OWN[engine]
    assert backend.name == {"polars-lazy": "polars"}.get(engine, engine)


def test_batches_hold_every_distinct_value(engine):
    """Batches of 3 rows out of 3 Dask partitions: every value comes out, none twice
    within a batch; the generic code merges the batches."""
    values = [IDS[i % 7] for i in range(40)]  # no null: pandas would make them floats
    frame = as_lazy(BUILDERS[engine](pl.DataFrame({"id": values, "other": range(40)})))
    backend = backend_for(frame)
    batches = list(backend.batches(distinct_query(frame, "id"), 3))
    seen = [v for batch in batches for v in batch]
    assert {int(v) for v in seen} == set(IDS[:7])
    assert all(len(set(batch)) == len(batch) for batch in batches)


def test_finish_gives_flags_booleans_and_labels_the_engine_type(engine):
    df = pl.DataFrame({"ok": [1, 0, None], "label": ["deleted", "available", None]})
    frame = as_lazy(BUILDERS[engine](df))
    out = collect(finish_lazy(frame, added_bools=["ok"], added_labels=["label"]).to_native())
    assert out.schema["ok"] == pl.Boolean
    assert out["ok"].to_list() == [True, False, None]
    label = pl.Categorical if engine == "polars-lazy" else pl.String
    assert out.schema["label"] == label
    assert out["label"].to_list() == ["deleted", "available", None]


@pytest.mark.parametrize("dtype", ["int64", "uint64"])
def test_dask_key_of_an_integer_column_stays_exact(dtype):
    """Invalid IDs (0, above the largest ID) become missing keys without a trip
    through float: the IDs around them keep every digit."""
    import dask.dataframe as dd

    big = 2**53 + 1
    bad = 0 if dtype == "int64" else 2**63
    pdf = pd.DataFrame({"id": pd.Series([big, bad, big + 2], dtype=dtype)})
    frame = as_lazy(dd.from_pandas(pdf, npartitions=2))
    keys = DaskBackend().with_key(frame, "id", "key").to_native().compute()["key"]
    assert str(keys.dtype) == ("UInt64" if dtype == "uint64" else "Int64")
    assert keys.tolist() == [big, pd.NA, big + 2]


@pytest.fixture
def without_polars_backend(monkeypatch: pytest.MonkeyPatch) -> Any:
    """polars frames as an engine with no module of its own."""
    monkeypatch.delitem(BACKENDS, nw.Implementation.POLARS)


def test_an_engine_without_a_module_gets_the_generic_backend(without_polars_backend):
    lf = pl.LazyFrame({"id": ["20", " 20", "007", None, "7"]})
    frame = as_lazy(lf)
    backend = backend_for(frame)
    assert isinstance(backend, GenericBackend) and backend.name == "polars"
    assert unique_lazy_ids(frame, "id").ids.to_list() == [7, 20]  # collected at once
    results = pl.DataFrame({"id": ["7"], "action": ["delete"], "reason": ["deleted"]})
    with pytest.raises(InputError, match="Lazy frames of polars are not supported yet"):
        join_results(lf, results)
