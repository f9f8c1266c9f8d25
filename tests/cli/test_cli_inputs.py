"""compliance-nb check, as a real process, on every input form: ID lists, CSV and TSV with
and without a header, Parquet, JSON lines, their gzip forms and standard input. Each gives
the Python API's answer for the same IDs, row for row, with the IDs exact."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

import polars as pl
import pytest
from _cli_helpers import api_answer, cli, cli_answer, sample_ids

from compliance_nb.sandbox import Sandbox


@pytest.fixture(scope="module")
def sb():
    with Sandbox(processing_delay=0) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def ids() -> list[str]:
    values = sample_ids(40, seed=11)
    assert any(int(v) > 2**53 for v in values)  # a float would lose their digits
    return values


@pytest.fixture(scope="module")
def expected(sb, ids, tmp_path_factory) -> pl.DataFrame:
    answer = api_answer(sb, ids, tmp_path_factory.mktemp("api"))
    assert answer["compliant"].to_list().count("false") > 0  # some IDs need action
    return answer


def _lines(ids: list[str]) -> str:
    return "\n".join(ids) + "\n"


def _id_list(ids: list[str]) -> bytes:
    # comments, blank lines, white space and Windows line ends, all ignored
    body = "# my collection, as published\n\n" + "\r\n".join(f" {i} " for i in ids) + "\n\n"
    return body.encode()


def _csv(ids: list[str], sep: str = ",", header: str | None = "id") -> bytes:
    rows = [f"{i}{sep}text {n}" for n, i in enumerate(ids)]
    head = [f"{header}{sep}text"] if header else []
    return ("\n".join(head + rows) + "\n").encode()


def _parquet(ids: list[str]) -> bytes:
    import io

    buf = io.BytesIO()
    pl.DataFrame({"text": ["t"] * len(ids), "id": ids}).write_parquet(buf)
    return buf.getvalue()


def _jsonl(ids: list[str]) -> bytes:
    # the IDs as JSON numbers: read as text all the same
    return "".join(json.dumps({"id": int(i), "n": 1}) + "\n" for i in ids).encode()


# name -> (file name or "-" for stdin, its bytes, extra arguments, the output's ID column)
FORMS: dict[str, tuple[str, Callable[[list[str]], bytes], list[str], str]] = {
    "txt": ("ids.txt", _id_list, [], "id"),
    "ids.gz": ("ids.ids.gz", lambda ids: gzip.compress(_id_list(ids)), [], "id"),
    "csv": ("tweets.csv", _csv, [], "id"),
    "csv.gz": ("tweets.csv.gz", lambda ids: gzip.compress(_csv(ids)), [], "id"),
    "csv, one column, no header": ("ids.csv", lambda ids: _lines(ids).encode(), [], "column_1"),
    "csv --no-header --id-column 1": (
        "export.csv",
        lambda ids: _csv(ids, header=None),
        ["--no-header", "--id-column", "1"],
        "column_1",
    ),
    "tsv, named column": (
        "tweets.tsv",
        lambda ids: _csv(ids, "\t", "tweet_id"),
        ["--id-column", "tweet_id"],
        "tweet_id",
    ),
    "tsv.gz": ("tweets.tsv.gz", lambda ids: gzip.compress(_csv(ids, "\t")), [], "id"),
    "parquet": ("tweets.parquet", _parquet, [], "id"),
    "jsonl": ("tweets.jsonl", _jsonl, [], "id"),
    "jsonl.gz": ("tweets.jsonl.gz", lambda ids: gzip.compress(_jsonl(ids)), [], "id"),
    "stdin, an ID list": ("-", _id_list, [], "id"),
    "stdin, gzip csv with --format": (
        "-",
        lambda ids: gzip.compress(_csv(ids)),
        ["--format", "csv"],
        "id",
    ),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_every_input_form_gives_the_python_apis_answer(sb, ids, expected, tmp_path, form):
    name, build, extra, id_column = FORMS[form]
    data = build(ids)
    if name != "-":
        (tmp_path / name).write_bytes(data)
    dest = tmp_path / "out.parquet"
    proc = cli(
        "check",
        name,
        "-o",
        dest,
        *extra,
        sandbox=sb,
        cwd=tmp_path,
        stdin=data if name == "-" else None,
    )
    assert proc.returncode == 0, proc.stderr
    got = cli_answer(dest, id_column)
    assert got["id"].to_list() == ids  # exact, in order, none lost (not the first line either)
    assert got.equals(expected)
    assert proc.stdout.startswith(f"Checked {len(ids)} rows")


def test_a_csv_without_header_keeps_its_first_id_and_says_so(sb, ids, tmp_path):
    source = tmp_path / "ids.csv"
    source.write_text(_lines(ids))
    dest = tmp_path / "out.csv"
    proc = cli("check", source, "-o", dest, sandbox=sb)
    assert proc.returncode == 0, proc.stderr
    assert f"holds a value ({ids[0]}) where the IDs are, not a column name" in proc.stderr
    out = pl.read_csv(dest, schema_overrides={"column_1": pl.String})
    assert out["column_1"].to_list() == ids  # 40 of 40, the first line included


def test_a_multi_column_csv_without_header_names_the_way_out(sb, ids, tmp_path):
    source = tmp_path / "export.csv"
    source.write_bytes(_csv(ids, header=None))
    before = sb.jobs_created
    proc = cli("check", source, "-o", tmp_path / "out.csv", sandbox=sb)
    assert proc.returncode == 1
    assert "--no-header" in proc.stderr and "--id-column 1" in proc.stderr
    assert sb.jobs_created == before
    assert not (tmp_path / "out.csv").exists()


def test_quiet_silences_progress_and_notes_but_not_the_summary(sb, ids, tmp_path):
    source = tmp_path / "ids.csv"
    source.write_text(_lines(ids))
    proc = cli("check", source, "-o", tmp_path / "o.parquet", "--quiet", sandbox=sb)
    assert proc.returncode == 0
    assert proc.stderr == ""
    assert proc.stdout.startswith("Checked ")
    loud = cli("check", source, "-o", tmp_path / "o2.parquet", sandbox=sb)
    assert "[tweets" in loud.stderr and "holds a value" in loud.stderr


def test_a_checked_table_checked_again_gets_fresh_results(sb, ids, expected, tmp_path):
    first = tmp_path / "results.csv"
    assert (
        cli("check", "-", "-o", first, "--quiet", sandbox=sb, stdin=_id_list(ids)).returncode == 0
    )
    again = tmp_path / "again.parquet"
    proc = cli("check", first, "-o", again, sandbox=sb)
    assert proc.returncode == 0, proc.stderr
    assert "holds the results of an earlier check" in proc.stderr
    assert cli_answer(again).equals(expected)
    assert pl.read_parquet(again).columns == pl.read_csv(first).columns  # replaced, not doubled


def test_no_header_columns_by_number_for_tweets_and_authors(sb, tmp_path):
    from compliance_nb.datasets import sample_tweets

    tweets = sample_tweets(200, seed=8, backend="polars").drop_nulls("id")
    tweets.select("id", "author_id").write_csv(tmp_path / "pairs.csv", include_header=False)
    dest = tmp_path / "out.parquet"
    argv = ["--no-header", "--id-column", "1", "--user-id-column", "2"]
    proc = cli("check", tmp_path / "pairs.csv", "-o", dest, *argv, "--quiet", sandbox=sb)
    assert proc.returncode == 0, proc.stderr
    out = pl.read_parquet(dest)
    assert out["column_1"].to_list() == tweets["id"].to_list()
    assert out["column_2"].to_list() == tweets["author_id"].to_list()  # text, exact
    gone = set(sb.expected(tweets["author_id"].to_list(), "users").filter(
        pl.col("action").is_not_null())["id"].to_list())  # fmt: skip
    flagged = out.filter(pl.col("user_compliance_reason").is_not_null())["column_2"]
    assert gone and set(flagged.to_list()) == gone
