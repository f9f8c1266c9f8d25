"""``join_results``: results you already have, joined onto a frame; and the lazy join.

``join_results`` takes a results file (from any tool) or a results frame and joins it on
as the columns of :mod:`compliance_nb.frames.columns`, without calling the API.
:func:`build_lazy` is the join inside a lazy frame's engine, for ``join_results`` and
``check_compliance`` alike; :func:`parse_column` reads an eager frame's ID column by the
ID rule.
"""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from .._dataframes import as_frame, to_polars
from .._exceptions import InputError
from .._timestamps import TIMESTAMP_FORMAT
from ..api.job import check_kind
from ..jobs.collapse import collapse_results
from ..jobs.results import RESULTS_SCHEMA, read_results
from ..rules.outcomes import Lookup, compliant_expr, status_expr
from .columns import DEFAULT_PREFIX, ColumnNames, attach_columns, check_clashes, lookup_results
from .ids import ParsedIds, parse_id_parts
from .lazy.distinct import unique_lazy_ids
from .lazy.engines import as_lazy, is_lazy
from .lazy.join import finish_lazy, join_lazy
from .native import column_parts, is_path, require_columns

__all__ = ["build_lazy", "join_results", "parse_column", "results_frame"]

_UTC = pl.Datetime("us", "UTC")


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

    The same columns, values and rules as the eager path
    (:func:`~compliance_nb.frames.columns.attach_columns`); rows are not promised to keep
    their order (see :mod:`compliance_nb.frames.lazy`)."""
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


def parse_column(frame: Any, column: str, errors: str, label: str) -> ParsedIds:
    """The IDs of an eager frame's ``column`` by the ID rule (``label`` names them in errors)."""
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

    Several lines for one ID are collapsed as in :func:`check_compliance`. The columns
    added, the ID rules and ``errors=`` are those of :func:`check_compliance` (without the
    ``user_`` columns).

    Parameters
    ----------
    df : DataFrame or lazy frame
        The frame: pandas, polars, another eager frame narwhals supports, or a lazy frame
        (polars ``LazyFrame``, DuckDB relation, Dask or PySpark DataFrame).
    results : str, os.PathLike or DataFrame
        A results file (JSON lines as downloaded from a job, by any tool; or a
        ``.parquet`` copy) or a results frame (polars or pandas; an ``id`` column, text or
        integer, and ``action``, ``reason``, ``created_at``, ``redacted_at`` where present;
        timestamps as datetimes or ISO 8601 text).
    id_column : str, default "id"
        The column of IDs.
    kind : {"tweets", "users"}, default "tweets"
        What the IDs are.
    prefix : str, default "compliance_"
        The prefix of the added columns, as in :func:`check_compliance`.
    errors : {"raise", "coerce"}, default "raise"
        ``"raise"`` on invalid IDs in ``id_column``, or ``"coerce"``: those rows get null
        results and ``compliant`` null, with a warning that counts them.

    Returns
    -------
    DataFrame or lazy frame
        The same type as ``df`` with the columns of :func:`check_compliance` added, the
        rows in the same order; a lazy ``df`` gives a lazy frame of its kind (joined inside
        its engine when computed).

    Raises
    ------
    InputError
        A missing column, unknown kind, invalid IDs (with ``errors="raise"``), clashing
        column names, results without an ``id`` column or with float IDs.
    IDColumnTypeError
        A float (or other unusable) ID column in ``df``.
    ResultsFormatError
        A results file whose lines are not results.

    See Also
    --------
    check_compliance : Run the jobs and join their results.
    apply_compliance : Drop the removed rows and null the geo data.

    Examples
    --------
    >>> import polars as pl
    >>> res = pl.DataFrame({"id": ["20"], "action": ["delete"], "reason": ["deleted"]})
    >>> out = join_results(pl.DataFrame({"id": [20, 21, None]}), res)
    >>> out["compliance_status"].to_list(), out["compliant"].to_list()
    (['deleted', 'available', None], [False, True, None])

    A results file as X writes it (JSON lines), with two lines for one ID (the more severe
    reason wins):

    >>> import json, pathlib, tempfile
    >>> line = {"id": "20", "action": "delete", "created_at": "2020-01-01T00:00:00.000Z"}
    >>> lines = [
    ...     {**line, "reason": "scrub_geo", "redacted_at": "2023-05-01T12:00:00.000Z"},
    ...     {**line, "reason": "deleted", "redacted_at": "2023-06-01T12:00:00.000Z"},
    ... ]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp, "results.json")
    ...     _ = path.write_text("".join(json.dumps(x) + "\\n" for x in lines))
    ...     out = join_results(pl.DataFrame({"id": ["20", "21"]}), path, prefix="cx_")
    >>> out.select("id", "cx_reason", pl.col("cx_redacted_at").dt.date(), "cx_compliant").rows()
    [('20', 'deleted', datetime.date(2023, 6, 1), False), ('21', None, None, True)]
    """
    check_kind(kind)
    lazy = is_lazy(df)
    frame: Any = as_lazy(df) if lazy else as_frame(df)
    require_columns(frame, id_column)
    names = ColumnNames.for_prefix(prefix)
    check_clashes(list(frame.columns), names, with_user=False)
    label = "Tweet ID" if kind == "tweets" else "user ID"
    if lazy:  # validate the IDs (streamed, distinct only), then join inside the engine
        unique_lazy_ids(frame, id_column, errors=errors, kind_label=label)
        collapsed = collapse_results(results_frame(results))
        return build_lazy(frame, id_column, collapsed, names=names).to_native()
    parsed = parse_column(frame, id_column, errors, label)
    main = lookup_results(parsed.ids, collapse_results(results_frame(results)), "m_")
    del parsed
    return attach_columns(frame, main, None, names).to_native()
