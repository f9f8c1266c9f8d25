"""Pass 1 of :func:`apply_compliance_jsonl`: read the collection once, collect its IDs.

:func:`scan_ids` reads every line, tells its layout (a page or one Tweet per line),
checks its shape and collects, uniquely, every Tweet ID (``id`` of every Tweet object
wherever it sits, and every ``referenced_tweets[].id``) and every user ID
(``author_id`` of every Tweet, ``id`` of every user object: ``includes.users``, inlined
``author``, ``in_reply_to_user``, mentions with user fields merged in, ``data`` users).
Bare ID references that carry no content and decide nothing (``in_reply_to_user_id``,
``pinned_tweet_id``, plain ``entities.mentions[].id``) are not checked: the object they
point to is checked where the file holds it. API v1.1 Tweets (``id_str``, ``user``) are
refused as malformed rather than half-handled.

The distinct IDs are kept as sorted ``uint64`` arrays (:class:`_IdSet`), so memory grows
with the number of distinct IDs, not with the size of the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import orjson

from ..rules.ids import id_problem
from .read import LineError, PassMeter, line_error, numbered_lines
from .rules import id_key, inlined, is_page, merged_mention

if TYPE_CHECKING:
    import polars as pl

    from .._events import CancelToken, ProgressCallback
    from .read import Loads

__all__ = ["MAX_SKIPPED_SHOWN", "IdScan", "scan_ids"]

#: Malformed lines kept in the summary with their message (all are counted).
MAX_SKIPPED_SHOWN = 20

_ID_CHUNK = 1 << 18  # IDs gathered in a Python list before they go to a numpy array


def _checked_id(value: Any, where: Any, name: str) -> str:
    """An ID as canonical decimal text, by the ID rule (:mod:`compliance_nb.rules.ids`).

    ``where``/``name`` say where it sits, for the error message of a malformed one.
    """
    key = id_key(value)  # the same key pass 2 looks results up by
    if not key.startswith("!"):
        return key
    raise LineError(
        f"{_path((where, name))} is not an ID ({id_problem(value)}): {str(value)[:40]!r}"
    )


def _path(where: Any) -> str:
    """Readable location of an object in its line: ``data[3].referenced_tweets[0]``.

    Built only for error messages; the walk passes cheap ``(parent, key)`` tuples.
    """
    parts: list[str] = []
    while isinstance(where, tuple):
        where, key = where
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    return str(where) + "".join(reversed(parts))


class _IdSet:
    """Distinct IDs gathered without a Python set of them all.

    IDs arrive as decimal text in a list; every ``_ID_CHUNK`` of them become a sorted
    ``uint64`` chunk of distinct values. A chunk is merged with the one before it while
    that one is not more than twice its size (like a binary counter), so there are never
    more than about log2(n) chunks, every ID is merged about log2(n) times, and memory
    stays near 8 bytes per distinct ID.
    """

    def __init__(self) -> None:
        self.buffer: list[str] = []
        self._chunks: list[np.ndarray] = []

    def flush(self) -> None:
        import polars as pl

        if self.buffer:
            values = pl.Series(self.buffer, dtype=pl.String).cast(pl.UInt64).to_numpy()
            self._chunks.append(np.unique(values))
            self.buffer = []
        chunks = self._chunks
        while len(chunks) > 1 and len(chunks[-2]) <= 2 * len(chunks[-1]):
            last = chunks.pop()
            chunks[-1] = np.unique(np.concatenate((chunks[-1], last)))

    def array(self) -> np.ndarray:
        self.flush()
        if not self._chunks:
            return np.zeros(0, dtype=np.uint64)
        return np.unique(np.concatenate(self._chunks))


class _Collector:
    """Walks one parsed line and adds its Tweet and user IDs (pass 1); checks its shape."""

    def __init__(self) -> None:
        self.tweets = _IdSet()
        self.users = _IdSet()

    def line(self, obj: Any) -> str:
        """Collect the IDs of one line; return its layout (``pages`` or ``tweets``)."""
        if not isinstance(obj, dict):
            raise LineError(f"expected a JSON object, found a JSON {type(obj).__name__}")
        if len(self.tweets.buffer) > _ID_CHUNK:
            self.tweets.flush()
        if len(self.users.buffer) > _ID_CHUNK:
            self.users.flush()
        if is_page(obj):
            data = obj.get("data")
            if isinstance(data, list):
                for k, item in enumerate(data):
                    self.object(item, ("data", k))
            elif isinstance(data, dict):
                self.object(data, "data")
            elif data is not None:
                raise LineError("'data' is neither a list nor an object")
            includes = obj.get("includes")
            if includes is not None:
                if not isinstance(includes, dict):
                    raise LineError("'includes' is not an object")
                for k, tweet in enumerate(_entries(includes, "tweets")):
                    self.tweet(tweet, ("includes.tweets", k))
                for k, user in enumerate(_entries(includes, "users")):
                    self.user(user, ("includes.users", k))
                for name in ("places", "media", "polls"):
                    _entries(includes, name)
            if "meta" in obj and not isinstance(obj["meta"], dict):
                raise LineError("'meta' is not an object")
            return "pages"
        if "id" in obj:
            self.object(obj, "the Tweet")
            return "tweets"
        raise LineError(
            "neither an API response page (no 'data', 'includes' or 'meta') "
            "nor a Tweet object (no 'id')"
        )

    def object(self, obj: Any, where: Any) -> None:
        if isinstance(obj, dict) and "username" in obj and "text" not in obj:
            self.user(obj, where)
        else:
            self.tweet(obj, where)

    def tweet(self, tweet: Any, where: Any) -> None:
        if not isinstance(tweet, dict) or "id" not in tweet:
            raise LineError(f"{_path(where)} is not a Tweet object with an 'id'")
        if "id_str" in tweet or isinstance(tweet.get("user"), dict):
            raise LineError(
                f"{_path(where)} looks like an API v1.1 Tweet ('id_str', 'user'); only "
                "API v2 collections (pages or v2 Tweet objects) are supported"
            )
        add_tweet = self.tweets.buffer.append
        add_tweet(_checked_id(tweet["id"], where, "id"))
        author_id = tweet.get("author_id")
        if author_id is not None:
            self.users.buffer.append(_checked_id(author_id, where, "author_id"))
        user = tweet.get("author")
        if user:  # flattening tools write {} for an expansion the page lacked
            self.user(user, (where, "author"))
        user = tweet.get("in_reply_to_user")
        if user:
            self.user(user, (where, "in_reply_to_user"))
        refs = tweet.get("referenced_tweets")
        if refs is not None:
            if not isinstance(refs, list):
                raise LineError(f"{_path((where, 'referenced_tweets'))} is not a list")
            for k, ref in enumerate(refs):
                if not isinstance(ref, dict) or "id" not in ref:
                    raise LineError(f"{_path((where, 'referenced_tweets'))}[{k}] has no 'id'")
                if inlined(ref):
                    self.tweet(ref, ((where, "referenced_tweets"), k))
                else:
                    add_tweet(_checked_id(ref["id"], ((where, "referenced_tweets"), k), "id"))
        entities = tweet.get("entities")
        if entities and isinstance(entities, dict):
            mentions = entities.get("mentions")
            if mentions and isinstance(mentions, list):
                for k, mention in enumerate(mentions):
                    if isinstance(mention, dict) and merged_mention(mention):
                        self.user(mention, ((where, "entities.mentions"), k))

    def user(self, user: Any, where: Any) -> None:
        if not isinstance(user, dict) or "id" not in user:
            raise LineError(f"{_path(where)} is not a user object with an 'id'")
        self.users.buffer.append(_checked_id(user["id"], where, "id"))
        pinned = user.get("pinned_tweet")
        if pinned:
            self.tweet(pinned, (where, "pinned_tweet"))


def _entries(includes: dict[str, Any], name: str) -> list[Any]:
    value = includes.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise LineError(f"'includes.{name}' is not a list of objects")
    return value


@dataclass
class IdScan:
    """What pass 1 found: the distinct IDs, line counts, and the malformed lines skipped."""

    tweet_ids: pl.Series
    user_ids: pl.Series
    lines_read: int = 0
    blank_lines: int = 0
    layouts: dict[str, int] = field(default_factory=dict)
    # line number -> message (the message only for the first MAX_SKIPPED_SHOWN)
    skipped: dict[int, str] = field(default_factory=dict)


def scan_ids(
    source: str | os.PathLike[str],
    *,
    errors: Literal["raise", "skip"] = "raise",
    loads: Loads = orjson.loads,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> IdScan:
    """Pass 1: read ``source`` once; return its distinct Tweet and user IDs (UInt64).

    A malformed line raises :class:`~compliance_nb.InputError` naming its line number
    (``error.line_number``); with ``errors="skip"`` it is recorded in ``skipped``.
    ``progress`` receives ``reading`` events over the file's bytes on disk, the last one
    (100%) once the IDs are gathered. A cancelled ``cancel`` token stops the pass with
    :class:`~compliance_nb.JobCancelledError` (checked every megabyte).

    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.jsonl"
    >>> _ = p.write_text('{"data":[{"id":"20","author_id":"12","text":"hi"}]}\\n')
    >>> scan = scan_ids(p)
    >>> scan.tweet_ids.to_list(), scan.user_ids.to_list()
    ([20], [12])
    """
    import polars as pl

    path = Path(source)
    collector = _Collector()
    scan = IdScan(tweet_ids=pl.Series(dtype=pl.UInt64), user_ids=pl.Series(dtype=pl.UInt64))
    meter = PassMeter(progress, "reading", path) if progress is not None else None
    for number, line in numbered_lines(path, meter, cancel):
        if not line:
            scan.blank_lines += 1
            continue
        scan.lines_read += 1
        try:
            try:
                obj = loads(line)
            except ValueError as exc:  # orjson.JSONDecodeError and json's both subclass it
                raise LineError(f"not valid JSON ({exc})") from None
            layout = collector.line(obj)
        except LineError as exc:
            if errors == "raise":
                raise line_error(path, number, str(exc)) from None
            scan.skipped[number] = str(exc) if len(scan.skipped) < MAX_SKIPPED_SHOWN else ""
            continue
        scan.layouts[layout] = scan.layouts.get(layout, 0) + 1
    scan.tweet_ids = pl.Series("id", collector.tweets.array(), dtype=pl.UInt64)
    scan.user_ids = pl.Series("id", collector.users.array(), dtype=pl.UInt64)
    if meter is not None:
        meter.finish()
    return scan
