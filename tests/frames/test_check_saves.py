"""A checked frame saves with every pandas writer, and keeps its run record where it can.

pandas writes ``DataFrame.attrs`` into a Parquet file's metadata; the run record left there
must be plain data, or ``to_parquet`` fails (it did: a ``RunInfo`` object in ``attrs``).
"""

from __future__ import annotations

import pandas as pd
import pytest

from compliance_nb import check_compliance, compliance_report
from compliance_nb.datasets import sample_tweets
from compliance_nb.jobs.runinfo import recall


@pytest.fixture
def checked(sandbox) -> pd.DataFrame:
    df = sample_tweets(300, seed=3)
    return df.pipe(check_compliance, client=sandbox.client(), user_id_column="author_id")


def test_checked_pandas_frame_round_trips_through_parquet(checked, tmp_path):
    path = tmp_path / "checked.parquet"
    checked.to_parquet(path)
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, checked, check_dtype=False)
    info = recall(back)
    assert info is not None
    assert info.sandbox is True
    assert info.kinds == ("tweets", "users")
    assert info.user_id_column == "author_id"
    # the jobs are the ones the run made, as the sandbox knows them
    assert info.job_ids == recall(checked).job_ids
    assert all(len(ids) == 1 and ids[0].isdigit() for ids in info.job_ids.values())


@pytest.mark.parametrize(
    ("writer", "kw"),
    [("feather", {}), ("pickle", {}), ("csv", {}), ("json", {"date_format": "iso"})],
)
def test_checked_pandas_frame_saves_with_other_writers(checked, tmp_path, writer, kw):
    path = tmp_path / f"checked.{writer}"
    getattr(checked, f"to_{writer}")(path, **kw)
    assert path.stat().st_size > 0


def test_report_of_the_reloaded_parquet_matches_the_original(checked, tmp_path):
    path = tmp_path / "checked.parquet"
    checked.to_parquet(path)
    before = compliance_report(checked).to_dict()
    after = compliance_report(pd.read_parquet(path)).to_dict()
    assert after == before
    assert after["sandbox"] is True


def test_attrs_hold_plain_data_only(checked):
    def plain(value: object) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, (str, bool, int, float))

    assert checked.attrs and plain(checked.attrs)
