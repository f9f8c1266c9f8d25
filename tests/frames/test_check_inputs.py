"""Bad input to check_compliance: a clear error before any request, and nothing changed."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from _check_helpers import CONSTRUCTORS, assert_same_frame, copy_of

from compliance_nb._exceptions import IDColumnTypeError, InputError, MissingTokenError
from compliance_nb.frames.check import check_compliance
from compliance_nb.frames.joins import join_results

ADDED = [
    "compliance_action",
    "compliance_reason",
    "compliance_created_at",
    "compliance_redacted_at",
    "compliant",
    "compliance_status",
]


def fast_client(sb: Any) -> Any:
    return sb.client(sleep=lambda s: time.sleep(min(s, 0.02)))


BAD_INPUTS = {
    "float column": (pd.DataFrame({"id": [1.8e18, 2.0]}), {}, IDColumnTypeError, "2\\*\\*53"),
    "polars float": (pl.DataFrame({"id": [1.0, None]}), {}, IDColumnTypeError, "schema_overrides"),
    "non-numeric": (pd.DataFrame({"id": ["20", "abc"]}), {}, InputError, "'abc'"),
    "negative": (pl.DataFrame({"id": [20, -1]}), {}, InputError, "-1"),
    "leading plus": (pl.DataFrame({"id": ["+20"]}), {}, InputError, "'\\+20'"),
    "inner space": (pl.DataFrame({"id": ["2 0"]}), {}, InputError, "'2 0'"),
    "exponent": (pd.DataFrame({"id": ["1e18"]}), {}, InputError, "'1e18'"),
    "20 digits": (pd.DataFrame({"id": ["12345678901234567890"]}), {}, InputError, "1 value"),
    "bytes": (pd.DataFrame({"id": [b"20"]}), {}, IDColumnTypeError, "bytes"),
    "mixed object": (
        pd.DataFrame({"id": pd.Series([20, "21", b"x"], dtype=object)}),
        {},
        InputError,
        "b'x'",
    ),
    "missing column": (
        pd.DataFrame({"tweet_id": ["20"], "text": ["x"]}),
        {},
        InputError,
        "'tweet_id', 'text'",
    ),
    "unknown kind": (pd.DataFrame({"id": ["20"]}), {"kind": "posts"}, InputError, "tweets.*users"),
    "clashing column": (
        pd.DataFrame({"id": ["20"], "compliant": [True]}),
        {},
        InputError,
        "prefix=",
    ),
    "clashing user column": (
        pl.DataFrame({"id": ["20"], "a": ["1"], "user_compliance_reason": ["x"]}),
        {"user_id_column": "a"},
        InputError,
        "user_compliance_reason",
    ),
    "bad user ids": (
        pl.DataFrame({"id": ["20"], "a": ["x1"]}),
        {"user_id_column": "a"},
        InputError,
        "'x1'",
    ),
    "missing user column": (
        pl.DataFrame({"id": ["20"]}),
        {"user_id_column": "author_id"},
        InputError,
        "author_id",
    ),
    "user column with users kind": (
        pl.DataFrame({"id": ["20"], "a": ["1"]}),
        {"kind": "users", "user_id_column": "a"},
        InputError,
        "kind='tweets'",
    ),
    "long name": (pl.DataFrame({"id": ["20"]}), {"name": "x" * 65}, InputError, "64"),
    "bad errors mode": (pl.DataFrame({"id": ["20"]}), {"errors": "skip"}, InputError, "coerce"),
    "empty prefix": (pl.DataFrame({"id": ["20"]}), {"prefix": ""}, InputError, "prefix"),
    "zero ids per job": (
        pl.DataFrame({"id": ["20"]}),
        {"max_ids_per_job": 0},
        InputError,
        "positive",
    ),
    "bad threshold": (
        pl.DataFrame({"id": ["20"]}),
        {"resumable_threshold": -1},
        InputError,
        "bytes",
    ),
    "bad max_age": (pl.DataFrame({"id": ["20"]}), {"max_age": "1 day"}, InputError, "timedelta"),
    "not a frame": ([20, 21], {}, InputError, "DataFrame"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=list(BAD_INPUTS))
def test_bad_input_raises_before_any_request(sandbox, case):
    df, kwargs, error, pattern = BAD_INPUTS[case]
    before = copy_of(df) if isinstance(df, (pd.DataFrame, pl.DataFrame)) else None
    with pytest.raises(error, match=pattern):
        check_compliance(df, client=fast_client(sandbox), progress=False, **kwargs)
    assert sandbox.jobs_created == 0
    assert sandbox.requests_log == []
    if before is not None:
        assert_same_frame(df, before)


def test_float_error_is_a_type_error(sandbox):
    with pytest.raises(TypeError):
        check_compliance(pd.DataFrame({"id": [np.float64(20)]}), client=fast_client(sandbox))


def test_coerce_gives_null_results_and_warns(sandbox):
    df = pd.DataFrame({"id": ["1800000000000000001", "abc", None, "-5"]}, index=list("wxyz"))
    with pytest.warns(UserWarning, match="2 value"):
        out = check_compliance(df, errors="coerce", client=fast_client(sandbox), progress=False)
    assert list(out.index) == list("wxyz")
    assert out["compliant"].isna().tolist() == [False, True, True, True]
    assert out["compliance_status"].isna().tolist() == [False, True, True, True]
    assert sandbox.job_state(sandbox.created_job_ids[0])["n_ids"] == 1


def _check_empty(out: Any, n: int) -> None:
    assert len(out) == n
    for c in ADDED:
        assert c in out.columns
    if isinstance(out, pd.DataFrame):
        assert str(out["compliance_created_at"].dtype) == "datetime64[us, UTC]"
        assert str(out["compliant"].dtype) == "boolean"
        assert out[ADDED].isna().all().all()
    else:
        assert out.schema["compliance_redacted_at"] == pl.Datetime("us", "UTC")
        assert out.schema["compliant"] == pl.Boolean
        assert out.select(ADDED).null_count().row(0) == (n,) * len(ADDED)


@pytest.mark.parametrize(
    "df",
    [
        pd.DataFrame({"id": pd.Series([], dtype="str")}),
        pd.DataFrame({"id": [None, None]}, dtype=object),
        pl.DataFrame({"id": pl.Series([], dtype=pl.Int64)}),
        pl.DataFrame({"id": [None, None]}),
    ],
    ids=["pandas-empty", "pandas-nulls", "polars-empty", "polars-nulls"],
)
def test_empty_or_all_null_creates_no_job_and_needs_no_token(sandbox, df):
    out = check_compliance(df, progress=False)  # client=None and no token: never needed
    _check_empty(out, len(df))
    assert sandbox.jobs_created == 0


def test_missing_token_names_env_vars_and_sandbox():
    with pytest.raises(MissingTokenError, match=r"X_BEARER_TOKEN.*Sandbox"):
        check_compliance(pl.DataFrame({"id": ["20"]}), progress=False)


def test_prefix_renames_every_added_column(sandbox):
    df = pl.DataFrame({"id": ["20", "21"], "a": ["5", "6"], "compliant": [1, 2]})
    out = check_compliance(
        df, user_id_column="a", prefix="cx_", client=fast_client(sandbox), progress=False
    )
    fields = ["action", "reason", "created_at", "redacted_at"]
    assert out.columns == [
        "id",
        "a",
        "compliant",
        *[f"cx_{f}" for f in fields],
        *[f"user_cx_{f}" for f in fields],
        "cx_compliant",
        "cx_status",
        "cx_source",
    ]
    assert out["compliant"].to_list() == [1, 2]


def test_join_results_rejects_bad_ids_before_reading_results(tmp_path):
    missing = tmp_path / "nope.jsonl"  # never opened: validation first
    with pytest.raises(InputError, match="'x'"):
        join_results(pl.DataFrame({"id": ["x"]}), missing)


def test_all_backends_listed():
    assert len(CONSTRUCTORS) == 9


def test_a_pandas_column_read_in_parts_gives_the_same_rows_as_polars(sandbox, monkeypatch):
    import compliance_nb.frames.native as frames

    monkeypatch.setattr(frames, "PART_ROWS", 3)  # ten rows: four parts
    ids = ["1800000000000000001", "abc", None, "20", "1800000000000000001", "x", "21", None]
    ids += ["22", str(2**63 - 1)]
    pdf = pd.DataFrame({"id": pd.array(ids, dtype="str")}, index=[f"r{i}" for i in range(10)])
    client = fast_client(sandbox)
    with pytest.warns(UserWarning, match="2 value") as caught:
        out = check_compliance(pdf, errors="coerce", client=client, progress=False)
    assert caught[0].filename == __file__  # the warning points at the caller's line
    expected = check_compliance(
        pl.DataFrame({"id": [None if v in ("abc", "x") else v for v in ids]}),
        client=client,
        progress=False,
    )
    assert list(out.index) == list(pdf.index)
    assert out["compliant"].isna().tolist() == expected["compliant"].is_null().to_list()
    assert (
        out["compliance_status"]
        .astype(object)
        .where(out["compliance_status"].notna(), None)
        .tolist()
        == expected["compliance_status"].cast(pl.String).to_list()
    )
    assert sandbox.job_state(sandbox.created_job_ids[0])["n_ids"] == 5
