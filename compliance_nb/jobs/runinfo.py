"""What a compliance run leaves behind for the report and the charts: its provenance.

A checked frame says where its results came from: X's API or the sandbox (simulated), the
API's base URL, the jobs, when each job's results were produced and whether they were
reused from the ledger. ``check_compliance`` calls :func:`remember` on the frame it returns;
``compliance_report``, the charts and ``apply_compliance`` call :func:`recall`.

The record travels with the data, in what every writer stores:

* **a column**, ``<prefix>source`` (``compliance_source`` by default; categorical where the
  frame has categories): the same text on every row, :data:`SOURCE_X` (``"x-api"``),
  :data:`SOURCE_SANDBOX` (``"sandbox (SIMULATED)"``) or, when no ID was sent (an empty
  frame, only null IDs), :data:`SOURCE_NONE` (``"not checked"``), then a space and the
  record as compact JSON (:meth:`RunInfo.column_value`). It survives CSV, JSON lines
  and Parquet, with pandas or polars, and a frame made of several checked frames keeps
  each one's (:func:`recall` merges them). Filter on it with ``.str.starts_with("sandbox")``;
* **pandas ``attrs``** (``attrs["compliance_nb"]``, plain data), which pandas writes into
  a Parquet file's key-value metadata and reads back;
* **Parquet key-value metadata** for any frame: :func:`provenance_metadata` gives the
  ``metadata=`` for polars' ``write_parquet`` (``pl.read_parquet_metadata`` reads it back).

Nothing is kept beside the frame (no registry keyed by ``id()``): a frame without the
column and without ``attrs`` has no record.

>>> import polars as pl
>>> df = pl.DataFrame({"id": ["1"]})
>>> remember(df, RunInfo(kinds=("tweets",), job_ids={"tweets": ("123",)}, sandbox=True))
>>> df["compliance_source"].cast(pl.String)[0].split(" {")[0]
'sandbox (SIMULATED)'
>>> recall(df).job_ids, recall(df).sandbox
({'tweets': ('123',)}, True)
>>> recall(df.select("id")) is None
True

>>> import pandas as pd
>>> pdf = pd.DataFrame({"id": ["1"]})
>>> remember(pdf, RunInfo(kinds=("tweets",), job_ids={"tweets": ("123",)}, sandbox=True))
>>> pdf.attrs["compliance_nb"]["job_ids"]
{'tweets': ['123']}
>>> recall(pdf).sandbox
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "METADATA_KEY",
    "SOURCE_NONE",
    "SOURCE_SANDBOX",
    "SOURCE_X",
    "JobProvenance",
    "RunInfo",
    "provenance_metadata",
    "recall",
    "remember",
]

_ATTRS_KEY = "compliance_nb"
#: The key of the record in a Parquet file's key-value metadata (and in pandas ``attrs``).
METADATA_KEY = _ATTRS_KEY
#: The source column's first word(s) for results from X's API.
SOURCE_X = "x-api"
#: The source column's first words for results the compliance_nb sandbox simulated.
SOURCE_SANDBOX = "sandbox (SIMULATED)"
#: The source column's first words when no ID was sent, so no job ran.
SOURCE_NONE = "not checked"
_SOURCES = (SOURCE_SANDBOX, SOURCE_X, SOURCE_NONE)


def _time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


@dataclass(frozen=True)
class JobProvenance:
    """One job whose results a run used.

    ``completed_at`` is when the job's results were produced: the moment compliance_nb
    first saw the job complete (X's job object has no completion time), kept in the ledger
    so that results reused later (``reused``) keep their job's time.
    """

    kind: str
    id: str
    completed_at: datetime | None = None
    reused: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
            "reused": bool(self.reused),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JobProvenance:
        return cls(
            kind=str(data["kind"]),
            id=str(data["id"]),
            completed_at=_time(data.get("completed_at")),
            reused=bool(data.get("reused", False)),
        )


@dataclass(frozen=True)
class RunInfo:
    """A summary of one ``check_compliance`` run (no secrets).

    ``checked_at`` is when the call ran (None where the record came from the source column,
    which does not keep it); when the results were produced is each job's ``completed_at``
    (:attr:`jobs`).
    """

    kinds: tuple[str, ...] = ()
    job_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    checked_at: datetime | None = field(default_factory=lambda: datetime.now(timezone.utc))
    api_url: str | None = None
    sandbox: bool = False
    from_cache: dict[str, bool] = field(default_factory=dict)
    id_column: str = "id"
    user_id_column: str | None = None
    prefix: str = "compliance_"
    jobs: tuple[JobProvenance, ...] = ()

    @property
    def source(self) -> str:
        """:data:`SOURCE_SANDBOX` for simulated results, :data:`SOURCE_NONE` when no job
        ran, else :data:`SOURCE_X`."""
        if self.sandbox:
            return SOURCE_SANDBOX
        return SOURCE_X if self.job_ids or self.jobs else SOURCE_NONE

    def to_dict(self) -> dict[str, Any]:
        """The record as plain data (JSON-serialisable), as it is kept in ``attrs``.

        >>> RunInfo(kinds=("users",), checked_at=datetime(2026, 1, 2, tzinfo=timezone.utc)
        ...         ).to_dict()["checked_at"]
        '2026-01-02T00:00:00+00:00'
        """
        return {
            "source": self.source,
            "kinds": list(self.kinds),
            "job_ids": {k: list(v) for k, v in self.job_ids.items()},
            "jobs": [j.to_dict() for j in self.jobs],
            "checked_at": None if self.checked_at is None else self.checked_at.isoformat(),
            "api_url": self.api_url,
            "sandbox": bool(self.sandbox),
            "from_cache": {k: bool(v) for k, v in self.from_cache.items()},
            "id_column": self.id_column,
            "user_id_column": self.user_id_column,
            "prefix": self.prefix,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunInfo | None:
        """The record from :meth:`to_dict`'s plain data; None where it is not one.

        >>> info = RunInfo(kinds=("tweets",), job_ids={"tweets": ("9",)})
        >>> RunInfo.from_dict(info.to_dict()) == info
        True
        >>> RunInfo.from_dict({"something": "else"}) is None
        True
        """
        try:
            checked_at = _time(data["checked_at"])
            return cls(
                kinds=tuple(str(k) for k in data["kinds"]),
                job_ids={str(k): tuple(str(j) for j in v) for k, v in data["job_ids"].items()},
                checked_at=checked_at,
                api_url=None if data.get("api_url") is None else str(data["api_url"]),
                sandbox=bool(data.get("sandbox", False)),
                from_cache={str(k): bool(v) for k, v in data.get("from_cache", {}).items()},
                id_column=str(data.get("id_column", "id")),
                user_id_column=(
                    None if data.get("user_id_column") is None else str(data["user_id_column"])
                ),
                prefix=str(data.get("prefix", "compliance_")),
                jobs=tuple(JobProvenance.from_dict(j) for j in data.get("jobs") or ()),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None

    # -- the source column ---------------------------------------------------------------
    def column_value(self) -> str:
        """The text of the source column: :attr:`source`, a space, the record as compact
        JSON (``api``: the base URL; ``jobs``: ``[kind, id, completed_at]`` each, plus
        ``"reused"`` for results reused from the ledger; ``ids``: the ID columns). It is
        repeated on every row of a CSV or JSON-lines file, so it holds only what the report
        needs.

        >>> at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        >>> RunInfo(api_url="https://api.x.com", jobs=(JobProvenance("tweets", "7", at),)
        ...         ).column_value()
        'x-api {"api":"https://api.x.com","ids":["id",null],"jobs":[["tweets","7","2026-01-02T03:04:05+00:00"]]}'
        """
        jobs = [
            [
                j.kind,
                j.id,
                None if j.completed_at is None else j.completed_at.isoformat(),
                *(["reused"] if j.reused else []),
            ]
            for j in self.jobs
        ]
        record: dict[str, Any] = {
            "api": self.api_url,
            "jobs": jobs,
            "ids": [self.id_column, self.user_id_column],
        }
        if not self.jobs:  # a record without the jobs' times (made by hand, or older)
            if self.job_ids:
                record["job_ids"] = {k: list(v) for k, v in self.job_ids.items()}
            if self.kinds:
                record["kinds"] = list(self.kinds)
        return f"{self.source} {json.dumps(record, separators=(',', ':'), sort_keys=True)}"

    @classmethod
    def from_column_value(cls, text: Any, prefix: str = "compliance_") -> RunInfo | None:
        """The record in one value of the source column (named ``prefix + "source"``);
        None where it holds none.

        >>> at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        >>> info = RunInfo(kinds=("tweets",), job_ids={"tweets": ("9",)}, sandbox=True,
        ...                jobs=(JobProvenance("tweets", "9", at),), checked_at=None,
        ...                from_cache={"tweets": False})
        >>> RunInfo.from_column_value(info.column_value()) == info
        True
        >>> RunInfo.from_column_value("x-api") is None, RunInfo.from_column_value(3) is None
        (True, True)
        """
        if not isinstance(text, str):
            return None
        for label in _SOURCES:
            if not text.startswith(label + " {"):
                continue
            try:
                data = json.loads(text[len(label) + 1 :])
                jobs = tuple(
                    JobProvenance(
                        kind=str(j[0]),
                        id=str(j[1]),
                        completed_at=_time(j[2]),
                        reused="reused" in j[3:],
                    )
                    for j in data.get("jobs") or ()
                )
                job_ids: dict[str, tuple[str, ...]] = {}
                for j in jobs:
                    job_ids[j.kind] = (*job_ids.get(j.kind, ()), j.id)
                for kind, ids in (data.get("job_ids") or {}).items():
                    job_ids[str(kind)] = tuple(str(i) for i in ids)
                kinds = tuple(data.get("kinds") or job_ids)
                id_column, user_id_column = data.get("ids") or ("id", None)
                return cls(
                    kinds=tuple(str(k) for k in kinds),
                    job_ids=job_ids,
                    checked_at=None,  # when the call ran is not kept in the column
                    api_url=None if data.get("api") is None else str(data["api"]),
                    sandbox=label == SOURCE_SANDBOX,  # the words decide
                    from_cache={
                        k: all(j.reused for j in jobs if j.kind == k)
                        for k in kinds
                        if any(j.kind == k for j in jobs)
                    },
                    id_column=str(id_column),
                    user_id_column=None if user_id_column is None else str(user_id_column),
                    prefix=prefix,
                    jobs=jobs,
                )
            except (ValueError, TypeError, KeyError, IndexError, AttributeError):
                return None
        return None


def merge(infos: Iterable[RunInfo]) -> RunInfo | None:
    """One record for a frame made of several runs' rows: their kinds and jobs together,
    simulated when any was (the first run's columns and prefix).

    >>> a = RunInfo(kinds=("tweets",), job_ids={"tweets": ("1",)})
    >>> b = RunInfo(kinds=("tweets",), job_ids={"tweets": ("2",)}, sandbox=True)
    >>> m = merge([a, b])
    >>> m.job_ids, m.sandbox
    ({'tweets': ('1', '2')}, True)
    """
    infos = list(infos)
    if not infos:
        return None
    if len(infos) == 1:
        return infos[0]
    first = infos[0]
    job_ids: dict[str, tuple[str, ...]] = {}
    jobs: list[JobProvenance] = []
    kinds: list[str] = []
    from_cache: dict[str, bool] = {}
    for info in infos:
        kinds += [k for k in info.kinds if k not in kinds]
        for kind, ids in info.job_ids.items():
            job_ids[kind] = (
                *job_ids.get(kind, ()),
                *(i for i in ids if i not in job_ids.get(kind, ())),
            )
        jobs += [j for j in info.jobs if j not in jobs]
        for kind, cached in info.from_cache.items():
            from_cache[kind] = from_cache.get(kind, True) and cached
    urls = {i.api_url for i in infos}
    return RunInfo(
        kinds=tuple(kinds),
        job_ids=job_ids,
        checked_at=max((i.checked_at for i in infos if i.checked_at), default=None),
        api_url=first.api_url if len(urls) == 1 else ", ".join(sorted(u for u in urls if u)),
        sandbox=any(i.sandbox for i in infos),
        from_cache=from_cache,
        id_column=first.id_column,
        user_id_column=first.user_id_column,
        prefix=first.prefix,
        jobs=tuple(jobs),
    )


# -- on the frame ----------------------------------------------------------------------------


def source_column(prefix: str) -> str:
    """The name of the source column for ``prefix``.

    >>> source_column("compliance_"), source_column("cx_")
    ('compliance_source', 'cx_source')
    """
    return f"{prefix}source"


def remember(frame: Any, info: RunInfo) -> None:
    """Attach ``info`` to ``frame`` in place: the source column (pandas and polars
    DataFrames), and for pandas also ``attrs``. Other frames are left as they are (the
    frame layer adds the column to lazy frames as it builds them)."""
    attrs = getattr(frame, "attrs", None)
    if isinstance(attrs, dict):
        attrs[_ATTRS_KEY] = info.to_dict()
    name = source_column(info.prefix)
    value = info.column_value()
    module = type(frame).__module__.split(".")[0]
    if module == "pandas" and hasattr(frame, "columns"):
        import numpy as np
        import pandas as pd

        codes = np.zeros(len(frame), dtype=np.int8)  # one byte a row
        frame[name] = pd.Categorical.from_codes(codes, categories=[value])
    elif module == "polars" and hasattr(frame, "insert_column"):
        import polars as pl

        column = pl.repeat(value, frame.height, dtype=pl.Categorical, eager=True).alias(name)
        if name in frame.columns:
            frame.replace_column(frame.columns.index(name), column)
        else:
            frame.insert_column(frame.width, column)


def _source_values(frame: Any) -> list[tuple[str, str]]:
    """The distinct texts of every column that holds a run record (eager or lazy frames)."""
    import narwhals.stable.v2 as nw

    try:
        nw_frame = nw.from_native(frame)
    except TypeError:
        return []
    columns = [c for c in nw_frame.columns if isinstance(c, str) and c.endswith("source")]
    values: list[tuple[str, str]] = []
    for column in columns:
        present = nw_frame.select(nw.col(column)).drop_nulls()
        first = present.head(1)
        if isinstance(first, nw.LazyFrame):
            first = first.collect()  # type: ignore[assignment]
        if first.shape[0] == 0 or not str(first.item(0, 0)).startswith(_SOURCES):
            continue  # not a source column (Tweets have a "source" of their own)
        # the distinct values, then text: a categorical column is never made into one
        # string per row
        distinct = present.unique()
        if isinstance(distinct, nw.LazyFrame):
            distinct = distinct.collect()  # type: ignore[assignment]
        texts = distinct.select(nw.col(column).cast(nw.String)).get_column(column).to_list()
        prefix = column.removesuffix("source")
        values += [(v, prefix) for v in texts if (v, prefix) not in values]
    return values


def recall(frame: Any) -> RunInfo | None:
    """The record of the run(s) behind ``frame``, or None: from pandas ``attrs``, else from
    the source column (as saved and read back: text or categorical; several runs' rows
    give one merged record, see :func:`merge`)."""
    attrs = getattr(frame, "attrs", None)
    if isinstance(attrs, dict) and isinstance(attrs.get(_ATTRS_KEY), Mapping):
        info = RunInfo.from_dict(attrs[_ATTRS_KEY])
        if info is not None:
            return info
    infos = [RunInfo.from_column_value(v, prefix) for v, prefix in _source_values(frame)]
    return merge(i for i in infos if i is not None)


def provenance_metadata(frame: Any) -> dict[str, str]:
    """The Parquet key-value metadata that records where a checked frame's results came
    from: ``{"compliance_nb": <the record as JSON>}`` (empty when the frame has no record).

    pandas writes ``attrs`` (which hold the record) into Parquet by itself; with polars,
    pass this to ``write_parquet``. ``pl.read_parquet_metadata(path)["compliance_nb"]``
    gives it back (and the ``compliance_source`` column is in the file as well).

    Parameters
    ----------
    frame : DataFrame
        A frame ``check_compliance`` returned (or one read back).

    Returns
    -------
    dict of str to str
        The metadata to write.

    Examples
    --------
    >>> import json, tempfile
    >>> import polars as pl
    >>> from compliance_nb.jobs.runinfo import RunInfo, remember
    >>> checked = pl.DataFrame({"id": ["1"]})  # as check_compliance leaves it:
    >>> remember(checked, RunInfo(kinds=("tweets",), job_ids={"tweets": ("7",)}))
    >>> path = tempfile.mkdtemp() + "/checked.parquet"
    >>> checked.write_parquet(path, metadata=provenance_metadata(checked))
    >>> json.loads(pl.read_parquet_metadata(path)["compliance_nb"])["job_ids"]
    {'tweets': ['7']}
    """
    info = recall(frame)
    if info is None:
        return {}
    return {METADATA_KEY: json.dumps(info.to_dict(), sort_keys=True)}
