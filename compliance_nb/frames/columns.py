"""The columns ``check_compliance`` and ``join_results`` add, and how results become them.

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
    compliance_source         p + "source"              where the results came from: "x-api"
                                                        or "sandbox (SIMULATED)", then the
                                                        run's record as JSON (check_compliance;
                                                        see compliance_nb.jobs.runinfo)

(``compliant`` keeps its short name only with the default prefix.)

The rows meet their results in a lookup (:func:`lookup_results` for results given as a
frame, :func:`lookup_state` for results folded in per ID as they downloaded): a small table,
one row per result plus two (no result, no ID), and for each input row its row of that
table. :func:`attach_columns` works out each row's answer by
:mod:`compliance_nb.rules.outcomes` and adds the columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import polars as pl

from .._exceptions import InputError
from ..jobs.idset import repeated_values
from ..rules.ids import id_values
from ..rules.outcomes import Lookup, compliant_expr, reason_label, status_expr
from .native import RowPlan, add_columns, add_gathered, gather_rows
from .rowstate import RowResults

__all__ = [
    "DEFAULT_PREFIX",
    "ColumnNames",
    "RowLookup",
    "attach_columns",
    "check_clashes",
    "lookup_results",
    "lookup_state",
]

DEFAULT_PREFIX = "compliance_"
_UTC = pl.Datetime("us", "UTC")
_RESULT_FIELDS = ("action", "reason", "created_at", "redacted_at")


@dataclass(frozen=True)
class ColumnNames:
    """The names of the columns ``check_compliance`` adds, for a given prefix.

    >>> ColumnNames.for_prefix("cx_").compliant, ColumnNames.for_prefix("cx_").user["reason"]
    ('cx_compliant', 'user_cx_reason')
    >>> ColumnNames.for_prefix().compliant, ColumnNames.for_prefix().source
    ('compliant', 'compliance_source')
    """

    main: dict[str, str]
    user: dict[str, str]
    compliant: str
    status: str

    @classmethod
    def for_prefix(cls, prefix: str = DEFAULT_PREFIX) -> ColumnNames:
        """The names for ``prefix`` (a non-empty string; :class:`InputError` otherwise)."""
        if not isinstance(prefix, str) or not prefix:
            raise InputError(f"prefix={prefix!r}: give a non-empty string, e.g. 'compliance_'.")
        return cls(
            main={f: prefix + f for f in _RESULT_FIELDS},
            user={f: "user_" + prefix + f for f in _RESULT_FIELDS},
            compliant="compliant" if prefix == DEFAULT_PREFIX else prefix + "compliant",
            status=prefix + "status",
        )

    @property
    def source(self) -> str:
        """The provenance column (see :mod:`compliance_nb.jobs.runinfo`)."""
        return self.status.removesuffix("status") + "source"

    def added(self, with_user: bool) -> list[str]:
        """Every name added, in column order."""
        names = list(self.main.values())
        if with_user:
            names += list(self.user.values())
        return [*names, self.compliant, self.status]


def check_clashes(columns: list[str], names: ColumnNames, with_user: bool) -> None:
    """Refuse a frame that already has a column the check would add.

    >>> check_clashes(["id", "text"], ColumnNames.for_prefix(), with_user=False)
    >>> check_clashes(["id", "compliant"], ColumnNames.for_prefix(), False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    compliance_nb.InputError: The DataFrame already has column(s) 'compliant', ...
    """
    clashes = [n for n in [*names.added(with_user), names.source] if n in columns]
    if clashes:
        raise InputError(
            f"The DataFrame already has column(s) {', '.join(map(repr, clashes))}, which "
            "check_compliance would add. Drop or rename them (e.g. the output of an earlier "
            "check), or pass prefix='...' to choose other names: prefix='p' adds p+'action', "
            "p+'reason', p+'created_at', p+'redacted_at', p+'compliant', p+'status', "
            "p+'source' (and "
            "'user_'+p+... with user_id_column=)."
        )


# -- the lookups -------------------------------------------------------------------------------


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
    # the rule's label for each distinct reason, then each result's by its category: no
    # text is made per result (results can be millions)
    seen = results.get_column("reason").drop_nulls().unique().cast(pl.String).to_list()
    label = (
        reason.replace_strict(
            seen,
            [reason_label(r, user=user) for r in seen],
            default=None,
            return_dtype=pl.Categorical,
        )
        .fill_null(pl.lit(reason_label(None, user=user), dtype=pl.Categorical))
        .alias("__label")
    )
    out = results.select(
        number.alias("__key"),
        pl.col("action").cast(pl.Categorical),
        reason,
        pl.col("created_at").cast(_UTC),
        pl.col("redacted_at").cast(_UTC),
        pl.lit(True).alias("__hit"),
        pl.lit(True).alias("__present"),
        label,
    )
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

    An inner join finds the few rows with a result (faster than a left join that writes a
    row for every key, or a membership test first and then a join of the keys found); the
    rest are filled in by position.
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
class RowLookup:
    """The added columns of one lookup, not yet one per row: ``table`` (one row per
    result plus the two of :func:`_with_sentinels`) and ``rows`` (for each input row,
    its row of ``table``, as a :class:`~compliance_nb.frames.native.RowPlan`). :meth:`gather`
    makes them one per row."""

    table: pl.DataFrame
    rows: RowPlan

    def gather(self) -> pl.DataFrame:
        return gather_rows(self.table, self.rows)


def lookup_results(keys: pl.Series, results: pl.DataFrame, tag: str) -> RowLookup:
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


def lookup_state(state: RowResults, tag: str) -> RowLookup:
    """:func:`lookup_results` for results already joined per ID (:class:`RowResults`): each
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


def _tagged(table: pl.DataFrame, rows: RowPlan, tag: str) -> RowLookup:
    """The lookup of ``table`` (from :func:`_with_sentinels`) at ``rows``: the columns a
    lookup gives, named with ``tag``."""
    wanted = [*_RESULT_FIELDS, "__label", "__hit", "__present"]
    return RowLookup(
        table.select(pl.col(c).alias(tag + c.removeprefix("__")) for c in wanted), rows
    )


def _status_columns(
    main: pl.DataFrame, user: pl.DataFrame | None, names: ColumnNames
) -> pl.DataFrame:
    """Build the added columns from the lookups (tags ``m_`` and ``u_``): the result fields,
    and ``compliant`` and the status by :mod:`compliance_nb.rules.outcomes`. ``main`` is
    one row per input row, or (one kind) the lookup's table, one row per result."""
    frame = main if user is None else pl.concat([main, user], how="horizontal")

    def lookup(tag: str, present: bool) -> Lookup:
        return Lookup(  # reasons and labels stay categorical: no text per row
            hit=nw.col(f"{tag}hit"),
            reason=nw.col(f"{tag}reason"),
            present=nw.col(f"{tag}present") if present else None,
            label=nw.col(f"{tag}label"),
        )

    status = status_expr(
        lookup("m_", True), lookup("u_", False) if user is not None else None, categorical=True
    )
    selected = [nw.col(f"m_{f}").alias(names.main[f]) for f in _RESULT_FIELDS]
    if user is not None:
        selected += [nw.col(f"u_{f}").alias(names.user[f]) for f in _RESULT_FIELDS]
    selected += [
        compliant_expr(status).cast(nw.Boolean).alias(names.compliant),
        status.cast(nw.Categorical).alias(names.status),
    ]
    return nw.from_native(frame).select(selected).to_native()


def attach_columns(
    frame: nw.DataFrame[Any], main: RowLookup, user: RowLookup | None, names: ColumnNames
) -> nw.DataFrame[Any]:
    """``frame`` with the added columns, from the lookups of its IDs (and user IDs).
    Without a users lookup the Tweet lookup's table holds the answer for each of its
    rows, taken once per input row; with one, both are gathered and combined."""
    if user is None:
        return add_gathered(frame, _status_columns(main.table, None, names), main.rows)
    return add_columns(frame, _status_columns(main.gather(), user.gather(), names))
