"""check_compliance end to end against the sandbox: results equal the oracle row for row,
on every backend, for Tweets, users, and both at once."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import polars as pl
import pytest
from _check_helpers import (  # noqa: F401 - fixture
    CONSTRUCTORS,
    added_as_polars,
    assert_same_frame,
    constructor,
    copy_of,
    original_part,
)

from compliance_nb.datasets import sample_tweets
from compliance_nb.frames.check import check_compliance

FIELDS = ("action", "reason", "created_at", "redacted_at")
MAIN = [f"compliance_{f}" for f in FIELDS]
USER = [f"user_compliance_{f}" for f in FIELDS]
GEO = ("scrub_geo", "geo_scrubbed")


def fast_client(sb: Any) -> Any:
    """The sandbox client, polling every few milliseconds instead of every second."""
    return sb.client(sleep=lambda s: time.sleep(min(s, 0.02)))


def tweet_ids(n: int = 120) -> list[int | None]:
    """Big snowflakes (> 2**53), the largest ID, a repeat and a null."""
    ids: list[int | None] = [1_800_000_000_000_000_001 + 7_919 * i for i in range(n)]
    return [*ids, 2**63 - 1, ids[3], None, ids[0]]


def expected_rows(sb: Any, ids: list[Any], kind: str) -> list[tuple[Any, ...]]:
    """The oracle's verdict for each row's ID (None row where the ID is None)."""
    present = [int(v) for v in ids if v is not None]
    oracle = sb.expected(present, kind)
    by_id = {row[0]: row[1:] for row in oracle.iter_rows()}
    return [(None,) * 4 if v is None else by_id[str(int(v))] for v in ids]


def label(reason: str | None) -> str:
    if reason is None:
        return "available"
    return "geo_scrubbed" if reason in GEO else reason


@pytest.mark.parametrize("kind", ["tweets", "users"])
def test_results_equal_the_oracle_on_every_backend(sandbox, constructor, kind):  # noqa: F811
    ids = tweet_ids()
    if constructor is CONSTRUCTORS["pandas-int64"]:  # numpy int64 cannot hold a null
        ids = [v for v in ids if v is not None]
    df = constructor(ids)
    before = copy_of(df)
    out = check_compliance(df, kind=kind, client=fast_client(sandbox), progress=False)

    assert type(out) is type(df)
    assert_same_frame(df, before)  # input not mutated
    assert_same_frame(original_part(out, before), before)  # columns, dtypes, index kept
    added_names = [*MAIN, "compliant", "compliance_status", "compliance_source"]
    assert list(out.columns) == [*before.columns, *added_names]
    added = added_as_polars(out, added_names[:-1])
    want = expected_rows(sandbox, ids, kind)
    assert added.select(MAIN).rows() == want
    assert added["compliant"].to_list() == [
        None if v is None else w[0] is None for v, w in zip(ids, want, strict=True)
    ]
    assert added["compliance_status"].to_list() == [
        None if v is None else label(w[1]) for v, w in zip(ids, want, strict=True)
    ]
    assert sandbox.jobs_created == 1
    # the oracle marks some of these IDs, so the comparison above is not all-null
    assert 0 < sum(w[0] is not None for w in want) < len(ids)


def test_added_dtypes(sandbox):
    ids = tweet_ids(20)
    pd_out = check_compliance(
        CONSTRUCTORS["pandas-str"](ids), client=fast_client(sandbox), progress=False
    )
    assert str(pd_out["compliance_created_at"].dtype) == "datetime64[us, UTC]"
    assert str(pd_out["compliant"].dtype) == "boolean"
    for label in (
        "compliance_action",
        "compliance_reason",
        "compliance_status",
        "compliance_source",
    ):
        assert str(pd_out[label].dtype) == "category", label
    pl_out = check_compliance(
        CONSTRUCTORS["polars-String"](ids), client=fast_client(sandbox), progress=False
    )
    utc = pl.Datetime("us", "UTC")
    assert pl_out.schema["compliance_redacted_at"] == utc
    for label in ("compliance_action", "compliance_reason", "compliance_status"):
        assert pl_out.schema[label] == pl.Categorical, label
    assert pl_out.schema["compliant"] == pl.Boolean


def test_big_ids_survive_exactly(sandbox):
    ids = [1_800_000_000_000_000_001, 2**63 - 1, 2**53 + 1]
    df = pl.DataFrame({"id": [str(v) for v in ids]})
    events = []
    out = check_compliance(df, client=fast_client(sandbox), progress=events.append)
    assert out["id"].to_list() == [str(v) for v in ids]
    uploaded = sandbox.job_state(sandbox.created_job_ids[0])
    assert uploaded["n_ids"] == 3
    joined = [e for e in events if e.stage == "joined"]
    assert joined[0].counts["checked"] == 3


def test_tweets_and_users_together(sandbox):
    df = sample_tweets(300, seed=3)  # pandas, IDs as strings, author_id, some null IDs
    before = copy_of(df)
    out = check_compliance(
        df, user_id_column="author_id", client=fast_client(sandbox), progress=False
    )
    assert_same_frame(df, before)
    assert_same_frame(original_part(out, before), before)
    assert sandbox.jobs_created == 2
    kinds = sorted(sandbox.job_state(j)["type"] for j in sandbox.created_job_ids)
    assert kinds == ["tweets", "users"]

    tweet_ids_ = [None if pd.isna(v) else int(v) for v in df["id"]]
    user_ids = [None if pd.isna(v) else int(v) for v in df["author_id"]]
    t_want = expected_rows(sandbox, tweet_ids_, "tweets")
    u_want = expected_rows(sandbox, user_ids, "users")
    added = added_as_polars(out, [*MAIN, *USER, "compliant", "compliance_status"])
    assert added.select(MAIN).rows() == t_want
    assert added.select(USER).rows() == u_want

    def status(tid: Any, t: tuple[Any, ...], u: tuple[Any, ...]) -> str | None:
        if tid is None:
            return None
        if t[1] is not None and t[1] not in GEO:
            return t[1]
        if u[1] is not None and u[1] not in GEO:
            return "user_" + u[1]
        if t[1] in GEO or u[1] in GEO:
            return "geo_scrubbed"
        return "available"

    want_status = [status(*row) for row in zip(tweet_ids_, t_want, u_want, strict=True)]
    assert added["compliance_status"].to_list() == want_status
    want_compliant = [
        None if tid is None else (t[0] is None and u[0] is None)
        for tid, t, u in zip(tweet_ids_, t_want, u_want, strict=True)
    ]
    assert added["compliant"].to_list() == want_compliant
    # a Tweet the Tweets job says nothing about, whose author is gone, is not available
    assert any(
        s is not None and s.startswith("user_") and t[0] is None
        for s, t in zip(want_status, t_want, strict=True)
    )


def test_users_kind_on_polars(sandbox):
    df = sample_tweets(150, seed=4, backend="polars").select("author_id")
    out = check_compliance(
        df, id_column="author_id", kind="users", client=fast_client(sandbox), progress=False
    )
    ids = [None if v is None else int(v) for v in df["author_id"].to_list()]
    assert out.select(MAIN).rows() == expected_rows(sandbox, ids, "users")
    assert sandbox.job_state(sandbox.created_job_ids[0])["type"] == "users"


def test_progress_events_end_with_joined_counts(sandbox):
    ids = tweet_ids(40)
    events = []
    check_compliance(pl.DataFrame({"id": ids}), client=fast_client(sandbox), progress=events.append)
    stages = [e.stage for e in events]
    assert stages[0] == "creating" and stages[-1] == "joined"
    assert {"created", "uploaded", "downloaded"} <= set(stages)
    counts = events[-1].counts
    distinct = len({v for v in ids if v is not None})
    assert counts["checked"] == distinct
    assert sum(v for k, v in counts.items() if k != "checked") == distinct
    oracle = sandbox.expected([v for v in ids if v is not None], "tweets")
    assert counts["available"] == oracle["action"].null_count()


def test_progress_reporter_is_closed(sandbox):
    from compliance_nb.display.reporter import Reporter

    class Recorder(Reporter):
        def __init__(self) -> None:
            self.events: list[Any] = []
            self.closed: list[Any] = []

        def __call__(self, event: Any) -> None:
            self.events.append(event)

        def close(self, error: BaseException | None = None) -> None:
            self.closed.append(error)

    rec = Recorder()
    check_compliance(pl.DataFrame({"id": [20, 21]}), client=fast_client(sandbox), progress=rec)
    assert rec.closed == [None]
    assert rec.events[-1].stage == "joined"
