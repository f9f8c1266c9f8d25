"""What a compliance run leaves behind for the report and the charts: jobs, time, kinds.

``check_compliance`` calls :func:`remember` on the frame it returns; ``compliance_report``
calls :func:`recall` on the frame it is given. pandas frames carry the record in
``df.attrs`` (so it survives a copy); other frames are looked up by identity while they live.

>>> import polars as pl
>>> df = pl.DataFrame({"id": ["1"]})
>>> remember(df, RunInfo(kinds=("tweets",), job_ids={"tweets": ("123",)}))
>>> recall(df).job_ids
{'tweets': ('123',)}
"""

from __future__ import annotations

import weakref
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


_by_id: dict[int, tuple[Any, RunInfo]] = {}


def remember(frame: Any, info: RunInfo) -> None:
    """Attach ``info`` to ``frame`` (pandas: in ``attrs``; others: while the frame lives)."""
    attrs = getattr(frame, "attrs", None)
    if isinstance(attrs, dict):
        attrs[_ATTRS_KEY] = info
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
    if isinstance(attrs, dict) and isinstance(attrs.get(_ATTRS_KEY), RunInfo):
        return attrs[_ATTRS_KEY]
    entry = _by_id.get(id(frame))
    if entry is None or entry[0]() is not frame:
        return None
    return entry[1]
