"""``check_compliance`` and ``join_results``: the DataFrame-level calls.

``check_compliance`` takes a frame with a column of IDs, runs X's batch compliance job(s)
for the distinct IDs and returns the same frame with the results joined on as new
columns. ``join_results`` joins a results file you already have (from any tool) the same
way, without calling the API.

Added columns and how ``prefix=`` names them (``p`` is the prefix, default
``"compliance_"``)::

    default name              with prefix="p"           meaning
    compliance_action         p + "action"              the result's action ("delete")
    compliance_reason         p + "reason"              "deleted", "suspended", ...
    compliance_created_at     p + "created_at"          when the Tweet/user was created (UTC)
    compliance_redacted_at    p + "redacted_at"         when the compliance event happened (UTC)
    user_compliance_*         "user_" + p + ...         the same, for user_id_column=
    compliant                 p + "compliant"           False: action needed; True: none;
                                                        null: ID missing (or invalid, coerced)
    compliance_status         p + "status"              one label per row (check_compliance)

(``compliant`` keeps its short name only with the default prefix.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import numpy as np
import polars as pl

from .._events import CancelToken, ProgressEvent, emit
from .._exceptions import InputError
from .._timestamps import TIMESTAMP_FORMAT
from ..api.job import check_kind
from ..jobs.engine import (
    DEFAULT_MAX_IDS_PER_JOB,
    DEFAULT_RESUMABLE_THRESHOLD,
    EngineResult,
    run_kinds,
    validate_options,
)
from ..jobs.idset import repeated_values, unique_ids
from ..jobs.results import RESULTS_SCHEMA, collapse_results, read_results
from ..rules.ids import id_values
from ..rules.outcomes import Lookup, compliant_expr, label_expr, status_expr
from .ids import ParsedIds, parse_id_parts
from .lazy.distinct import unique_lazy_ids
from .lazy.engines import as_lazy, backend_name, is_lazy
from .lazy.join import finish_lazy, join_lazy
from .native import (
    RowPlan,
    add_columns,
    add_gathered,
    as_frame,
    column_parts,
    gather_rows,
    is_path,
    require_columns,
    to_polars,
)
from .rowstate import RowResults

if TYPE_CHECKING:
    from ..api.client import ComplianceClient

__all__ = ["ColumnNames", "check_compliance", "join_results"]

DEFAULT_PREFIX = "compliance_"
_UTC = pl.Datetime("us", "UTC")
_RESULT_FIELDS = ("action", "reason", "created_at", "redacted_at")


@dataclass(frozen=True)
class ColumnNames:
    """The names of the columns ``check_compliance`` adds, for a given prefix.

    >>> ColumnNames.for_prefix("cx_").compliant, ColumnNames.for_prefix("cx_").user["reason"]
    ('cx_compliant', 'user_cx_reason')
    >>> ColumnNames.for_prefix().compliant
    'compliant'
    """

    main: dict[str, str]
    user: dict[str, str]
    compliant: str
    status: str

    @classmethod
    def for_prefix(cls, prefix: str = DEFAULT_PREFIX) -> ColumnNames:
        if not isinstance(prefix, str) or not prefix:
            raise InputError(f"prefix={prefix!r}: give a non-empty string, e.g. 'compliance_'.")
        return cls(
            main={f: prefix + f for f in _RESULT_FIELDS},
            user={f: "user_" + prefix + f for f in _RESULT_FIELDS},
            compliant="compliant" if prefix == DEFAULT_PREFIX else prefix + "compliant",
            status=prefix + "status",
        )

    def added(self, with_user: bool) -> list[str]:
        """Every name added, in column order."""
        names = list(self.main.values())
        if with_user:
            names += list(self.user.values())
        return [*names, self.compliant, self.status]


def _check_clashes(columns: list[str], names: ColumnNames, with_user: bool) -> None:
    clashes = [n for n in names.added(with_user) if n in columns]
    if clashes:
        raise InputError(
            f"The DataFrame already has column(s) {', '.join(map(repr, clashes))}, which "
            "check_compliance would add. Drop or rename them (e.g. the output of an earlier "
            "check), or pass prefix='...' to choose other names: prefix='p' adds p+'action', "
            "p+'reason', p+'created_at', p+'redacted_at', p+'compliant', p+'status' (and "
            "'user_'+p+... with user_id_column=)."
        )


# -- the join -------------------------------------------------------------------------------


def _keyed(results: pl.DataFrame, user: bool) -> pl.DataFrame:
    """Collapsed results keyed by UInt64 ``__key`` (one row per key), with what each
    row's status needs, worked out once per result rather than once per input row:
    ``__hit`` (True), ``__label`` (the status the result gives when it decides, by
    :func:`~compliance_nb.rules.outcomes.label_expr`) and ``__present`` (True). Text is
    Categorical, timestamps UTC."""
    integer_ids = results.schema["id"].is_integer()
    if integer_ids:  # the engine's results: IDs as numbers
        number = pl.col("id").cast(pl.UInt64, strict=False)
    else:  # results given as a frame: the ID rule, as for the rows' IDs
        number = pl.lit(id_values(results.get_column("id")))
    reason = pl.col("reason").cast(pl.Categorical)
    label = nw.from_native(results.select(pl.col("reason").cast(pl.String))).select(
        label_expr(nw.col("reason"), user=user).cast(nw.Categorical).alias("__label")
    )
    out = results.select(
        number.alias("__key"),
        pl.col("action").cast(pl.Categorical),
        reason,
        pl.col("created_at").cast(_UTC),
        pl.col("redacted_at").cast(_UTC),
        pl.lit(True).alias("__hit"),
        pl.lit(True).alias("__present"),
    ).with_columns(label.to_native().get_column("__label"))
    if out.get_column("__key").null_count():  # not from the engine: a copy without them
        out = out.drop_nulls("__key")
    # collapsed by number, integer IDs give each key once; text IDs that differ only in
    # their text ("07", "7") give one key twice: rare
    if not integer_ids and len(repeated_values(out.get_column("__key").to_numpy())):
        out = out.unique("__key", keep="first", maintain_order=True)
    return out


def _with_sentinels(right: pl.DataFrame) -> pl.DataFrame:
    """``right`` (from :func:`_keyed`, without ``__key``) plus two rows at the end: what a
    row gets when its ID has no result (``available``, compliant) and when it has no ID
    (all null). One chunk: gathering from it is faster."""
    schema = right.schema
    extra = pl.DataFrame(
        {
            "action": [None, None],
            "reason": [None, None],
            "created_at": [None, None],
            "redacted_at": [None, None],
            "__hit": [False, False],
            "__present": [True, False],
            "__label": [None, None],
        },
        schema=schema,
    )
    return pl.concat([right, extra]).rechunk()


def _row_numbers(keys: pl.Series, right_keys: pl.Series) -> pl.Series:
    """For each key, the row of ``right_keys`` holding it; ``len(right_keys)`` where no
    row does, ``len(right_keys) + 1`` where the key is null (see :func:`_with_sentinels`).

    An inner join finds the few rows with a result (0.54 s at 10M rows and 1M results,
    where a left join that writes a row for every key takes 0.76 s and a membership test
    first, then a join of the keys found, 0.87 s); the rest are filled in by position.
    """
    miss, none = len(right_keys), len(right_keys) + 1
    left = pl.DataFrame({"__key": keys}).with_row_index("__i")
    found = left.join(right_keys.to_frame("__key").with_row_index("__row"), on="__key", how="inner")
    del left
    rows = np.full(len(keys), miss, dtype=np.uint32)
    if keys.null_count():
        rows[keys.is_null().to_numpy()] = none
    rows[found.get_column("__i").to_numpy()] = found.get_column("__row").to_numpy()
    return pl.Series("__row", rows)


@dataclass
class _Lookup:
    """The added columns of one lookup, not yet one per row: ``table`` (one row per
    result plus the two of :func:`_with_sentinels`) and ``rows`` (for each input row,
    its row of ``table``, as a :class:`~compliance_nb.frames.native.RowPlan`). :meth:`gather`
    makes them one per row."""

    table: pl.DataFrame
    rows: RowPlan

    def gather(self) -> pl.DataFrame:
        return gather_rows(self.table, self.rows)


def _lookup(keys: pl.Series, results: pl.DataFrame, tag: str) -> _Lookup:
    """For keys (one per input row): the result fields (null where the key has no
    result), ``label``, ``hit`` and ``present`` (see :func:`_keyed`). Each column is
    prefixed ``tag``. Holds no reference to ``keys`` or ``results``."""
    right = _keyed(results, user=tag == "u_")
    del results  # the caller holds no other reference: freed before the join's tables
    rows = _row_numbers(keys.cast(pl.UInt64), right.get_column("__key"))
    if rows.len() != len(keys):  # pragma: no cover - one row number per key
        raise AssertionError(f"lookup changed the row count: {len(keys)} -> {rows.len()}")
    table = _with_sentinels(right.drop("__key"))
    del right
    return _tagged(table, RowPlan.of(rows), tag)


def _state_lookup(state: RowResults, tag: str) -> _Lookup:
    """:func:`_lookup` for results already joined per ID (:class:`RowResults`): each
    row's entry, with the result of each ID that has one."""
    rows = RowPlan.of(state.rows())  # entries, then the two of _with_sentinels
    state.drop_index()  # every result is in
    entries = state.entries()
    keyed = _keyed(
        entries.with_columns(pl.int_range(entries.height, dtype=pl.UInt64).alias("id")),
        user=tag == "u_",
    )
    table = _with_sentinels(keyed.drop("__key"))
    del entries, keyed
    return _tagged(table, rows, tag)


def _tagged(table: pl.DataFrame, rows: RowPlan, tag: str) -> _Lookup:
    """The lookup of ``table`` (from :func:`_with_sentinels`) at ``rows``: the columns a
    lookup gives, named with ``tag``."""
    wanted = [*_RESULT_FIELDS, "__label", "__hit", "__present"]
    return _Lookup(table.select(pl.col(c).alias(tag + c.removeprefix("__")) for c in wanted), rows)


def _status_columns(
    main: pl.DataFrame, user: pl.DataFrame | None, names: ColumnNames
) -> pl.DataFrame:
    """Build the added columns from the lookups (tags ``m_`` and ``u_``): the result fields,
    and ``compliant`` and the status by :mod:`compliance_nb.rules.outcomes`. ``main`` is
    one row per input row, or (one kind) the lookup's table, one row per result."""
    frame = main if user is None else pl.concat([main, user], how="horizontal")

    def lookup(tag: str, present: bool) -> Lookup:
        return Lookup(
            hit=nw.col(f"{tag}hit"),
            reason=nw.col(f"{tag}reason").cast(nw.String),
            present=nw.col(f"{tag}present") if present else None,
            label=nw.col(f"{tag}label").cast(nw.String),
        )

    status = status_expr(lookup("m_", True), lookup("u_", False) if user is not None else None)
    selected = [nw.col(f"m_{f}").alias(names.main[f]) for f in _RESULT_FIELDS]
    if user is not None:
        selected += [nw.col(f"u_{f}").alias(names.user[f]) for f in _RESULT_FIELDS]
    selected += [
        compliant_expr(status).cast(nw.Boolean).alias(names.compliant),
        status.cast(nw.Categorical).alias(names.status),
    ]
    return nw.from_native(frame).select(selected).to_native()


def _attach(
    frame: nw.DataFrame[Any], main: _Lookup, user: _Lookup | None, names: ColumnNames
) -> nw.DataFrame[Any]:
    """``frame`` with the added columns, from the lookups of its IDs (and user IDs).
    Without a users lookup the Tweet lookup's table holds the answer for each of its
    rows, taken once per input row; with one, both are gathered and combined."""
    if user is None:
        return add_gathered(frame, _status_columns(main.table, None, names), main.rows)
    return add_columns(frame, _status_columns(main.gather(), user.gather(), names))


# -- the join on a lazy frame (inside its engine) -------------------------------------------

_M_HIT, _U_HIT = "__compliance_nb_m_hit", "__compliance_nb_u_hit"
_M_KEY, _U_KEY = "__compliance_nb_m_key", "__compliance_nb_u_key"


def build_lazy(
    frame: nw.LazyFrame[Any],
    id_column: str,
    results: pl.DataFrame,
    *,
    names: ColumnNames,
    user_id_column: str | None = None,
    user_results: pl.DataFrame | None = None,
) -> nw.LazyFrame[Any]:
    """``frame`` with the added columns, joined and computed inside its engine (lazy).

    The same columns, values and rules as the eager path (:func:`_attach`); rows are not promised to
    keep their order (see :mod:`compliance_nb.frames.lazy`)."""
    original = frame.collect_schema().names()
    out = join_lazy(frame, id_column, results, names.main, hit_name=_M_HIT, key_name=_M_KEY)
    with_user = user_id_column is not None
    if with_user:
        out = join_lazy(
            out,
            user_id_column,  # type: ignore[arg-type]
            user_results if user_results is not None else pl.DataFrame(schema=RESULTS_SCHEMA),
            names.user,
            hit_name=_U_HIT,
            key_name=_U_KEY,
        )
    main = Lookup(
        hit=nw.col(_M_HIT).fill_null(False),
        reason=nw.col(names.main["reason"]).cast(nw.String),
        present=~nw.col(_M_KEY).is_null(),
    )
    user = (
        Lookup(
            hit=nw.col(_U_HIT).fill_null(False),
            reason=nw.col(names.user["reason"]).cast(nw.String),
        )
        if with_user
        else None
    )
    status = status_expr(main, user)
    compliant = compliant_expr(status)
    added = names.added(with_user)
    if backend_name(out) != "dask":  # Dask: made nullable "boolean" by finish_lazy
        compliant = compliant.cast(nw.Boolean)
    out = out.with_columns(compliant.alias(names.compliant), status.alias(names.status))
    labels = [names.main["action"], names.main["reason"], names.status]
    if with_user:
        labels += [names.user["action"], names.user["reason"]]
    return finish_lazy(
        out.select(*original, *added), added_bools=[names.compliant], added_labels=labels
    )


# -- results given by the user ----------------------------------------------------------


def results_frame(results: Any) -> pl.DataFrame:
    """A results file path (JSON lines, or ``.parquet``) or a results frame (polars,
    pandas, ...) -> a results frame with the standard columns and dtypes (not collapsed).

    Frames need an ``id`` column (text or integer; never float); ``action``, ``reason``,
    ``created_at`` and ``redacted_at`` are taken when present (timestamps as datetimes or
    ISO 8601 text).
    """
    if is_path(results):
        if str(results).lower().endswith(".parquet"):
            frame = pl.read_parquet(results)
        else:
            return read_results(results)
    else:
        frame = to_polars(results)
    if "id" not in frame.columns:
        raise InputError(
            f"The results have no 'id' column (columns: {', '.join(frame.columns)}). "
            "Expected the columns of a results file: id, action, reason, created_at, "
            "redacted_at."
        )
    id_dtype = frame.schema["id"]
    if id_dtype.is_float():
        raise InputError(
            "The results' 'id' column is float, which cannot hold IDs exactly; read it as text."
        )
    out = [pl.col("id").cast(pl.String).alias("id")]
    for f in ("action", "reason"):
        out.append(
            pl.col(f).cast(pl.String) if f in frame.columns else pl.lit(None, pl.String).alias(f)
        )
    for f in ("created_at", "redacted_at"):
        if f not in frame.columns:
            out.append(pl.lit(None, _UTC).alias(f))
        elif frame.schema[f] == pl.String:
            out.append(
                pl.col(f)
                .str.to_datetime(TIMESTAMP_FORMAT, time_unit="us", time_zone="UTC", strict=False)
                .alias(f)
            )
        elif isinstance(frame.schema[f], pl.Datetime):
            col = pl.col(f)
            if frame.schema[f].time_zone is None:  # type: ignore[attr-defined]
                col = col.dt.replace_time_zone("UTC")
            out.append(col.dt.convert_time_zone("UTC").dt.cast_time_unit("us").alias(f))
        else:
            out.append(pl.col(f).cast(_UTC).alias(f))
    return frame.select(out)


# -- public calls ---------------------------------------------------------------------------


def _parse_column(frame: Any, column: str, errors: str, label: str) -> ParsedIds:
    return parse_id_parts(
        column_parts(frame, column),
        column=column,
        errors=errors,  # type: ignore[arg-type]
        kind_label=label,
        rows=len(frame),
    )


def join_results(
    df: Any,
    results: Any,
    *,
    id_column: str = "id",
    kind: str = "tweets",
    prefix: str = DEFAULT_PREFIX,
    errors: str = "raise",
) -> Any:
    """Join compliance results you already have onto ``df``; no API access.

    ``results`` is a results file (JSON lines as downloaded from a job, by any tool; or a
    ``.parquet`` copy) or a results frame (polars or pandas; columns ``id``, ``action``,
    ``reason``, ``created_at``, ``redacted_at``). Several lines for one ID are collapsed
    as in :func:`check_compliance`. The columns added, the ID rules and ``errors=`` are
    those of :func:`check_compliance` (without the ``user_`` columns). A lazy ``df``
    gives a lazy frame of its kind (joined inside its engine).

    Examples:
        >>> import polars as pl
        >>> res = pl.DataFrame({"id": ["20"], "action": ["delete"], "reason": ["deleted"]})
        >>> out = join_results(pl.DataFrame({"id": [20, 21]}), res)
        >>> out["compliance_status"].to_list(), out["compliant"].to_list()
        (['deleted', 'available'], [False, True])
    """
    check_kind(kind)
    lazy = is_lazy(df)
    frame: Any = as_lazy(df) if lazy else as_frame(df)
    require_columns(frame, id_column)
    names = ColumnNames.for_prefix(prefix)
    _check_clashes(list(frame.columns), names, with_user=False)
    label = "Tweet ID" if kind == "tweets" else "user ID"
    if lazy:  # validate the IDs (streamed, distinct only), then join inside the engine
        unique_lazy_ids(frame, id_column, errors=errors, kind_label=label)
        collapsed = collapse_results(results_frame(results))
        return build_lazy(frame, id_column, collapsed, names=names).to_native()
    parsed = _parse_column(frame, id_column, errors, label)
    main = _lookup(parsed.ids, collapse_results(results_frame(results)), "m_")
    del parsed
    return _attach(frame, main, None, names).to_native()


def check_compliance(
    df: Any,
    id_column: str = "id",
    kind: str = "tweets",
    *,
    user_id_column: str | None = None,
    client: ComplianceClient | None = None,
    name: str | None = None,
    progress: Any = "auto",
    cache: bool = True,
    max_age: timedelta | float | None = None,
    errors: str = "raise",
    prefix: str = DEFAULT_PREFIX,
    max_ids_per_job: int = DEFAULT_MAX_IDS_PER_JOB,
    resumable_threshold: int = DEFAULT_RESUMABLE_THRESHOLD,
    ledger_path: Any = None,
    cancel: CancelToken | None = None,
) -> Any:
    """Check the IDs in one column against X's batch compliance API; join the results on.

    Use it with ``DataFrame.pipe``::

        checked = df.pipe(check_compliance)                        # Tweet IDs in "id"
        checked = df.pipe(check_compliance, id_column="author_id", kind="users")
        checked = df.pipe(check_compliance, user_id_column="author_id")  # both at once

    Lazy frames (polars ``LazyFrame``, DuckDB relation, Dask or PySpark DataFrame) give
    a lazy frame of the same kind: only the ID column's distinct values are brought here
    (streamed, validated, 8 bytes per ID); the jobs run; the results are joined on
    inside the engine when the frame is computed. Lazy engines do not promise row order.
    See docs/lazy.md.

    Returns the same type as ``df`` (pandas, polars, or another eager frame narwhals
    supports), with the same rows in the same order, the pandas index kept and the
    original columns untouched; ``df`` itself is not changed. Added columns (see the
    module docs for how ``prefix=`` names them):

    - ``compliance_action``, ``compliance_reason`` (categorical text: pandas
      ``category``, polars ``Categorical``), ``compliance_created_at``,
      ``compliance_redacted_at`` (UTC datetimes): the result line for the row's ID, null
      when there is none (the ID needs no action);
    - ``compliant``: False where a result line asks for action, True where there is none,
      null where the ID was null (or invalid, with ``errors="coerce"``);
    - ``compliance_status`` (categorical text): one label per row: ``available``, or the reason
      (``deleted``, ``protected``, ``suspended``, ``bounced``, ``deactivated``; geo
      scrubs (``scrub_geo``/``geo_scrubbed``) are ``geo_scrubbed``; unknown reasons
      appear as they are); null where the ID is null;
    - with ``user_id_column=``: ``user_compliance_action`` ... ``_redacted_at`` from a
      users job run at the same time; ``compliant`` is False when either job asks for
      action; ``compliance_status`` merges both, by precedence: a Tweet-level removal
      reason > a user-level reason (``user_deleted``, ``user_suspended``,
      ``user_protected``, ``user_deactivated``, ``user_<other>``) > ``geo_scrubbed`` >
      ``available``. A Tweet whose author is gone is not available even when the Tweets
      job says nothing about it.

    Several result lines for one ID collapse to one: the most severe reason wins
    (``deleted`` > ``suspended`` > ``deactivated`` > ``protected`` > ``bounced`` >
    unknown reasons > ``scrub_geo``/``geo_scrubbed``); among lines with that reason the
    earliest ``redacted_at`` (a missing one counts as latest); ``created_at`` is the
    earliest non-null one seen for the ID.

    IDs: integer columns (int64, UInt64, nullable) or text columns (pandas ``object``,
    ``str``, ``string[pyarrow]``; polars ``String``). Text is stripped of surrounding
    whitespace and must then be 1-19 digits; valid IDs are 1 to 2**63-1. Float columns are
    refused (:class:`~compliance_nb.IDColumnTypeError`): IDs above 2**53 are already
    corrupted in a float. IDs never pass through a float; they are sent as decimal text.
    Nulls are not sent; duplicates are sent once and every row gets the result. An empty
    frame, or one with only null IDs, gets the new columns and starts no job. All input is
    validated before any request.

    Args:
        df: the frame.
        id_column: the column of IDs (default ``"id"``).
        kind: ``"tweets"`` (default) or ``"users"``.
        user_id_column: with ``kind="tweets"``, a column of the Tweets' author IDs: a users
            job runs at the same time and its results are joined as ``user_compliance_*``.
        client: a :class:`~compliance_nb.ComplianceClient`; default: one from the
            environment (bearer token in ``X_BEARER_TOKEN``, ``TWITTER_BEARER_TOKEN`` or
            ``BEARER_TOKEN``).
        name: a job name (at most 64 characters).
        progress: ``"auto"`` (widget in a notebook, else lines on stderr), ``False``, or a
            callable receiving :class:`~compliance_nb.ProgressEvent`.
        cache: reuse results this machine downloaded for the same IDs within ``max_age``
            (default 7 days). ``False`` always starts a new job (a job still running for
            the same IDs is reattached, not duplicated).
        max_age: ``datetime.timedelta`` or seconds.
        errors: ``"raise"`` (default) on invalid IDs, or ``"coerce"``: those rows get null
            results and ``compliant`` null, with a warning that counts them.
        prefix: the prefix of the added columns (default ``"compliance_"``):
            ``prefix="p"`` adds ``p+"action"``, ``p+"reason"``, ``p+"created_at"``,
            ``p+"redacted_at"``, ``p+"compliant"`` (``compliant`` for the default
            prefix), ``p+"status"``, and ``"user_"+p+...`` for the users job.
        max_ids_per_job: more distinct IDs than this (default 25 million) are split over
            several jobs, run one after another; the results are combined.
        resumable_threshold: upload files larger than this (bytes; default 64 MiB) use a
            resumable upload.
        ledger_path: the job ledger file (default: in ``$COMPLIANCE_NB_CACHE_DIR`` or the
            user cache folder). A second call for the same IDs reattaches to a job that is
            still running instead of starting another.
        cancel: a :class:`~compliance_nb.CancelToken` to stop waiting.

    Raises:
        InputError: a missing column, unknown kind, invalid IDs, clashing column names.
        IDColumnTypeError: a float (or other unusable) ID column.
        MissingTokenError: no client and no token in the environment.
        ConflictError: another job of this type, not started by this machine for these
            IDs, is running.

    Examples:
        >>> import pandas as pd
        >>> from compliance_nb import Sandbox, check_compliance
        >>> df = pd.DataFrame({"id": ["1800000000000000001", "20"]})
        >>> with Sandbox() as sb:  # doctest: +SKIP
        ...     checked = df.pipe(check_compliance, client=sb.client(), progress=False)
    """
    # ---- validate everything before any request
    check_kind(kind)
    lazy = is_lazy(df)
    frame: Any = as_lazy(df) if lazy else as_frame(df)
    if user_id_column is not None and kind != "tweets":
        raise InputError(
            "user_id_column= goes with kind='tweets' (a Tweet ID column plus its authors' "
            f"user IDs); got kind={kind!r}."
        )
    require_columns(frame, id_column, *([user_id_column] if user_id_column else []))
    names = ColumnNames.for_prefix(prefix)
    with_user = user_id_column is not None
    _check_clashes(list(frame.columns), names, with_user)
    if name is not None and (not isinstance(name, str) or len(name) > 64):
        raise InputError(f"name={name!r}: a job name is text of at most 64 characters.")
    validate_options(max_ids_per_job, resumable_threshold, max_age)
    label = "Tweet ID" if kind == "tweets" else "user ID"
    states: dict[str, RowResults] = {}
    if lazy:  # distinct IDs only, computed by the frame's engine and streamed here
        ids_by_kind = {kind: unique_lazy_ids(frame, id_column, errors=errors, kind_label=label).ids}
        if user_id_column:
            ids_by_kind["users"] = unique_lazy_ids(
                frame, user_id_column, errors=errors, kind_label="user ID"
            ).ids
    else:
        # the distinct IDs go to the jobs; where each one's rows are is worked out in a
        # thread meanwhile, so that result lines are joined on as they are read
        ids_by_kind = {}
        columns = {kind: (id_column, label)}
        if user_id_column:
            columns["users"] = (user_id_column, "user ID")
        for k, (column, what) in columns.items():
            keys = _parse_column(frame, column, errors, what).ids.cast(pl.UInt64)
            ids_by_kind[k] = unique_ids(keys)
            states[k] = RowResults(keys, distinct=ids_by_kind[k])  # not the keys: 4 B a row
            del keys
    ids_by_kind = {k: v for k, v in ids_by_kind.items() if len(v)}

    # ---- run the jobs
    engine, used_client = _run_engine(
        ids_by_kind,
        client=client,
        name=name,
        progress=progress,
        cache=cache,
        max_age=max_age,
        max_ids_per_job=max_ids_per_job,
        resumable_threshold=resumable_threshold,
        ledger_path=ledger_path,
        cancel=cancel,
        sinks=states,
    )
    del ids_by_kind  # the distinct IDs (8 bytes each) are not needed for the join

    # ---- join back
    if lazy:  # joined inside the engine, still lazy
        empty = pl.DataFrame(schema=RESULTS_SCHEMA)
        lazy_out = build_lazy(
            frame,
            id_column,
            engine[kind].results if kind in engine else empty,
            names=names,
            user_id_column=user_id_column,
            user_results=engine["users"].results if "users" in engine else empty,
        ).to_native()
        _remember(lazy_out, engine, used_client, id_column, user_id_column, prefix)
        return lazy_out
    # the results were joined on per row as they were read (see _rowstate)
    main = _state_lookup(states.pop(kind), "m_")
    user = _state_lookup(states.pop("users"), "u_") if with_user else None
    native = _attach(frame, main, user, names).to_native()
    _remember(native, engine, used_client, id_column, user_id_column, prefix)
    return native


def _run_engine(
    ids_by_kind: Mapping[str, pl.Series],
    *,
    client: ComplianceClient | None,
    name: str | None,
    progress: Any,
    cache: bool,
    max_age: timedelta | float | None,
    max_ids_per_job: int,
    resumable_threshold: int,
    ledger_path: Any,
    cancel: CancelToken | None,
    sinks: Mapping[str, RowResults] | None = None,
) -> tuple[dict[str, EngineResult], Any]:
    """Run the jobs for the distinct IDs of each kind (none: nothing is sent and no token
    is needed); return the engine results and the client used. ``sinks``: where each
    kind's result lines go as they are read (see :func:`run_kinds`)."""
    engine: dict[str, EngineResult] = {}
    used_client = client
    if not ids_by_kind:
        return engine, used_client
    from ..display.progress import resolve_progress
    from ..jobs.ledger import Ledger

    if used_client is None:
        from ..api.client import ComplianceClient

        used_client = ComplianceClient()
        if not used_client.has_token:
            from .._exceptions import MissingTokenError

            raise MissingTokenError()
    ledger = Ledger(ledger_path)
    reporter = resolve_progress(progress)
    try:
        engine = run_kinds(
            ids_by_kind,
            client=used_client,
            name=name,
            progress=reporter,
            cache=cache,
            max_age=max_age,
            max_ids_per_job=max_ids_per_job,
            resumable_threshold=resumable_threshold,
            ledger=ledger,
            cancel=cancel,
            sinks=sinks,
        )
        for k, res in engine.items():
            emit(
                reporter,
                ProgressEvent(
                    "joined",
                    kind=k,
                    job_id=res.jobs[-1].id if res.jobs else None,
                    counts=res.counts,
                    message=_counts_message(res.counts),
                ),
            )
    except BaseException as exc:
        if reporter is not None:
            reporter.close(exc)
        raise
    if reporter is not None:
        reporter.close(None)
    return engine, used_client


def _counts_message(counts: Mapping[str, int]) -> str:
    rest = ", ".join(f"{k} {v}" for k, v in counts.items() if k not in ("checked", "available"))
    return f"{counts['checked']} checked, {counts['available']} available" + (
        f", {rest}" if rest else ""
    )


def _remember(
    out: Any,
    engine: Mapping[str, EngineResult],
    client: Any,
    id_column: str,
    user_id_column: str | None,
    prefix: str,
) -> None:
    try:
        from ..jobs.runinfo import RunInfo, remember
    except ImportError:  # pragma: no cover - the report feature is optional
        return
    info = RunInfo(
        kinds=tuple(engine),
        job_ids={k: tuple(j.id for j in r.jobs) for k, r in engine.items()},
        api_url=getattr(client, "base_url", None),
        sandbox=bool(getattr(client, "is_sandbox", False)),
        from_cache={k: r.from_cache for k, r in engine.items()},
        id_column=id_column,
        user_id_column=user_id_column,
        prefix=prefix,
    )
    remember(out, info)
