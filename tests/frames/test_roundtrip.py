"""A checked frame saved and read back gives the same report, charts, apply and provenance.

One real sandbox run (Tweets and their authors) per library; each is written to CSV,
Parquet and JSON lines with that library's own writer, and read back with the default
reader plus the ID columns as text (pandas ``dtype=``, polars ``schema_overrides=``).
What the report counts, what every ``plot_*`` draws and what ``apply_compliance`` removes
must equal what they give for the frame before saving; the provenance (sandbox, jobs,
when the results were produced) must come back from the file.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
import polars as pl
import pytest

from compliance_nb import (
    SimulatedResultsWarning,
    apply_compliance,
    check_compliance,
    compliance_report,
    plot_availability,
    plot_reasons,
    plot_redaction_dates,
    plot_redaction_lag,
    provenance_metadata,
)
from compliance_nb.datasets import sample_tweets
from compliance_nb.jobs.runinfo import recall
from compliance_nb.sandbox import Sandbox

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ID_COLUMNS = ("id", "author_id")
PLOTS = [plot_reasons, plot_redaction_dates, plot_availability, plot_redaction_lag]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One checked frame per library, from a real sandbox run (Tweets and authors)."""
    folder = tmp_path_factory.mktemp("roundtrip")
    out: dict[str, Any] = {}
    with Sandbox(processing_delay=0) as sb:
        for library in ("pandas", "polars"):
            out[library] = check_compliance(
                sample_tweets(400, seed=11, backend=library),
                user_id_column="author_id",
                client=sb.client(),
                progress=False,
                ledger_path=folder / f"{library}.sqlite3",
            )
    return out


def save_and_read(frame: Any, library: str, fmt: str, folder: Path) -> Any:
    path = folder / f"checked.{fmt}"
    if library == "pandas":
        as_text = dict.fromkeys(ID_COLUMNS, str)
        if fmt == "csv":
            frame.to_csv(path, index=False)
            return pd.read_csv(path, dtype=as_text)
        if fmt == "parquet":
            frame.to_parquet(path)
            return pd.read_parquet(path)
        frame.to_json(path, orient="records", lines=True, date_format="iso")
        return pd.read_json(path, lines=True, dtype=as_text)
    overrides = dict.fromkeys(ID_COLUMNS, pl.String)
    if fmt == "csv":
        frame.write_csv(path)
        return pl.read_csv(path, schema_overrides=overrides)
    if fmt == "parquet":
        frame.write_parquet(path, metadata=provenance_metadata(frame))
        return pl.read_parquet(path)
    frame.write_ndjson(path)
    return pl.read_ndjson(path, schema_overrides=overrides)


def drawn(plot: Any, frame: Any) -> list[Any]:
    """What a chart draws, read from its artists: every patch's geometry, every line's
    data, every text (titles, labels, ticks, legends), axis by axis."""
    figure = plot(frame).figure
    try:
        out: list[Any] = []
        for ax in figure.axes:
            out.append(
                (
                    [
                        (round(p.get_x(), 9), round(p.get_y(), 9), round(p.get_height(), 9))
                        for p in ax.patches
                        if hasattr(p, "get_height")
                    ],
                    # a gap in a line is NaN, which equals nothing: written as None
                    [
                        [[None if v != v else v for v in xy] for xy in line.get_xydata().round(9)]
                        for line in ax.lines
                    ],
                    sorted(t.get_text() for t in ax.findobj(matplotlib.text.Text)),
                )
            )
        return out
    finally:
        plt.close(figure)


FORMATS = ["csv", "parquet", "jsonl"]
LIBRARIES = ["pandas", "polars"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("library", LIBRARIES)
def test_report_and_provenance_survive_the_file(runs, library, fmt, tmp_path):
    checked = runs[library]
    back = save_and_read(checked, library, fmt, tmp_path)
    before, after = compliance_report(checked).to_dict(), compliance_report(back).to_dict()
    assert after["kinds"] == before["kinds"]
    assert set(after["kinds"]) == {"tweets", "users"}
    assert after["kinds"]["tweets"]["needing_action"] > 0  # not a comparison of zeros
    # provenance: simulated, the same jobs, produced when they were
    info = recall(back)
    assert info is not None and info.sandbox is True
    assert info.job_ids == recall(checked).job_ids
    assert [j.completed_at for j in info.jobs] == [j.completed_at for j in recall(checked).jobs]
    assert after["sandbox"] is True and after["jobs"] == before["jobs"]
    assert after["text"].startswith("SIMULATED")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("library", LIBRARIES)
def test_apply_removes_the_same_rows_after_a_round_trip(runs, library, fmt, tmp_path):
    checked = runs[library]
    back = save_and_read(checked, library, fmt, tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, want = apply_compliance(checked, return_summary=True)
        kept, got = apply_compliance(back, return_summary=True)
    assert got == want
    assert want["rows_removed"] > 0
    # simulated results warn, read back or not
    assert [w.category for w in caught] == [SimulatedResultsWarning] * 2
    ids = kept["id"].tolist() if library == "pandas" else kept["id"].to_list()
    with pytest.warns(SimulatedResultsWarning):
        fresh = apply_compliance(checked)
    fresh_ids = fresh["id"].tolist() if library == "pandas" else fresh["id"].to_list()
    assert ids == fresh_ids


@pytest.mark.parametrize("plot", PLOTS, ids=lambda p: p.__name__)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("library", LIBRARIES)
def test_every_chart_draws_the_same_from_a_reloaded_frame(runs, library, fmt, plot, tmp_path):
    checked = runs[library]
    back = save_and_read(checked, library, fmt, tmp_path)
    want = drawn(plot, checked)
    assert any(patches or lines for patches, lines, _ in want)  # the chart draws something
    assert drawn(plot, back) == want


def test_the_column_alone_carries_the_provenance(runs, tmp_path):
    """A frame cut down to the ID and the source column still says where it came from."""
    checked = runs["polars"]
    only = checked.select("id", "compliance_source")
    only.write_csv(tmp_path / "few.csv")
    info = recall(pl.read_csv(tmp_path / "few.csv", schema_overrides={"id": pl.String}))
    assert info is not None and info.sandbox is True
    assert info.job_ids == recall(checked).job_ids
    assert recall(checked.drop("compliance_source")) is None


def test_parquet_metadata_holds_the_record_for_polars(runs, tmp_path):
    import json

    checked = runs["polars"]
    path = tmp_path / "c.parquet"
    checked.write_parquet(path, metadata=provenance_metadata(checked))
    record = json.loads(pl.read_parquet_metadata(path)["compliance_nb"])
    assert record["sandbox"] is True
    assert record["job_ids"] == {k: list(v) for k, v in recall(checked).job_ids.items()}


def test_pandas_json_lines_with_its_default_epoch_dates_and_float_flags(runs, tmp_path):
    """pandas' to_json writes datetimes as epoch milliseconds by default, and read_json makes
    a nullable boolean column float: the counts still equal the frame's."""
    checked = runs["pandas"]
    path = tmp_path / "checked.jsonl"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas announces a change of that default
        checked.to_json(path, orient="records", lines=True)
    back = pd.read_json(path, lines=True, dtype=dict.fromkeys(ID_COLUMNS, str))
    assert (
        compliance_report(back).to_dict()["kinds"] == compliance_report(checked).to_dict()["kinds"]
    )
    for plot in PLOTS:
        assert drawn(plot, back) == drawn(plot, checked), plot.__name__


def test_an_id_column_read_as_float_is_refused_with_the_fix(runs, tmp_path):
    from compliance_nb import InputError

    checked = runs["pandas"]
    checked.to_csv(tmp_path / "c.csv", index=False)
    back = pd.read_csv(tmp_path / "c.csv")  # no dtype: the IDs with a null become float
    assert back["id"].dtype.kind == "f"
    with pytest.raises(InputError, match=r"dtype=\{'id': str\}"):
        compliance_report(back)
