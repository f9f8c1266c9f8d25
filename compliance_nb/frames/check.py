"""``check_compliance``: check a frame's IDs with X and join the results on.

It validates everything first, sends the distinct IDs of the ID column(s) to the job
engine (:mod:`compliance_nb.jobs.engine`), which folds each result line into the rows as
it downloads (eager frames, :mod:`compliance_nb.frames.rowstate`), then adds the columns of
:mod:`compliance_nb.frames.columns` (lazy frames: joined inside their engine by
:func:`~compliance_nb.frames.joins.build_lazy`) and keeps the run record with the frame
(:mod:`compliance_nb.jobs.runinfo`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl

from .._dataframes import as_frame
from .._events import CancelToken, ProgressEvent, emit
from .._exceptions import InputError
from ..api.job import check_kind
from ..jobs.engine import (
    DEFAULT_MAX_IDS_PER_JOB,
    DEFAULT_RESUMABLE_THRESHOLD,
    EngineResult,
    run_kinds,
    validate_options,
)
from ..jobs.idset import unique_ids
from ..jobs.results import RESULTS_SCHEMA
from ..jobs.runinfo import JobProvenance, RunInfo, remember
from ..jobs.turns import check_on_conflict
from .columns import DEFAULT_PREFIX, ColumnNames, attach_columns, check_clashes, lookup_state
from .joins import build_lazy, parse_column
from .lazy.distinct import unique_lazy_ids
from .lazy.engines import as_lazy, is_lazy
from .native import require_columns
from .rowstate import RowResults

if TYPE_CHECKING:
    from ..api.client import ComplianceClient

__all__ = ["check_compliance"]


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
    on_conflict: str = "wait",
) -> Any:
    """Check the IDs in one column against X's batch compliance API; join the results on.

    Use it with ``DataFrame.pipe``::

        checked = df.pipe(check_compliance)                        # Tweet IDs in "id"
        checked = df.pipe(check_compliance, id_column="author_id", kind="users")
        checked = df.pipe(check_compliance, user_id_column="author_id")  # both at once

    Lazy frames (polars ``LazyFrame``, DuckDB relation, Dask or PySpark DataFrame) give
    a lazy frame of the same kind: only the ID column's distinct values are brought here
    (streamed and validated); the jobs run; the results are joined on inside the engine
    when the frame is computed. Lazy engines do not promise row order. See docs/lazy.md.

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

    Parameters
    ----------
    df : DataFrame or lazy frame
        The frame: pandas, polars, another eager frame narwhals supports, or a lazy frame
        (polars ``LazyFrame``, DuckDB relation, Dask or PySpark DataFrame).
    id_column : str, default "id"
        The column of IDs.
    kind : {"tweets", "users"}, default "tweets"
        What the IDs in ``id_column`` are.
    user_id_column : str, optional
        With ``kind="tweets"``, a column of the Tweets' author IDs: a users job runs at
        the same time and its results are joined as ``user_compliance_*``.
    client : ComplianceClient, optional
        The client to use; default: one from the environment (bearer token in
        ``X_BEARER_TOKEN``, ``TWITTER_BEARER_TOKEN`` or ``BEARER_TOKEN``).
    name : str, optional
        A job name (at most 64 characters).
    progress : "auto", False or callable, default "auto"
        ``"auto"`` (widget in a notebook, else lines on stderr), ``False``, or a callable
        receiving :class:`~compliance_nb.ProgressEvent`.
    cache : bool, default True
        Reuse results this machine downloaded for the same IDs within ``max_age``.
        ``False`` always starts a new job (a job still running for the same IDs is
        reattached, not duplicated, and results that another run downloaded for the same
        IDs while this one waited its turn are used).
    max_age : datetime.timedelta or float, optional
        How old cached results may be (a timedelta or seconds; default 7 days).
    errors : {"raise", "coerce"}, default "raise"
        ``"raise"`` on invalid IDs, or ``"coerce"``: those rows get null results and
        ``compliant`` null, with a warning that counts them.
    prefix : str, default "compliance_"
        The prefix of the added columns: ``prefix="p"`` adds ``p+"action"``,
        ``p+"reason"``, ``p+"created_at"``, ``p+"redacted_at"``, ``p+"compliant"``
        (``compliant`` for the default prefix), ``p+"status"``, and ``"user_"+p+...``
        for the users job.
    max_ids_per_job : int, default 25 million
        More distinct IDs than this are split over several jobs, run one after another;
        the results are combined.
    resumable_threshold : int, default 64 MiB
        Upload files larger than this (bytes) use a resumable upload.
    ledger_path : str or os.PathLike, optional
        The job ledger file (default: in ``$COMPLIANCE_NB_CACHE_DIR`` or the user cache
        folder; cached results are kept beside it). A second call for the same IDs
        reattaches to a job that is still running instead of starting another.
    cancel : CancelToken, optional
        A :class:`~compliance_nb.CancelToken` to stop waiting.
    on_conflict : {"wait", "raise"}, default "wait"
        X runs one job per kind per App at a time. When another job of this kind is
        running (another notebook, another machine), ``"wait"`` waits for it to end
        (the progress display says which job, its status and how long it has waited;
        the other job is never cancelled), then runs this one; ``"raise"`` raises
        :class:`~compliance_nb.ConflictError` at once. A job running for the same IDs is
        joined either way, and runs of one kind in this process always take turns.

    Returns
    -------
    DataFrame or lazy frame
        The same type as ``df``, with the same rows in the same order (lazy frames: the
        engine's order), the pandas index kept and the original columns untouched; ``df``
        itself is not changed. Added columns (see :mod:`compliance_nb.frames.columns` for
        how ``prefix=`` names them):

        - ``compliance_action``, ``compliance_reason`` (categorical text: pandas
          ``category``, polars ``Categorical``), ``compliance_created_at``,
          ``compliance_redacted_at`` (UTC datetimes): the result line for the row's ID,
          null when there is none (the ID needs no action);
        - ``compliant``: False where a result line asks for action, True where there is
          none, null where the ID was null (or invalid, with ``errors="coerce"``);
        - ``compliance_status`` (categorical text): one label per row: ``available``, or
          the reason (``deleted``, ``protected``, ``suspended``, ``bounced``,
          ``deactivated``; geo scrubs (``scrub_geo``/``geo_scrubbed``) are
          ``geo_scrubbed``; unknown reasons appear as they are); null where the ID is null;
        - ``compliance_source`` (categorical text, the same on every row): where the
          results came from, ``"x-api"`` or ``"sandbox (SIMULATED)"`` (``"not checked"``
          when no ID was sent), then the run's record as JSON: API URL, jobs, when each
          job's results were produced, whether they were reused. It travels with the
          data through CSV, JSON lines and Parquet; the report, the charts and
          ``apply_compliance`` read it. See "Provenance" in docs/reference.md;
        - with ``user_id_column=``: ``user_compliance_action`` ... ``_redacted_at`` from
          the users job; ``compliant`` is False when either job asks for action;
          ``compliance_status`` merges both, by precedence: a Tweet-level removal reason >
          a user-level reason (``user_deleted``, ``user_suspended``, ``user_protected``,
          ``user_deactivated``, ``user_<other>``) > ``geo_scrubbed`` > ``available``. A
          Tweet whose author is gone is not available even when the Tweets job says
          nothing about it.

    Raises
    ------
    InputError
        A missing column, unknown kind, invalid IDs (with ``errors="raise"``), clashing
        column names, a bad option.
    IDColumnTypeError
        A float (or other unusable) ID column.
    MissingTokenError
        No client and no token in the environment.
    ConflictError
        Another job of this type, not started by this machine for these IDs, is running.
    JobCancelledError
        ``cancel`` was cancelled.
    JobFailedError
        X reports that a job failed.

    See Also
    --------
    join_results : Join results you already have, without the API.
    apply_compliance : Drop the removed rows and null the geo data of the checked frame.
    start_compliance : The same check in a background thread.

    Examples
    --------
    Twenty sample Tweets, checked against the local sandbox (a throwaway ledger, so that
    nothing is cached):

    >>> import tempfile
    >>> import polars as pl
    >>> from compliance_nb.datasets import sample_tweets
    >>> from compliance_nb.sandbox import Sandbox
    >>> df = sample_tweets(20, backend="polars")
    >>> with Sandbox(processing_delay=0) as sb, tempfile.TemporaryDirectory() as tmp:
    ...     checked = check_compliance(
    ...         df, client=sb.client(), progress=False, ledger_path=f"{tmp}/ledger.sqlite3"
    ...     )
    >>> checked.height == df.height, checked.columns[len(df.columns) :]
    ... # doctest: +NORMALIZE_WHITESPACE
    (True, ['compliance_action', 'compliance_reason', 'compliance_created_at',
            'compliance_redacted_at', 'compliant', 'compliance_status', 'compliance_source'])
    >>> checked["compliance_source"][0][:20]  # where the results came from, then the jobs
    'sandbox (SIMULATED) '
    >>> sorted(checked["compliance_status"].value_counts().iter_rows())
    [('available', 18), ('deleted', 1), ('suspended', 1)]
    >>> removed = checked.filter(~pl.col("compliant"))
    >>> removed.select("compliance_action", "compliance_reason").rows()
    [('delete', 'suspended'), ('delete', 'deleted')]
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
    check_clashes(list(frame.columns), names, with_user)
    if name is not None and (not isinstance(name, str) or len(name) > 64):
        raise InputError(f"name={name!r}: a job name is text of at most 64 characters.")
    validate_options(max_ids_per_job, resumable_threshold, max_age)
    check_on_conflict(on_conflict)
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
            keys = parse_column(frame, column, errors, what).ids.cast(pl.UInt64)
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
        on_conflict=on_conflict,
    )
    del ids_by_kind  # the distinct IDs (8 bytes each) are not needed for the join

    # ---- join back
    if lazy:  # joined inside the engine, still lazy
        empty = pl.DataFrame(schema=RESULTS_SCHEMA)
        info = _run_info(engine, used_client, id_column, user_id_column, prefix)
        joined = build_lazy(
            frame,
            id_column,
            engine[kind].results if kind in engine else empty,
            names=names,
            user_id_column=user_id_column,
            user_results=engine["users"].results if "users" in engine else empty,
        )
        # the provenance column, as text (lazy engines have no categories in common)
        return joined.with_columns(nw.lit(info.column_value()).alias(names.source)).to_native()
    # the results were joined on per row as they were read (see _rowstate)
    main = lookup_state(states.pop(kind), "m_")
    user = lookup_state(states.pop("users"), "u_") if with_user else None
    native = attach_columns(frame, main, user, names).to_native()
    remember(native, _run_info(engine, used_client, id_column, user_id_column, prefix))
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
    on_conflict: str = "wait",
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
            on_conflict=on_conflict,
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


def _run_info(
    engine: Mapping[str, EngineResult],
    client: Any,
    id_column: str,
    user_id_column: str | None,
    prefix: str,
) -> RunInfo:
    """The run's provenance: the API, whether its results are simulated (the client is
    the built-in sandbox's, or the server marked its jobs), and each job with when its
    results were produced (reused ones keep their job's time)."""
    jobs = tuple(
        JobProvenance(kind=k, id=j.id, completed_at=j.completed_at, reused=r.from_cache)
        for k, r in engine.items()
        for j in r.jobs
    )
    simulated = bool(getattr(client, "is_sandbox", False)) or any(
        j.simulated for r in engine.values() for j in r.jobs
    )
    return RunInfo(
        kinds=tuple(engine),
        job_ids={k: tuple(j.id for j in r.jobs) for k, r in engine.items()},
        api_url=getattr(client, "base_url", None),
        sandbox=simulated,
        from_cache={k: r.from_cache for k, r in engine.items()},
        id_column=id_column,
        user_id_column=user_id_column,
        prefix=prefix,
        jobs=jobs,
    )
