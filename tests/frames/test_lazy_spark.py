"""check_compliance and apply_compliance on PySpark DataFrames (a local one-core session)
against the sandbox. Skipped, with the reason, when Java or pyspark is missing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
from _lazy_helpers import IDS, collect, fast_client, same_rows

from compliance_nb import apply_compliance, check_compliance
from compliance_nb._exceptions import InputError

if shutil.which("java") is None:
    pytest.skip("Java is not installed: PySpark needs a JVM", allow_module_level=True)
pytest.importorskip("pyspark", reason="pyspark is not installed (pip install pyspark)")

pytestmark = [
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("compliance_nb tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def sample() -> pl.DataFrame:
    ids = [str(v) for v in IDS] + [f" {IDS[3]}\t", "0020", None]
    n = len(ids)
    return pl.DataFrame(
        {
            "row": list(range(n)),
            "id": ids,
            "author": [str(20 + i % 7) for i in range(n)],
            "place": [f"p{i}" for i in range(n)],
        }
    )


def to_spark(spark: Any, df: pl.DataFrame) -> Any:
    return spark.createDataFrame(
        df.rows(), schema="row long, id string, author string, place string"
    )


def test_check_and_apply_equal_the_eager_path(sandbox, spark, tmp_path):
    df = sample()
    kw = {
        "client": fast_client(sandbox),
        "progress": False,
        "ledger_path": tmp_path / "l.db",
        "user_id_column": "author",
    }
    out = check_compliance(to_spark(spark, df), **kw)
    assert type(out).__module__.startswith("pyspark")
    want = check_compliance(df, **kw)
    same_rows(out, want)
    assert collect(out).schema["compliance_redacted_at"] == pl.Datetime("us", "UTC")

    applied, summary = apply_compliance(out, return_summary=True)
    want_applied, want_summary = apply_compliance(want, return_summary=True)
    same_rows(applied, want_applied)
    assert summary == want_summary


def test_invalid_ids_raise_before_any_request(sandbox, spark):
    df = pl.DataFrame({"row": [0, 1], "id": ["20", "2O"], "author": ["1", "2"], "place": ["", ""]})
    with pytest.raises(InputError, match="'2O'"):
        check_compliance(to_spark(spark, df), client=fast_client(sandbox), progress=False)
    assert sandbox.requests_log == []


def test_integer_ids_match_the_oracle(sandbox, spark, tmp_path):
    sdf = spark.createDataFrame([(i, v) for i, v in enumerate(IDS)], schema="row long, id long")
    out = check_compliance(
        sdf, client=fast_client(sandbox), progress=False, ledger_path=tmp_path / "l.db"
    )
    got = collect(out).sort("row")
    want = sandbox.expected(IDS, "tweets")
    assert got["compliance_reason"].to_list() == want["reason"].to_list()
    assert got["compliance_redacted_at"].to_list() == want["redacted_at"].to_list()
