"""``apply_compliance``: bring a dataset into compliance with its results.

* rows whose result asks for removal are dropped: every result line except a geo scrub
  (``deleted``, ``suspended``, ``protected``, ``deactivated``, ``bounced`` and unknown
  reasons alike). With ``user_compliance_*`` columns (``check_compliance(...,
  user_id_column=...)``), rows whose author's result asks for removal are dropped too;
* rows whose result is a geo scrub (``scrub_geo`` / ``geo_scrubbed``) keep their row but
  their geo columns are set to null.

Default geo columns (matched case-insensitively, the ID columns and compliance columns
never count): ``geo``, ``coordinates``, ``place``, ``place_id``, ``lat``, ``lon``,
``lng``, ``latitude``, ``longitude``, and any name starting with ``geo.``, ``geo_``,
``coordinates.``, ``place.`` or ``place_`` (flattened API fields such as
``geo.place_id`` or ``geo_coordinates``). Pass ``geo_columns=[...]`` to choose them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from .._dataframes import as_frame
from .._exceptions import InputError, warn_simulated
from ..display.checked import checked_columns
from ..jobs.runinfo import METADATA_KEY, recall
from ..rules.outcomes import Lookup, removed_expr, scrubbed_expr, status_expr
from .columns import DEFAULT_PREFIX, ColumnNames
from .joins import join_results
from .lazy.engines import as_lazy, is_lazy
from .native import drop_columns, filter_rows, null_where

__all__ = ["DEFAULT_GEO_NAMES", "apply_compliance", "default_geo_columns"]

logger = logging.getLogger("compliance_nb")

DEFAULT_GEO_NAMES = frozenset(
    {"geo", "coordinates", "place", "place_id", "lat", "lon", "lng", "latitude", "longitude"}
)
_GEO_PREFIXES = ("geo.", "geo_", "coordinates.", "place.", "place_")


def default_geo_columns(columns: Sequence[str], exclude: Sequence[str] = ()) -> list[str]:
    """The columns the default rule treats as geo data.

    >>> default_geo_columns(["id", "text", "geo.place_id", "Latitude", "geography"])
    ['geo.place_id', 'Latitude']
    """
    skip = set(exclude)
    out = []
    for c in columns:
        if c in skip:
            continue
        low = c.lower()
        if low in DEFAULT_GEO_NAMES or low.startswith(_GEO_PREFIXES):
            out.append(c)
    return out


def _warn_if_simulated(df: Any, depth: int) -> None:
    """Warn when the checked frame's results were simulated by the sandbox (its provenance
    says so: :mod:`compliance_nb.jobs.runinfo`), at the caller ``depth`` frames up from
    ``apply_compliance``'s (0: its own caller)."""
    info = recall(df)
    if info is not None and info.sandbox:
        warn_simulated("rows", stacklevel=4 + depth)


def _row_status(lookups: pl.DataFrame) -> nw.DataFrame[Any]:
    """Each row's status (column ``s``) from the result columns of its lookups (``m_hit``,
    ``m_reason`` and, when the users job ran, ``u_hit``, ``u_reason``), by the rule of
    :mod:`compliance_nb.rules.outcomes`. Whether a row had an ID does not matter here: it
    decides only between ``available`` and none, neither of which is removed or scrubbed."""

    def lookup(tag: str) -> Lookup:
        return Lookup(hit=nw.col(f"{tag}hit"), reason=nw.col(f"{tag}reason"))

    user = lookup("u_") if "u_hit" in lookups.columns else None
    return nw.from_native(lookups).select(status_expr(lookup("m_"), user).alias("s"))


def _warn_if_no_geo_columns(summary: dict[str, Any]) -> None:
    """Rows need their geo data removed but no column holds any: say so (the eager and the
    lazy path share this)."""
    if summary["rows_geo_scrubbed"] and not summary["geo_columns"]:
        logger.warning(
            "%d row(s) need their geo data removed, but no geo columns were found; pass "
            "geo_columns=[...] to name them.",
            summary["rows_geo_scrubbed"],
        )


def apply_compliance(
    df: Any,
    results: Any = None,
    *,
    id_column: str = "id",
    kind: str = "tweets",
    geo_columns: Sequence[str] | None = None,
    prefix: str = DEFAULT_PREFIX,
    return_summary: bool = False,
    drop_compliance_columns: bool | None = None,
) -> Any:
    """Return ``df`` brought into compliance: removed rows dropped, geo scrubs applied.

    Works on the output of :func:`check_compliance` (``results=None``), or on a plain
    frame plus ``results`` (a results file path, or a results frame) joined as
    :func:`join_results` does. ``df`` is never changed; the result has its type, its
    column order, and (pandas) the index labels of the rows kept.

    Lazy frames (polars ``LazyFrame``, DuckDB relation, Dask, PySpark) stay lazy: the
    filter and the geo null-out are added to the query and run inside its engine when
    it is computed; nothing is computed here unless ``return_summary=True`` (one
    aggregate query over the compliance columns). Row order is the engine's.

    The summary is also logged (``logging.getLogger("compliance_nb")``, level INFO).

    Parameters
    ----------
    df : DataFrame or lazy frame
        The dataset: eager (pandas, polars, ...) or lazy.
    results : str, os.PathLike or DataFrame, optional
        None to use the compliance columns already on ``df``; else a results file path
        or a results frame, as for :func:`join_results`.
    id_column : str, default "id"
        The column of IDs (with ``results``), as in :func:`check_compliance`.
    kind : {"tweets", "users"}, default "tweets"
        What the IDs are (with ``results``), as in :func:`check_compliance`.
    geo_columns : sequence of str, optional
        The columns to null for geo scrubs; default: the rule in the module docs.
    prefix : str, default "compliance_"
        The prefix of the compliance columns, as in :func:`check_compliance`.
    return_summary : bool, default False
        Also return a summary dict.
    drop_compliance_columns : bool, optional
        Drop the compliance columns from the result, ``compliance_source`` (where the
        results came from) included. Default: they are dropped when they were joined here
        from ``results``, and kept when ``df`` already had them. A pandas frame keeps the
        run's record in ``attrs`` either way; for a polars frame, keep the record apart
        first if you need it (:func:`provenance_metadata`).

    Returns
    -------
    DataFrame or lazy frame
        The rows of ``df`` whose result does not ask for removal, with the geo columns of
        geo-scrubbed rows set to null; the same type as ``df``.
    dict
        Only with ``return_summary=True``; it counts **rows** (``"counts": "rows"``), where
        :func:`compliance_report` and the charts count distinct IDs: ``rows_in``,
        ``rows_out``, ``rows_removed``, ``removed`` ({label: rows}, labels as in
        ``compliance_status``), ``rows_geo_scrubbed``, ``geo_columns``.

    Raises
    ------
    InputError
        ``df`` has no compliance columns and no ``results`` were given; a name in
        ``geo_columns`` is not a column; the errors of :func:`join_results`.

    Warns
    -----
    SimulatedResultsWarning
        ``df``'s results were simulated by the compliance_nb sandbox (its
        ``compliance_source`` column or ``attrs`` say so).

    See Also
    --------
    check_compliance : The check whose output this takes.
    default_geo_columns : The columns the default rule treats as geo data.

    Examples
    --------
    With a results frame:

    >>> import polars as pl
    >>> df = pl.DataFrame({"id": ["1", "2", "3"], "geo": ["a", "b", "c"]})
    >>> res = pl.DataFrame({"id": ["1", "2"], "action": ["delete"] * 2,
    ...                     "reason": ["deleted", "scrub_geo"]})
    >>> out, summary = apply_compliance(df, res, return_summary=True)
    >>> out.rows(), summary["removed"]
    ([('2', None), ('3', 'c')], {'deleted': 1})

    After :func:`check_compliance` (here against the local sandbox), with the authors
    checked too:

    >>> import tempfile
    >>> from compliance_nb.datasets import sample_tweets
    >>> from compliance_nb.frames.check import check_compliance
    >>> from compliance_nb.sandbox import Sandbox
    >>> tweets = sample_tweets(20, backend="polars")
    >>> with Sandbox(processing_delay=0) as sb, tempfile.TemporaryDirectory() as tmp:
    ...     checked = tweets.pipe(
    ...         check_compliance, user_id_column="author_id", client=sb.client(),
    ...         progress=False, ledger_path=f"{tmp}/ledger.sqlite3",
    ...     )
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     kept, summary = apply_compliance(checked, return_summary=True)
    >>> caught[0].category.__name__  # the sandbox's results are simulated
    'SimulatedResultsWarning'
    >>> summary["rows_in"], summary["rows_out"], kept["compliance_status"].unique().to_list()
    (20, 3, ['available'])
    >>> summary["removed"]
    {'user_deleted': 9, 'user_protected': 6, 'suspended': 1, 'deleted': 1}
    """
    if is_lazy(df):
        return _apply_lazy(
            df,
            results,
            id_column=id_column,
            kind=kind,
            geo_columns=geo_columns,
            prefix=prefix,
            return_summary=return_summary,
            drop_compliance_columns=drop_compliance_columns,
        )
    frame = as_frame(df)
    names = ColumnNames.for_prefix(prefix)
    joined_here = results is not None
    if joined_here:
        frame = as_frame(
            join_results(frame, results, id_column=id_column, kind=kind, prefix=prefix)
        )
    elif names.main["reason"] not in frame.columns and names.main["action"] not in frame.columns:
        raise InputError(
            f"The DataFrame has no {names.main['action']!r}/{names.main['reason']!r} columns. "
            "Run check_compliance first (df.pipe(check_compliance).pipe(apply_compliance)), "
            "or pass results= (a results file or frame)."
        )
    else:
        _warn_if_simulated(df, depth=0)
    n = len(frame)
    # the result columns as check_compliance typed them, also in a frame read back from a
    # file (text, categories, empty text): the one normalisation the report uses too
    roles = {fields[f]: "text" for fields in (names.main, names.user) for f in ("action", "reason")}
    results_columns = checked_columns(frame.to_native(), roles)

    def line(fields: dict[str, str]) -> tuple[pl.Series, pl.Series]:
        """(has a result line, reason) per row, for the main or the user columns."""
        present = [fields[f] for f in ("action", "reason") if fields[f] in results_columns.columns]
        hit = pl.Series([False] * n, dtype=pl.Boolean)
        for col in present:
            hit = hit | results_columns.get_column(col).is_not_null()
        reason = (
            results_columns.get_column(fields["reason"])
            if fields["reason"] in results_columns.columns
            else pl.Series([None] * n, dtype=pl.String)
        )
        return hit, reason

    columns: dict[str, pl.Series] = {}
    for tag, fields in (("m_", names.main), ("u_", names.user)):
        if tag == "m_" or any(c in frame.columns for c in fields.values()):
            columns[f"{tag}hit"], columns[f"{tag}reason"] = line(fields)
    status = _row_status(pl.DataFrame(columns))
    remove = status.select(removed_expr(nw.col("s"))).to_native().to_series()
    scrub = status.select(scrubbed_expr(nw.col("s"))).to_native().to_series()
    labels = status.to_native().to_series().filter(remove)

    compliance_cols = [*names.main.values(), *names.user.values(), names.compliant, names.status]
    if geo_columns is None:
        geo = default_geo_columns(frame.columns, exclude=[id_column, *compliance_cols])
    else:
        geo = list(geo_columns)
        missing = [c for c in geo if c not in frame.columns]
        if missing:
            raise InputError(
                f"geo_columns: {', '.join(map(repr, missing))} not in the DataFrame. "
                f"Available columns: {', '.join(map(repr, frame.columns))}."
            )

    out = null_where(frame, geo, scrub)
    out = filter_rows(out, ~remove)
    drop = joined_here if drop_compliance_columns is None else drop_compliance_columns
    if drop:
        out = drop_columns(out, [*compliance_cols, names.source])

    removed = labels.value_counts(sort=True)
    summary: dict[str, Any] = {
        "counts": "rows",
        "rows_in": n,
        "rows_out": len(out),
        "rows_removed": int(remove.sum()),
        "removed": {str(k): int(v) for k, v in removed.iter_rows()},
        "rows_geo_scrubbed": int(scrub.sum()),
        "geo_columns": geo,
    }
    _warn_if_no_geo_columns(summary)
    logger.info(
        "apply_compliance: %d of %d rows removed (rows per reason: %s); geo data removed "
        "from %d row(s) in %s",
        summary["rows_removed"],
        n,
        ", ".join(f"{k} {v}" for k, v in summary["removed"].items()) or "none",
        summary["rows_geo_scrubbed"],
        ", ".join(geo) or "no columns",
    )
    native = out.to_native()
    _keep_record(df, native)
    return (native, summary) if return_summary else native


def _keep_record(df: Any, out: Any) -> None:
    """pandas: the run's record stays in ``out.attrs`` whatever columns were dropped (row
    filters in some pandas versions do not carry ``attrs`` over)."""
    record = getattr(df, "attrs", {}).get(METADATA_KEY)
    if record is not None and isinstance(getattr(out, "attrs", None), dict):
        out.attrs[METADATA_KEY] = record


# -- lazy frames -----------------------------------------------------------------------


def _apply_lazy(
    df: Any,
    results: Any,
    *,
    id_column: str,
    kind: str,
    geo_columns: Sequence[str] | None,
    prefix: str,
    return_summary: bool,
    drop_compliance_columns: bool | None,
) -> Any:
    """:func:`apply_compliance` on a lazy frame: the same rules as nw expressions."""
    names = ColumnNames.for_prefix(prefix)
    joined_here = results is not None
    if joined_here:
        df = join_results(df, results, id_column=id_column, kind=kind, prefix=prefix)
    frame = as_lazy(df)
    columns = frame.collect_schema().names()
    if not joined_here and not any(names.main[f] in columns for f in ("action", "reason")):
        raise InputError(
            f"The frame has no {names.main['action']!r}/{names.main['reason']!r} columns. "
            "Run check_compliance first (check_compliance(lf) then apply_compliance), "
            "or pass results= (a results file or frame)."
        )
    if not joined_here:
        _warn_if_simulated(df, depth=1)

    def line(fields: dict[str, str]) -> tuple[nw.Expr, nw.Expr]:
        """(has a result line, reason) per row, for the main or the user columns."""
        hit: nw.Expr = nw.lit(False)
        for f in ("action", "reason"):
            if fields[f] in columns:
                hit = hit | ~nw.col(fields[f]).is_null()
        reason = (
            nw.col(fields["reason"]).cast(nw.String)
            if fields["reason"] in columns
            else nw.lit(None, nw.String)
        )
        return hit, reason

    m_hit, m_reason = line(names.main)
    user = None
    if any(c in columns for c in names.user.values()):
        u_hit, u_reason = line(names.user)
        user = Lookup(hit=u_hit, reason=u_reason)
    status = status_expr(Lookup(hit=m_hit, reason=m_reason), user)
    remove = removed_expr(status)
    scrub = scrubbed_expr(status)
    label = nw.when(remove).then(status)

    compliance_cols = [*names.main.values(), *names.user.values(), names.compliant, names.status]
    if geo_columns is None:
        geo = default_geo_columns(columns, exclude=[id_column, *compliance_cols])
    else:
        geo = list(geo_columns)
        missing = [c for c in geo if c not in columns]
        if missing:
            raise InputError(
                f"geo_columns: {', '.join(map(repr, missing))} not in the frame. "
                f"Available columns: {', '.join(map(repr, columns))}."
            )

    out = frame
    if geo:
        out = out.with_columns(*[nw.when(~scrub).then(nw.col(c)).alias(c) for c in geo])
    out = out.filter(~remove)
    drop = joined_here if drop_compliance_columns is None else drop_compliance_columns
    if drop:
        out = out.drop([c for c in [*compliance_cols, names.source] if c in columns])
    logger.info(
        "apply_compliance: lazy frame; removal of rows and geo scrub in %s added to the "
        "query (computed when the frame is)",
        ", ".join(geo) or "no columns",
    )
    native = out.to_native()
    if not return_summary:
        return native
    counts = (
        frame.select(label.alias("label"), scrub.cast(nw.Int64).alias("scrub"))
        .group_by("label")
        .agg(nw.len().alias("rows"), nw.col("scrub").sum().alias("scrub"))
        .collect()
    )
    table = pl.from_arrow(counts.to_arrow())
    assert isinstance(table, pl.DataFrame)
    removed = table.filter(pl.col("label").is_not_null()).sort(
        ["rows", "label"], descending=[True, False]
    )
    rows_in = int(table["rows"].sum() or 0)
    n_removed = int(removed["rows"].sum() or 0)
    summary: dict[str, Any] = {
        "counts": "rows",
        "rows_in": rows_in,
        "rows_out": rows_in - n_removed,
        "rows_removed": n_removed,
        "removed": {str(k): int(v) for k, v in removed.select("label", "rows").iter_rows()},
        "rows_geo_scrubbed": int(table["scrub"].sum() or 0),
        "geo_columns": geo,
    }
    _warn_if_no_geo_columns(summary)
    return native, summary
