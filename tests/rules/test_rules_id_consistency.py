"""One table of tricky IDs, the same verdict at every entry.

Every entry where IDs come in gets each value of the table, and must either accept it as
the same ID (the normalised value the table names) or refuse it with the same reason. The
entries: ``check_compliance`` on pandas, polars, a polars LazyFrame and DuckDB; the client's
upload source (``prepare_ids``); ``apply_compliance_jsonl``; the command line; and the
sandbox reading an uploaded file.

The expected verdicts are written out here by hand from the rule as documented
(docs/reference.md, "IDs"), not computed by the code under test.

An accepted value is seen to be the ID the table names by its results: the sandbox here
deletes every ID and derives each result's timestamps from the ID, so a row matched to the
wrong ID would carry other timestamps than the sandbox's expected result for the right one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pytest
import requests

from compliance_nb import ComplianceError, apply_compliance_jsonl, check_compliance
from compliance_nb.api.idsource import prepare_ids
from compliance_nb.cli import main as cli_main
from compliance_nb.sandbox import Sandbox

TOP = 2**63 - 1
# what a spreadsheet makes of an ID saved as a number (docs/reference.md, "IDs")
SCIENTIFIC = (
    "these look like IDs saved as numbers in scientific notation: their last digits are lost; "
    "export them again as text"
)

# (value, the ID it stands for, or the reason it is refused)
TABLE: list[tuple[Any, int | str]] = [
    ("007", 7),
    ("0", "zero"),
    (str(TOP), TOP),
    (str(2**63), "above the largest ID"),
    (str(2**64 - 1), "more than 19 digits"),
    ("+1", "not decimal digits"),
    (" 12 ", 12),
    ("1e18", SCIENTIFIC),
    ("1.73428826718806E+18", SCIENTIFIC),
    ("1e3", "not decimal digits"),  # too small to have lost digits
    ("1" * 20, "more than 19 digits"),
    ("١٢٣", "not decimal digits"),
    ("１２３", "not decimal digits"),
    ("12\n", 12),
    ("", "empty"),
    ("\t0000000000000000042\r", 42),
    ("12 34", "not decimal digits"),
    ("-5", "not decimal digits"),
    ("\u00a012", "not decimal digits"),  # a no-break space is not ASCII white space
    ("1265324480517361664", 1265324480517361664),
]
ACCEPTED = [(v, x) for v, x in TABLE if isinstance(x, int)]
REFUSED = [(v, x) for v, x in TABLE if isinstance(x, str)]
# integers as integers (where an entry takes integer columns or JSON numbers)
INT_TABLE: list[tuple[int, int | str]] = [
    (TOP, TOP),
    (2**63, "above the largest ID"),
    (0, "zero"),
    (-5, "negative"),
    (7, 7),
]
REFUSED_ALL = REFUSED + [(v, x) for v, x in INT_TABLE if isinstance(x, str)]
ALL_DELETED = {
    "tweets": {"deleted": 1.0, "protected": 0, "suspended": 0, "scrub_geo": 0, "bounced": 0}
}


@pytest.fixture(scope="module")
def sb():
    with Sandbox(processing_delay=0, rates=ALL_DELETED, extra_lines=0) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def expected(sb) -> dict[int, tuple[Any, Any]]:
    """The sandbox's result (created_at, redacted_at) for every accepted ID."""
    ids = sorted({x for _, x in ACCEPTED} | {x for _, x in INT_TABLE if isinstance(x, int)})
    table = sb.expected([str(i) for i in ids], "tweets")
    return {
        int(row["id"]): (row["created_at"], row["redacted_at"])
        for row in table.iter_rows(named=True)
    }


def _check_rows(out: pl.DataFrame, expected: dict, wanted: list[int]) -> None:
    """Each row of ``out`` (in the order of ``wanted``) carries the result of its ID."""
    assert out["compliance_reason"].cast(pl.String).to_list() == ["deleted"] * len(wanted)
    got = list(zip(out["compliance_created_at"], out["compliance_redacted_at"], strict=True))
    assert got == [expected[i] for i in wanted]


def _as_polars(frame: Any) -> pl.DataFrame:
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if isinstance(frame, pd.DataFrame):
        return pl.from_pandas(frame)
    return frame.pl()  # DuckDB


FRAMES = {
    "pandas": lambda values: pd.DataFrame({"id": pd.array(values, dtype=object)}),
    "polars": lambda values: pl.DataFrame({"id": pl.Series(values, dtype=_dtype_of(values))}),
    "polars-lazy": lambda values: pl.DataFrame(
        {"id": pl.Series(values, dtype=_dtype_of(values))}
    ).lazy(),
    "duckdb": lambda values: _duck(values),
}


def _dtype_of(values: list[Any]) -> pl.DataType:
    return pl.String if isinstance(values[0], str) else pl.Int64 if min(values) < 0 else pl.UInt64


_DUCK = duckdb.connect()


def _duck(values: list[Any]) -> Any:
    frame = pl.DataFrame({"id": pl.Series(values, dtype=_dtype_of(values))})  # noqa: F841
    return _DUCK.sql("SELECT * FROM frame")


def _sort(out: pl.DataFrame, values: list[Any]) -> pl.DataFrame:
    """Lazy engines keep no row order: put the rows back in the order of ``values``."""
    order = {v: k for k, v in enumerate(values)}
    return out.with_columns(
        pl.col("id").map_elements(order.__getitem__, return_dtype=pl.Int64).alias("_k")
    ).sort("_k")


@pytest.mark.parametrize("entry", list(FRAMES))
def test_check_compliance_accepts_the_same_ids(sb, expected, entry):
    for table in (ACCEPTED, [(v, x) for v, x in INT_TABLE if isinstance(x, int)]):
        values = [v for v, _ in table]
        out = _sort(_as_polars(check_compliance(FRAMES[entry](values), client=sb.client())), values)
        assert out["id"].to_list() == values  # the caller's values, as they were
        _check_rows(out, expected, [x for _, x in table])


@pytest.mark.parametrize("entry", list(FRAMES))
@pytest.mark.parametrize(("value", "why"), REFUSED_ALL)
def test_check_compliance_refuses_with_the_same_reason(sb, entry, value, why):
    before = sb.jobs_created
    with pytest.raises(ComplianceError) as info:
        check_compliance(FRAMES[entry](["5", value] if isinstance(value, str) else [5, value]),
                         client=sb.client())  # fmt: skip
    assert f"{value!r}: {why}" in str(info.value)
    assert sb.jobs_created == before  # refused before anything was sent


def test_the_upload_source_gives_the_same_verdicts():
    for value, verdict in TABLE + INT_TABLE:
        if isinstance(verdict, int):
            assert prepare_ids([value]).data == str(verdict).encode(), repr(value)
        else:
            with pytest.raises(ComplianceError, match=rf"ID number 1 is not an ID \({verdict}"):
                prepare_ids([value])


def _collection(path: Path, values: list[Any]) -> Path:
    path.write_text("".join(json.dumps({"id": v, "text": "t"}) + "\n" for v in values))
    return path


def test_apply_compliance_jsonl_gives_the_same_verdicts(sb, tmp_path):
    accepted = [v for v, _ in ACCEPTED] + [v for v, x in INT_TABLE if isinstance(x, int)]
    src = _collection(tmp_path / "ok.jsonl", accepted)
    dest = tmp_path / "out.jsonl"
    summary = apply_compliance_jsonl(src, dest, client=sb.client(), progress=False)
    distinct = {x for _, x in ACCEPTED} | {x for _, x in INT_TABLE if isinstance(x, int)}
    assert summary.tweets_read == len(distinct)  # "007" and 7 are one ID
    assert summary.tweets_flagged == len(distinct)
    assert dest.read_text() == ""  # every ID deleted, every line gone
    for value, why in REFUSED_ALL:
        src = _collection(tmp_path / "bad.jsonl", ["5", value])
        with pytest.raises(ComplianceError, match=rf"is not an ID \({why}"):
            apply_compliance_jsonl(src, tmp_path / "o.jsonl", client=sb.client(), progress=False)


def test_the_command_line_gives_the_same_verdicts(sb, expected, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("X_BEARER_TOKEN", sb.bearer_token)
    values = [v for v, _ in ACCEPTED]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": v}) + "\n" for v in values))
    dest = tmp_path / "out.parquet"
    rc = cli_main(["check", str(src), "--id-column", "id", "-o", str(dest), "--api-url", sb.url])
    assert rc == 0, capsys.readouterr().err
    out = pl.read_parquet(dest)
    assert out["id"].to_list() == values
    _check_rows(out, expected, [x for _, x in ACCEPTED])
    for value, why in REFUSED:
        src.write_text(json.dumps({"id": "5"}) + "\n" + json.dumps({"id": value}) + "\n")
        capsys.readouterr()
        # --force: the output of the accepted values above is there
        argv = ["check", str(src), "--id-column", "id", "-o", str(dest), "--api-url", sb.url]
        rc = cli_main([*argv, "--force"])
        err = capsys.readouterr().err
        assert rc == 1 and f"{value!r}: {why}" in err, err


def _upload_raw(sb, data: bytes) -> tuple[str, str]:
    """Create a job, PUT ``data`` to its upload URL as is; return (status, results or error)."""
    client = sb.client()
    job = client.create_job("tweets")
    response = requests.put(
        job.upload_url, data=data, headers={"Content-Type": "text/plain"}, timeout=10
    )
    response.raise_for_status()
    try:
        done = client.wait(job, poll_interval=0.05, timeout=20)
    except ComplianceError as exc:
        return "failed", str(exc)
    return "complete", requests.get(done.download_url, timeout=10).text


def test_the_sandbox_reads_an_uploaded_file_by_the_same_rule(sb):
    for value, verdict in TABLE:
        if value == "" or value.strip(" \t\n\r\x0b\x0c") == "":
            continue  # a line holding nothing is a blank line of the file (next test)
        status, text = _upload_raw(sb, b"5\n" + value.encode() + b"\n")
        if isinstance(verdict, int):
            assert status == "complete", (value, text)
            ids = {json.loads(line)["id"] for line in text.splitlines() if line}
            assert ids == {"5", str(verdict)}, value
        else:
            assert status == "failed" and verdict in text, (value, text)


def test_the_sandbox_skips_blank_lines(sb):
    # the file format, not a value: the client never writes one (an empty value is refused
    # before upload, above); the sandbox passes over blank lines, as X's is not documented
    status, text = _upload_raw(sb, b"5\n\n   \n6\n")
    assert status == "complete"
    assert {json.loads(line)["id"] for line in text.splitlines() if line} == {"5", "6"}
