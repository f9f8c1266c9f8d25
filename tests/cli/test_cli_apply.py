"""compliance-nb apply CHECKED -o CLEAN, as a real process: the same rows and values as
apply_compliance on the same table, its summary on stderr and nothing on stdout."""

from __future__ import annotations

import polars as pl
import pytest
from _cli_helpers import cli

from compliance_nb import apply_compliance, check_compliance
from compliance_nb.datasets import sample_tweets
from compliance_nb.sandbox import Sandbox


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> pl.DataFrame:
    """Sample Tweets with geo columns, checked with their authors: removals of both kinds
    and geo scrubs."""
    tmp = tmp_path_factory.mktemp("checked")
    tweets = sample_tweets(400, seed=12, backend="polars").select(
        "id", "author_id", "text", pl.col("id").alias("place_id"), pl.lit("x").alias("lat")
    )
    with Sandbox(processing_delay=0) as sb:
        out = check_compliance(
            tweets,
            user_id_column="author_id",
            client=sb.client(),
            progress=False,
            ledger_path=tmp / "ledger.sqlite3",
        )
    statuses = set(out["compliance_status"].cast(pl.String).drop_nulls())
    assert "geo_scrubbed" in statuses and "deleted" in statuses
    assert any(s.startswith("user_") for s in statuses)
    return out


@pytest.mark.parametrize(
    ("ext", "extra"),
    [(".parquet", []), (".csv", []), (".jsonl", ["--geo-columns", "lat"])],
)
def test_apply_writes_what_apply_compliance_returns(checked, tmp_path, ext, extra):
    source = tmp_path / f"checked{ext}"
    if ext == ".csv":
        checked.write_csv(source)
        table = pl.read_csv(source, infer_schema=False)  # a CSV is copied as text
    elif ext == ".jsonl":
        checked.write_ndjson(source)
        table = pl.read_ndjson(source)
    else:
        checked.write_parquet(source)
        table = checked
    dest = tmp_path / f"clean{ext}"
    proc = cli("apply", source, "-o", dest, *extra)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    geo = ["lat"] if extra else None
    want, summary = apply_compliance(table, geo_columns=geo, return_summary=True)
    assert summary["rows_removed"] > 0 and summary["rows_geo_scrubbed"] > 0
    if ext == ".csv":
        got = pl.read_csv(dest, infer_schema=False)
    elif ext == ".jsonl":
        got = pl.read_ndjson(dest)
    else:
        got = pl.read_parquet(dest)
    assert got.equals(want)
    warning, summary_line = proc.stderr.splitlines()
    # sandbox results: said once, as the command's own warning line
    assert warning.startswith("compliance-nb: warning: The results applied here are SIMULATED")
    assert summary_line.startswith(
        f"The clean dataset keeps {summary['rows_out']:,} of {summary['rows_in']:,} rows: "
        f"{summary['rows_removed']:,} rows removed ("
    )
    cols = ", ".join(summary["geo_columns"])
    assert f"the geo columns ({cols}) blanked in" in proc.stderr


def test_the_id_list_workflow_keeps_the_ids_you_may_keep(tmp_path):
    ids = [i for i in sample_tweets(60, seed=3, backend="polars")["id"].to_list() if i]
    (tmp_path / "ids.txt").write_text("\n".join(ids) + "\n")
    with Sandbox(processing_delay=0) as sb:
        proc = cli("check", "ids.txt", "-o", "results.csv", "--quiet", sandbox=sb, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        gone = set(sb.expected(ids, "tweets").filter(
            pl.col("action").is_not_null() & (pl.col("reason") != "scrub_geo")
        )["id"].to_list())  # fmt: skip
    assert gone
    proc = cli("apply", "results.csv", "-o", "keep.csv", "--drop-compliance-columns", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "keep.csv").read_text() == "id\n" + "".join(
        f"{i}\n" for i in ids if i not in gone
    )
    again = cli("apply", "results.csv", "-o", "keep.csv", cwd=tmp_path)
    assert again.returncode == 1 and "--force" in again.stderr
    before = (tmp_path / "results.csv").read_bytes()
    same = cli("apply", "results.csv", "-o", "./results.csv", "--force", cwd=tmp_path)
    assert same.returncode == 1 and "is the input file" in same.stderr
    assert (tmp_path / "results.csv").read_bytes() == before
