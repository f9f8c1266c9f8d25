"""Raw API collections in, a compliant copy out: :func:`apply_compliance_jsonl`.

Most research collections are the JSON lines that collection tools write. Two layouts
are read, detected line by line (a file may mix them):

* **pages**: one API response per line,
  ``{"data": [...], "includes": {"tweets": [...], "users": [...], "media": [...],
  "places": [...], "polls": [...]}, "meta": {...}}``;
* **tweets**: one Tweet object per line, expansions inlined by a flattening tool
  (``author``, ``in_reply_to_user``, ``referenced_tweets[]`` with the referenced Tweet
  merged in, ``geo`` merged with its place, user fields merged into
  ``entities.mentions[]``, ``pinned_tweet`` in users).

``data`` may also hold user objects (a collection of followers, say): an object with a
``username`` and no ``text`` is treated as a user. Files may be gzip-compressed (detected
by their first bytes, whatever the name). API v1.1 Tweets (``id_str``, ``user``) are
refused as malformed rather than half-handled: their users and retweets sit in fields
this module does not read.

How it runs
-----------
1. **Pass 1** reads the file once and collects, uniquely, every Tweet ID (``id`` of every
   Tweet object wherever it sits, and every ``referenced_tweets[].id``) and every user ID
   (``author_id`` of every Tweet, ``id`` of every user object: ``includes.users``,
   inlined ``author``, ``in_reply_to_user``, mentions with user fields merged in,
   ``data`` users). Bare ID references that carry no content and decide nothing
   (``in_reply_to_user_id``, ``pinned_tweet_id``, plain ``entities.mentions[].id``) are
   not checked: the object they point to is checked where the file holds it.
   A malformed line stops here, before anything is sent or written.
2. The Tweets job and the users job run at the same time (the pipeline engine: ledger,
   reattach, cache).
3. **Pass 2** writes the compliant copy, line by line, with :func:`compliant_line`.

The rules of the copy
---------------------
* A Tweet is **removed** when its ID has a result whose reason is not a geo scrub, when
  its author (``author_id``) has a result (any reason), or when it is a **retweet** of a
  removed Tweet (a retweet repeats the original's text, so it goes with it; X deletes
  retweets with their original). Removed Tweets leave ``data`` and ``includes.tweets``.
* A user with a result (any reason) is removed from ``data`` and ``includes.users``.
  Users without a result stay, even when their Tweets had to go.
* An inlined copy of a removed object is stripped: a ``referenced_tweets`` entry keeps
  only ``{"type", "id"}``; an inlined ``in_reply_to_user`` or ``pinned_tweet`` is
  deleted (``in_reply_to_user_id`` and ``pinned_tweet_id`` stay); a mention keeps only
  its entity fields (``start``, ``end``, ``username``, ``id``). **References stay as
  IDs**: an ID is not content, and it is what makes a reply or quote readable as such.
* A Tweet with a geo-scrub result (``scrub_geo`` or ``geo_scrubbed``) loses its ``geo``
  field wherever it appears.
* ``includes.places``, ``includes.media`` and ``includes.polls`` entries that no
  remaining Tweet of the same line refers to are dropped.
* ``meta.result_count`` is set to the new length of ``data``; other ``meta`` fields
  (``newest_id``, ``next_token``...) are pagination markers and stay.
* A line that held Tweets or users in ``data`` and has none left is dropped; a Tweet line
  whose Tweet is removed is dropped. Lines with nothing in ``data`` to begin with (a last
  page with only ``meta``) are copied. Blank lines are dropped.
* Unchanged lines are copied byte for byte; changed lines are written as compact JSON.
  The output keeps each line's layout.

Counts in :class:`JsonlSummary` are of objects (a Tweet seen twice counts twice), by
place: ``data``, ``includes`` and ``inlined``.

>>> verdicts = Verdicts(tweets_removed={"2": "deleted"}, users_removed={},
...                     tweets_scrubbed=frozenset({"1"}))
>>> line = {"data": [{"id": "1", "text": "hi", "geo": {"place_id": "p1"}},
...                  {"id": "2", "text": "bye"}],
...         "includes": {"places": [{"id": "p1"}]}, "meta": {"result_count": 2}}
>>> compliant_line(line, verdicts)
{'data': [{'id': '1', 'text': 'hi'}], 'meta': {'result_count': 1}}
"""

from __future__ import annotations

import dataclasses
import gzip
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

import numpy as np
import orjson

from ._exceptions import InputError

if TYPE_CHECKING:
    import polars as pl

    from ._client import ComplianceClient

__all__ = [
    "SCRUB_REASONS",
    "IdScan",
    "JsonlSummary",
    "Verdicts",
    "apply_compliance_jsonl",
    "compliant_line",
    "scan_ids",
    "write_compliant_copy",
]

#: Reasons that mean "remove the geo information", not "remove the Tweet".
SCRUB_REASONS = frozenset({"scrub_geo", "geo_scrubbed"})
#: gzip level of compressed output (the gzip tool's default: a fair speed/size trade).
GZIP_LEVEL = 6
#: Malformed lines kept in the summary with their message (all are counted).
MAX_SKIPPED_SHOWN = 20

_GZIP_MAGIC = b"\x1f\x8b"
_READ_BUFFER = 1 << 20
_WRITE_BATCH = 1 << 22  # bytes of output gathered before one write
_ID_CHUNK = 1 << 18  # IDs gathered in a Python list before they go to a numpy array
_REFERENCE_KEYS = frozenset({"type", "id"})
_MENTION_KEYS = frozenset({"start", "end", "username", "id", "tag"})
_PLACES = ("data", "includes", "inlined")

Loads = Callable[[bytes], Any]
Dumps = Callable[[Any], bytes]


class _LineError(Exception):
    """A line that is not what the layouts allow; becomes an InputError with its number."""


# --------------------------------------------------------------------------------------
# reading lines
# --------------------------------------------------------------------------------------


def _open_source(path: Path) -> BinaryIO:
    """The file's bytes, decompressed if it starts with the gzip magic bytes."""
    with open(path, "rb") as probe:
        compressed = probe.read(2) == _GZIP_MAGIC
    if compressed:
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb", buffering=_READ_BUFFER)


def _numbered_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, line without surrounding white space); blank lines give b""."""
    with _open_source(path) as f:
        for number, raw in enumerate(f, 1):
            line = raw.strip()
            if number == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:].strip()  # a UTF-8 byte order mark
            yield number, line


def _is_page(obj: dict[str, Any]) -> bool:
    if "data" in obj or "includes" in obj:
        return True
    return "id" not in obj and ("meta" in obj or "errors" in obj)


def _is_user(obj: dict[str, Any]) -> bool:
    return "username" in obj and "text" not in obj


def _inlined(ref: dict[str, Any]) -> bool:
    """A ``referenced_tweets`` entry with the referenced Tweet merged in."""
    return len(ref) > 2 or not ref.keys() <= _REFERENCE_KEYS


def _merged_mention(mention: dict[str, Any]) -> bool:
    """A mention entity with the mentioned user's fields merged in."""
    return len(mention) > 5 or not mention.keys() <= _MENTION_KEYS


# --------------------------------------------------------------------------------------
# pass 1: collect the IDs
# --------------------------------------------------------------------------------------


def _checked_id(value: Any, where: Any, name: str) -> str:
    """An ID as canonical decimal text (no sign, no leading zero, below 2**64).

    ``where``/``name`` say where it sits, for the error message of a malformed one.
    """
    if type(value) is str:
        if 0 < len(value) < 20 and value.isdigit() and value[0] != "0" and value.isascii():
            return value
        if len(value) == 20 and value.isdigit() and value.isascii() and int(value) < 1 << 64:
            return value
    elif type(value) is int and 0 < value < 1 << 64:
        return str(value)
    raise _LineError(f"{_path((where, name))} is not a decimal ID: {str(value)[:40]!r}")


def _key(value: Any) -> str:
    """The lookup key of an ID already checked in pass 1 (strings stay as they are)."""
    return value if type(value) is str else str(value)


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
            raise _LineError(f"expected a JSON object, found a JSON {type(obj).__name__}")
        if len(self.tweets.buffer) > _ID_CHUNK:
            self.tweets.flush()
        if len(self.users.buffer) > _ID_CHUNK:
            self.users.flush()
        if _is_page(obj):
            data = obj.get("data")
            if isinstance(data, list):
                for k, item in enumerate(data):
                    self.object(item, ("data", k))
            elif isinstance(data, dict):
                self.object(data, "data")
            elif data is not None:
                raise _LineError("'data' is neither a list nor an object")
            includes = obj.get("includes")
            if includes is not None:
                if not isinstance(includes, dict):
                    raise _LineError("'includes' is not an object")
                for k, tweet in enumerate(_entries(includes, "tweets")):
                    self.tweet(tweet, ("includes.tweets", k))
                for k, user in enumerate(_entries(includes, "users")):
                    self.user(user, ("includes.users", k))
                for name in ("places", "media", "polls"):
                    _entries(includes, name)
            if "meta" in obj and not isinstance(obj["meta"], dict):
                raise _LineError("'meta' is not an object")
            return "pages"
        if "id" in obj:
            self.object(obj, "the Tweet")
            return "tweets"
        raise _LineError(
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
            raise _LineError(f"{_path(where)} is not a Tweet object with an 'id'")
        if "id_str" in tweet or isinstance(tweet.get("user"), dict):
            raise _LineError(
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
                raise _LineError(f"{_path((where, 'referenced_tweets'))} is not a list")
            for k, ref in enumerate(refs):
                if not isinstance(ref, dict) or "id" not in ref:
                    raise _LineError(f"{_path((where, 'referenced_tweets'))}[{k}] has no 'id'")
                if _inlined(ref):
                    self.tweet(ref, ((where, "referenced_tweets"), k))
                else:
                    add_tweet(_checked_id(ref["id"], ((where, "referenced_tweets"), k), "id"))
        entities = tweet.get("entities")
        if entities and isinstance(entities, dict):
            mentions = entities.get("mentions")
            if mentions and isinstance(mentions, list):
                for k, mention in enumerate(mentions):
                    if isinstance(mention, dict) and _merged_mention(mention):
                        self.user(mention, ((where, "entities.mentions"), k))

    def user(self, user: Any, where: Any) -> None:
        if not isinstance(user, dict) or "id" not in user:
            raise _LineError(f"{_path(where)} is not a user object with an 'id'")
        self.users.buffer.append(_checked_id(user["id"], where, "id"))
        pinned = user.get("pinned_tweet")
        if pinned:
            self.tweet(pinned, (where, "pinned_tweet"))


def _entries(includes: dict[str, Any], name: str) -> list[Any]:
    value = includes.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _LineError(f"'includes.{name}' is not a list of objects")
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
    bytes_read: int = 0


def _line_error(path: Path, number: int, message: str) -> InputError:
    error = InputError(
        f"{path.name}, line {number}: {message}. Fix or remove that line, or pass "
        f"errors='skip' to leave malformed lines out of the copy (they are counted)."
    )
    error.line_number = number  # type: ignore[attr-defined]
    error.path = str(path)  # type: ignore[attr-defined]
    return error


def scan_ids(
    source: str | os.PathLike[str],
    *,
    errors: Literal["raise", "skip"] = "raise",
    loads: Loads = orjson.loads,
) -> IdScan:
    """Pass 1: read ``source`` once; return its distinct Tweet and user IDs (UInt64).

    A malformed line raises :class:`~compliance_nb.InputError` naming its line number
    (``error.line_number``); with ``errors="skip"`` it is recorded in ``skipped``.

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
    for number, line in _numbered_lines(path):
        if not line:
            scan.blank_lines += 1
            continue
        scan.lines_read += 1
        scan.bytes_read += len(line) + 1
        try:
            try:
                obj = loads(line)
            except ValueError as exc:  # orjson.JSONDecodeError and json's both subclass it
                raise _LineError(f"not valid JSON ({exc})") from None
            layout = collector.line(obj)
        except _LineError as exc:
            if errors == "raise":
                raise _line_error(path, number, str(exc)) from None
            scan.skipped[number] = str(exc) if len(scan.skipped) < MAX_SKIPPED_SHOWN else ""
            continue
        scan.layouts[layout] = scan.layouts.get(layout, 0) + 1
    scan.tweet_ids = pl.Series("id", collector.tweets.array(), dtype=pl.UInt64)
    scan.user_ids = pl.Series("id", collector.users.array(), dtype=pl.UInt64)
    return scan


# --------------------------------------------------------------------------------------
# pass 2: the compliant copy of one line (pure: no I/O, no API)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdicts:
    """What pass 2 needs from the results.

    ``tweets_removed`` / ``users_removed`` map an ID (decimal string) to the reason it
    must go; ``tweets_scrubbed`` holds the Tweets that must lose their geo information.
    """

    tweets_removed: Mapping[str, str]
    users_removed: Mapping[str, str]
    tweets_scrubbed: AbstractSet[str] = frozenset()

    @classmethod
    def from_results(
        cls, tweets: pl.DataFrame | None = None, users: pl.DataFrame | None = None
    ) -> Verdicts:
        """From collapsed results frames (``id`` String or UInt64, ``reason``).

        A result with a missing or unknown reason removes its object (the safe side).

        >>> import polars as pl
        >>> t = pl.DataFrame({"id": ["1", "2"], "reason": ["deleted", "scrub_geo"]})
        >>> v = Verdicts.from_results(t, None)
        >>> dict(v.tweets_removed), set(v.tweets_scrubbed)
        ({'1': 'deleted'}, {'2'})
        """
        import polars as pl

        def split(frame: pl.DataFrame | None) -> tuple[dict[str, str], frozenset[str]]:
            if frame is None or frame.height == 0:
                return {}, frozenset()
            frame = frame.select(
                pl.col("id").cast(pl.String), pl.col("reason").cast(pl.String).fill_null("")
            )
            scrub = frame["reason"].is_in(list(SCRUB_REASONS))
            removed = frame.filter(~scrub)
            reasons = [r or "unknown" for r in removed["reason"].to_list()]
            return (
                dict(zip(removed["id"].to_list(), reasons, strict=True)),
                frozenset(frame.filter(scrub)["id"].to_list()),
            )

        tweets_removed, tweets_scrubbed = split(tweets)
        users_removed, _ = split(users)  # a user has no geo of its own to scrub
        return cls(tweets_removed, users_removed, tweets_scrubbed)


@dataclass
class _Counts:
    """Objects removed, scrubbed, stripped and dropped, by place and reason (pass 2)."""

    tweets_removed: dict[str, dict[str, int]] = field(default_factory=dict)
    users_removed: dict[str, dict[str, int]] = field(default_factory=dict)
    geo_scrubbed: dict[str, int] = field(default_factory=dict)
    references_stripped: int = 0
    includes_dropped: dict[str, int] = field(default_factory=dict)
    tweets_without_author: int = 0
    changes: int = 0

    def removed(self, table: dict[str, dict[str, int]], place: str, reason: str) -> None:
        by_reason = table.setdefault(place, {})
        by_reason[reason] = by_reason.get(reason, 0) + 1
        self.changes += 1


class _Editor:
    """Applies :class:`Verdicts` to the objects of one line, in place (pass 2)."""

    def __init__(self, verdicts: Verdicts, counts: _Counts) -> None:
        self.tweets_removed = verdicts.tweets_removed
        self.users_removed = verdicts.users_removed
        self.scrubbed = verdicts.tweets_scrubbed
        self.counts = counts
        self.authors: dict[str, Any] = {}  # Tweet ID -> author_id, from includes.tweets

    def removal_reason(self, tweet: dict[str, Any]) -> str | None:
        """Why a Tweet must go (its own result, its author's, its retweeted Tweet's)."""
        tweet_id = tweet["id"]
        if type(tweet_id) is not str:
            tweet_id = str(tweet_id)
        reason = self.tweets_removed.get(tweet_id)
        if reason is not None:
            return reason
        author_id = tweet.get("author_id")
        if author_id is None:
            author = tweet.get("author")
            author_id = author.get("id") if author else self.authors.get(tweet_id)
        if author_id is not None:
            reason = self.users_removed.get(_key(author_id))
            if reason is not None:
                return "author_" + reason
        refs = tweet.get("referenced_tweets")
        if refs:
            for ref in refs:
                if ref.get("type") == "retweeted":
                    inner = self.removal_reason(ref)
                    if inner is not None:
                        return "retweeted_" + inner.removeprefix("retweeted_")
        return None

    def tweet(self, tweet: dict[str, Any], place: str, *, pinned: bool = False) -> bool:
        """Edit a Tweet in place; False when the Tweet must be removed.

        ``pinned``: a user's pinned Tweet, whose author is that (kept) user.
        """
        reason = self.removal_reason(tweet)
        if reason is not None:
            self.counts.removed(self.counts.tweets_removed, place, reason)
            return False
        if not pinned and "author_id" not in tweet and not tweet.get("author"):
            self.counts.tweets_without_author += 1
        if self.scrubbed and "geo" in tweet and _key(tweet["id"]) in self.scrubbed:
            del tweet["geo"]
            self.counts.geo_scrubbed[place] = self.counts.geo_scrubbed.get(place, 0) + 1
            self.counts.changes += 1
        for name in ("author", "in_reply_to_user"):
            user = tweet.get(name)
            if user and not self.user(user, "inlined"):
                del tweet[name]
        refs = tweet.get("referenced_tweets")
        if refs:
            for k, ref in enumerate(refs):
                if _inlined(ref) and not self.tweet(ref, "inlined"):
                    refs[k] = {key: ref[key] for key in ("type", "id") if key in ref}
                    self.counts.references_stripped += 1
        entities = tweet.get("entities")
        mentions = entities.get("mentions") if isinstance(entities, dict) else None
        if isinstance(mentions, list):
            for k, mention in enumerate(mentions):
                if (
                    isinstance(mention, dict)
                    and _merged_mention(mention)
                    and not self.user(mention, "inlined")
                ):
                    mentions[k] = {
                        key: mention[key] for key in ("start", "end", "username", "id")
                        if key in mention
                    }  # fmt: skip
        return True

    def user(self, user: dict[str, Any], place: str) -> bool:
        """Edit a user object in place; False when the user must be removed."""
        reason = self.users_removed.get(_key(user["id"]))
        if reason is not None:
            self.counts.removed(self.counts.users_removed, place, reason)
            return False
        pinned = user.get("pinned_tweet")
        if pinned and not self.tweet(pinned, "inlined", pinned=True):
            del user["pinned_tweet"]
            self.counts.references_stripped += 1
        return True

    def object(self, obj: dict[str, Any], place: str) -> bool:
        return self.user(obj, place) if _is_user(obj) else self.tweet(obj, place)

    def page(self, page: dict[str, Any]) -> dict[str, Any] | None:
        includes = page.get("includes")
        included_tweets = (includes or {}).get("tweets") or []
        self.authors = {_key(t["id"]): t["author_id"] for t in included_tweets if "author_id" in t}
        data = page.get("data")
        had_data = bool(data)
        kept_tweets: list[dict[str, Any]] = []
        if isinstance(data, list):
            kept = [obj for obj in data if self.object(obj, "data")]
            if len(kept) != len(data):
                page["data"] = kept
            kept_tweets.extend(obj for obj in kept if not _is_user(obj))
            meta = page.get("meta")
            if isinstance(meta, dict) and meta.get("result_count", len(kept)) != len(kept):
                meta["result_count"] = len(kept)
                self.counts.changes += 1
            left = bool(kept)
        elif isinstance(data, dict):
            left = self.object(data, "data")
            if left and not _is_user(data):
                kept_tweets.append(data)
        else:
            left = False
        if includes:
            self.includes(includes, kept_tweets)
            if not includes:
                del page["includes"]
        self.authors = {}
        if had_data and not left:
            return None
        return page

    def includes(self, includes: dict[str, Any], kept_tweets: list[dict[str, Any]]) -> None:
        tweets = includes.get("tweets")
        if tweets:
            kept = [t for t in tweets if self.tweet(t, "includes")]
            includes["tweets"] = kept
            kept_tweets = kept_tweets + kept
        users = includes.get("users")
        if users:
            includes["users"] = [u for u in users if self.user(u, "includes")]
        referred: dict[str, set[str]] = {"places": set(), "media": set(), "polls": set()}
        for tweet in kept_tweets:
            geo = tweet.get("geo")
            if isinstance(geo, dict) and isinstance(geo.get("place_id"), str):
                referred["places"].add(geo["place_id"])
            attachments = tweet.get("attachments")
            if isinstance(attachments, dict):
                for name, key in (("media", "media_keys"), ("polls", "poll_ids")):
                    keys = attachments.get(key)
                    if isinstance(keys, list):
                        referred[name].update(k for k in keys if isinstance(k, str))
        for name, key in (("places", "id"), ("media", "media_key"), ("polls", "id")):
            entries = includes.get(name)
            if entries:
                wanted = referred[name]
                kept = [e for e in entries if isinstance(e.get(key), str) and e[key] in wanted]
                if len(kept) != len(entries):
                    dropped = len(entries) - len(kept)
                    self.counts.includes_dropped[name] = (
                        self.counts.includes_dropped.get(name, 0) + dropped
                    )
                    self.counts.changes += 1
                    includes[name] = kept
        for name in [n for n, v in includes.items() if isinstance(v, list) and not v]:
            del includes[name]  # the API leaves out empty lists


def compliant_line(
    obj: Any, verdicts: Verdicts, counts: _Counts | None = None
) -> dict[str, Any] | None:
    """The compliant version of one parsed line (edited in place), or None to drop it.

    ``obj`` is a page (``data``/``includes``/``meta``) or one Tweet (or user) object;
    the rules are in the module docstring. Pure: no I/O. ``counts`` (internal) collects
    what was removed, scrubbed and dropped.

    >>> v = Verdicts(tweets_removed={}, users_removed={"9": "suspended"})
    >>> compliant_line({"id": "1", "text": "hi", "author_id": "9"}, v) is None
    True
    """
    editor = _Editor(verdicts, counts if counts is not None else _Counts())
    if _is_page(obj):
        return editor.page(obj)
    return obj if editor.object(obj, "data") else None


# --------------------------------------------------------------------------------------
# the summary
# --------------------------------------------------------------------------------------


@dataclass
class JsonlSummary:
    """What :func:`apply_compliance_jsonl` did. ``str(summary)`` is a readable report.

    Attributes:
        source, destination: the paths.
        lines_read: non-blank lines read; ``layouts``: how many of them were pages and
            how many one Tweet per line.
        lines_written, lines_dropped: lines in the copy; lines left out because nothing
            was left in them (plus blank lines, counted in ``blank_lines``).
        lines_skipped: malformed lines left out (``errors="skip"``); ``skipped`` holds
            the first few as ``{line_number: message}``.
        tweets_read, users_read: distinct IDs found (and checked).
        tweets_flagged, users_flagged: distinct IDs with a result.
        tweets_removed, users_removed: objects removed, ``{place: {reason: count}}``,
            place one of ``data``, ``includes``, ``inlined``; a Tweet removed because
            of its author has reason ``author_<reason>``, a retweet of a removed Tweet
            ``retweeted_<reason>``.
        geo_scrubbed: Tweets whose ``geo`` was removed, ``{place: count}``.
        references_stripped: inlined copies of removed objects cut back to their ID.
        includes_dropped: ``includes`` entries (``places``, ``media``, ``polls``) that
            no remaining Tweet referred to.
        tweets_without_author: kept Tweet objects that name no author (no
            ``author_id``, no inlined ``author``): their author could not be checked.
        jobs: job IDs used per kind; ``from_cache``: kinds answered from stored results.
    """

    source: str
    destination: str
    lines_read: int = 0
    lines_written: int = 0
    lines_dropped: int = 0
    lines_skipped: int = 0
    blank_lines: int = 0
    layouts: dict[str, int] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)
    tweets_read: int = 0
    users_read: int = 0
    tweets_flagged: int = 0
    users_flagged: int = 0
    tweets_removed: dict[str, dict[str, int]] = field(default_factory=dict)
    users_removed: dict[str, dict[str, int]] = field(default_factory=dict)
    geo_scrubbed: dict[str, int] = field(default_factory=dict)
    references_stripped: int = 0
    includes_dropped: dict[str, int] = field(default_factory=dict)
    tweets_without_author: int = 0
    jobs: dict[str, list[str]] = field(default_factory=dict)
    from_cache: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (line numbers as strings in ``skipped``)."""
        out = dataclasses.asdict(self)
        out["skipped"] = {str(k): v for k, v in self.skipped.items()}
        return out

    def __str__(self) -> str:
        def table(title: str, counts: Mapping[str, Any]) -> list[str]:
            total = sum(v if isinstance(v, int) else sum(v.values()) for v in counts.values())
            rows = [f"  {title + ':':<16}{total:>10,}"]
            for place in _PLACES:
                value = counts.get(place)
                if not value:
                    continue
                if isinstance(value, dict):
                    reasons = sorted(value.items(), key=_by_count)
                    detail = ", ".join(f"{reason} {n:,}" for reason, n in reasons)
                    rows.append(f"    {'in ' + place:<14}{sum(value.values()):>10,}  {detail}")
                else:
                    rows.append(f"    {'in ' + place:<14}{value:>10,}")
            return rows

        layouts = ", ".join(f"{n:,} {name}" for name, n in sorted(self.layouts.items()))
        lines = [
            f"Compliant copy: {self.source} -> {self.destination}",
            f"  {'lines read:':<16}{self.lines_read:>10,}  ({layouts or 'none'})",
            f"  {'lines written:':<16}{self.lines_written:>10,}",
            f"  {'lines dropped:':<16}{self.lines_dropped:>10,}  (nothing left in them)",
            f"  {'Tweets checked:':<16}{self.tweets_read:>10,}  "
            f"({self.tweets_flagged:,} distinct IDs need action)",
            f"  {'users checked:':<16}{self.users_read:>10,}  "
            f"({self.users_flagged:,} distinct IDs need action)",
            *table("Tweets removed", self.tweets_removed),
            *table("users removed", self.users_removed),
            *table("geo scrubbed", self.geo_scrubbed),
        ]
        if self.references_stripped:
            lines.append(
                f"  {'cut to IDs:':<16}{self.references_stripped:>10,}  "
                "(inlined copies of removed objects)"
            )
        if self.includes_dropped:
            dropped = ", ".join(f"{k} {v:,}" for k, v in sorted(self.includes_dropped.items()))
            lines.append(
                f"  {'includes gone:':<16}{sum(self.includes_dropped.values()):>10,}  "
                f"({dropped}; no Tweet left refers to them)"
            )
        if self.tweets_without_author:
            lines.append(
                f"  NOTE:{self.tweets_without_author:>21,}  kept Tweets name no author "
                "(no author_id): their authors were not checked; collect with author_id"
            )
        if self.lines_skipped:
            shown = ", ".join(str(n) for n in list(self.skipped)[:10])
            more = ", ..." if self.lines_skipped > 10 else ""
            lines.append(
                f"  SKIPPED:{self.lines_skipped:>18,}  malformed line(s), left out of the "
                f"copy: line {shown}{more}"
            )
            lines.extend(
                f"    line {number}: {message}"
                for number, message in list(self.skipped.items())[:3]
            )
        for kind, ids in self.jobs.items():
            stored = " (stored results reused)" if kind in self.from_cache else ""
            lines.append(f"  {kind + ' jobs:':<16}{', '.join(ids) or '-':>10}{stored}")
        return "\n".join(lines)


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


# --------------------------------------------------------------------------------------
# writing the copy
# --------------------------------------------------------------------------------------


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def write_compliant_copy(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    verdicts: Verdicts,
    *,
    skip_lines: AbstractSet[int] = frozenset(),
    loads: Loads = orjson.loads,
    dumps: Dumps = orjson.dumps,
) -> JsonlSummary:
    """Pass 2: write the compliant copy of ``source`` to ``destination``.

    Writes a temporary file in the destination's folder and renames it at the end, so
    ``destination`` is either the old file or the complete copy, never a partial one.
    gzip-compressed when ``destination`` ends with ``.gz``. Lines in ``skip_lines``
    (malformed ones found by pass 1) are left out unparsed. ``loads``/``dumps`` are the
    JSON codec (orjson; the benchmark swaps in the standard library's for comparison).
    The returned summary has the line and object counts; the ID counts and jobs are
    filled in by :func:`apply_compliance_jsonl`.
    """
    src, dest = _check_paths(source, destination)
    summary = JsonlSummary(source=str(src), destination=str(dest))
    counts = _Counts()
    editor = _Editor(verdicts, counts)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        raw_out: BinaryIO = os.fdopen(fd, "wb")
        out: BinaryIO = raw_out
        if dest.name.endswith(".gz"):
            out = gzip.GzipFile(  # type: ignore[assignment]
                filename=dest.name, fileobj=raw_out, mode="wb", compresslevel=GZIP_LEVEL, mtime=0
            )
        try:
            batch: list[bytes] = []
            size = 0
            for number, line in _numbered_lines(src):
                if not line:
                    summary.blank_lines += 1
                    continue
                if number in skip_lines:
                    continue
                summary.lines_read += 1
                try:
                    obj = loads(line)
                except ValueError as exc:  # only if the file changed since pass 1
                    raise _line_error(src, number, f"not valid JSON ({exc})") from None
                if not isinstance(obj, dict):
                    raise _line_error(src, number, "expected a JSON object")
                before = counts.changes
                if _is_page(obj):
                    result = editor.page(obj)
                    layout = "pages"
                else:
                    result = obj if editor.object(obj, "data") else None
                    layout = "tweets"
                summary.layouts[layout] = summary.layouts.get(layout, 0) + 1
                if result is None:
                    summary.lines_dropped += 1
                    continue
                text = line if counts.changes == before else dumps(result)
                batch.append(text)
                batch.append(b"\n")
                size += len(text) + 1
                summary.lines_written += 1
                if size >= _WRITE_BATCH:
                    out.write(b"".join(batch))
                    batch, size = [], 0
            out.write(b"".join(batch))
        finally:
            if out is not raw_out:
                out.close()
            raw_out.close()
        shutil.copymode(src, tmp)  # mkstemp makes it private; the copy gets the source's mode
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    summary.tweets_removed = counts.tweets_removed
    summary.users_removed = counts.users_removed
    summary.geo_scrubbed = counts.geo_scrubbed
    summary.references_stripped = counts.references_stripped
    summary.includes_dropped = counts.includes_dropped
    summary.tweets_without_author = counts.tweets_without_author
    return summary


# --------------------------------------------------------------------------------------
# the public function
# --------------------------------------------------------------------------------------


def _check_paths(source: Any, destination: Any) -> tuple[Path, Path]:
    for name, value in (("source", source), ("destination", destination)):
        if not isinstance(value, (str, os.PathLike)):
            raise InputError(f"{name} must be a path (str or pathlib.Path), got {value!r}.")
    src, dest = Path(source).expanduser(), Path(destination).expanduser()
    if not src.is_file():
        raise InputError(f"source {str(src)!r} is not a file: give the collection's path.")
    if dest.is_dir():
        raise InputError(f"destination {str(dest)!r} is a folder: give a file name in it.")
    if not dest.parent.is_dir():
        raise InputError(
            f"destination folder {str(dest.parent)!r} does not exist: create it first."
        )
    if _same_file(src, dest):
        raise InputError(
            "destination is the source file: the source is never modified; "
            "give another path (e.g. 'collection.compliant.jsonl')."
        )
    return src, dest


def apply_compliance_jsonl(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    *,
    client: ComplianceClient | None = None,
    progress: Any = "auto",
    errors: Literal["raise", "skip"] = "raise",
    cache: bool = True,
    **engine_kwargs: Any,
) -> JsonlSummary:
    """Write a compliant copy of a raw API collection (JSON lines, gzip or not).

    Reads ``source`` twice (it is never modified): pass 1 collects the Tweet and user
    IDs, then the Tweets job and the users job run at the same time, then pass 2 writes
    ``destination`` (gzip-compressed when its name ends with ``.gz``), atomically. The
    rules of the copy are in this module's docstring. Memory grows with the number of
    distinct IDs and of results, not with the size of the file.

    Parameters
    ----------
    source, destination : paths; they must differ. An existing destination is replaced.
    client : a :class:`~compliance_nb.ComplianceClient`; default one from the
        environment's bearer token (``sb.client()`` for the sandbox).
    progress : ``"auto"``, ``False`` or a callable receiving progress events.
    errors : ``"raise"`` (default): a malformed line raises
        :class:`~compliance_nb.InputError` naming its line number, before anything is
        sent or written. ``"skip"``: malformed lines are counted, listed in the summary
        and left out of the copy.
    cache : reuse stored results of the same IDs (younger than 7 days).
    **engine_kwargs : passed to the pipeline engine (``name``, ``max_age``,
        ``max_ids_per_job``, ``ledger``, ``cancel``...).

    Returns
    -------
    JsonlSummary
        ``print(summary)`` shows what was read, removed, scrubbed and dropped.

    Examples
    --------
    >>> from compliance_nb import Sandbox
    >>> from compliance_nb.datasets import sample_collection
    >>> with Sandbox() as sb:  # doctest: +SKIP
    ...     sample_collection("raw.jsonl", n_lines=50)
    ...     summary = apply_compliance_jsonl("raw.jsonl", "clean.jsonl", client=sb.client())
    >>> print(summary)  # doctest: +SKIP
    """
    src, dest = _check_paths(source, destination)
    if errors not in ("raise", "skip"):
        raise InputError(f"errors must be 'raise' or 'skip', got {errors!r}.")
    if client is None:
        from ._client import ComplianceClient

        client = ComplianceClient()  # raises MissingTokenError without a token

    scan = scan_ids(src, errors=errors)

    from ._engine import run_kinds
    from ._progress import resolve_progress

    reporter = resolve_progress(progress)
    error: BaseException | None = None
    try:
        results = run_kinds(
            {"tweets": scan.tweet_ids, "users": scan.user_ids},
            client=client,
            progress=reporter,
            cache=cache,
            **engine_kwargs,
        )
    except BaseException as exc:
        error = exc
        raise
    finally:
        if reporter is not None:
            reporter.close(error)

    verdicts = Verdicts.from_results(results["tweets"].results, results["users"].results)
    summary = write_compliant_copy(src, dest, verdicts, skip_lines=frozenset(scan.skipped))
    summary.lines_read = scan.lines_read
    summary.lines_skipped = len(scan.skipped)
    summary.skipped = dict(list(scan.skipped.items())[:MAX_SKIPPED_SHOWN])
    summary.layouts = dict(scan.layouts)
    summary.tweets_read = len(scan.tweet_ids)
    summary.users_read = len(scan.user_ids)
    summary.tweets_flagged = results["tweets"].results.height
    summary.users_flagged = results["users"].results.height
    summary.jobs = {kind: [job.id for job in r.jobs] for kind, r in results.items()}
    summary.from_cache = [kind for kind, r in results.items() if r.from_cache and r.jobs]
    return summary
