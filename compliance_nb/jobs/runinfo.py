"""What a compliance run leaves behind for the report and the charts: jobs, time, kinds.

``check_compliance`` calls :func:`remember` on the frame it returns; ``compliance_report``
calls :func:`recall` on the frame it is given. pandas frames carry the record in
``df.attrs`` as plain data (strings, lists, booleans: what every writer can store, so a
checked frame saves to Parquet, and pandas' ``read_parquet`` gives the record back); other
frames are looked up by identity while they live.

>>> import polars as pl
>>> df = pl.DataFrame({"id": ["1"]})
>>> remember(df, RunInfo(kinds=("tweets",), job_ids={"tweets": ("123",)}))
>>> recall(df).job_ids
{'tweets': ('123',)}

>>> import pandas as pd
>>> pdf = pd.DataFrame({"id": ["1"]})
>>> remember(pdf, RunInfo(kinds=("tweets",), job_ids={"tweets": ("123",)}, sandbox=True))
>>> pdf.attrs["compliance_nb"]["job_ids"]
{'tweets': ['123']}
>>> recall(pdf).sandbox
True
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = ["RunInfo", "recall", "remember"]

_ATTRS_KEY = "compliance_nb"


@dataclass(frozen=True)
class RunInfo:
    """A summary of one ``check_compliance`` run (no secrets)."""

    kinds: tuple[str, ...] = ()
    job_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    checked_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    api_url: str | None = None
    sandbox: bool = False
    from_cache: dict[str, bool] = field(default_factory=dict)
    id_column: str = "id"
    user_id_column: str | None = None
    prefix: str = "compliance_"

    def to_dict(self) -> dict[str, Any]:
        """The record as plain data (JSON-serialisable), as it is kept in ``attrs``.

        >>> RunInfo(kinds=("users",), checked_at=datetime(2026, 1, 2, tzinfo=timezone.utc)
        ...         ).to_dict()["checked_at"]
        '2026-01-02T00:00:00+00:00'
        """
        return {
            "kinds": list(self.kinds),
            "job_ids": {k: list(v) for k, v in self.job_ids.items()},
            "checked_at": self.checked_at.isoformat(),
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
            checked_at = datetime.fromisoformat(str(data["checked_at"]))
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
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


_by_id: dict[int, tuple[Any, RunInfo]] = {}


def remember(frame: Any, info: RunInfo) -> None:
    """Attach ``info`` to ``frame`` (pandas: in ``attrs``; others: while the frame lives)."""
    attrs = getattr(frame, "attrs", None)
    if isinstance(attrs, dict):
        attrs[_ATTRS_KEY] = info.to_dict()
        return
    key = id(frame)

    def forget(_ref: object, k: int = key) -> None:
        _by_id.pop(k, None)

    try:
        ref = weakref.ref(frame, forget)
    except TypeError:  # not weak-referenceable: keep nothing rather than leak the frame
        return
    _by_id[key] = (ref, info)


def recall(frame: Any) -> RunInfo | None:
    """The RunInfo remembered for ``frame``, or None."""
    attrs = getattr(frame, "attrs", None)
    if isinstance(attrs, dict) and isinstance(attrs.get(_ATTRS_KEY), Mapping):
        return RunInfo.from_dict(attrs[_ATTRS_KEY])
    entry = _by_id.get(id(frame))
    if entry is None or entry[0]() is not frame:
        return None
    return entry[1]
