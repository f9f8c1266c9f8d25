"""What a compliant copy keeps of a line: the layouts and the rules (pure: no I/O, no API).

A line of a collection is a **page** (one API response: ``data``, ``includes``,
``meta``) or one Tweet (or user) object with its expansions inlined; :func:`is_page`
tells them apart, :func:`is_user` tells a user from a Tweet. :func:`compliant_line`
applies :class:`Verdicts` (what the compliance jobs found) to one parsed line.

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

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

from ..rules.ids import MAX_DIGITS, canonical_id
from ..rules.outcomes import GEO_REASONS, UNKNOWN, USER_PREFIX

__all__ = [
    "SCRUB_REASONS",
    "Counts",
    "Editor",
    "Verdicts",
    "compliant_line",
    "id_key",
    "inlined",
    "is_page",
    "is_user",
    "merged_mention",
]

#: Reasons that mean "remove the geo information", not "remove the Tweet".
SCRUB_REASONS = frozenset(GEO_REASONS)

_REFERENCE_KEYS = frozenset({"type", "id"})
_MENTION_KEYS = frozenset({"start", "end", "username", "id", "tag"})


# --------------------------------------------------------------------------------------
# the layouts
# --------------------------------------------------------------------------------------


def is_page(obj: dict[str, Any]) -> bool:
    """An API response page (``data``/``includes``, or only ``meta``/``errors``)."""
    if "data" in obj or "includes" in obj:
        return True
    return "id" not in obj and ("meta" in obj or "errors" in obj)


def is_user(obj: dict[str, Any]) -> bool:
    """A user object: a ``username`` and no ``text``."""
    return "username" in obj and "text" not in obj


def inlined(ref: dict[str, Any]) -> bool:
    """A ``referenced_tweets`` entry with the referenced Tweet merged in."""
    return len(ref) > 2 or not ref.keys() <= _REFERENCE_KEYS


def merged_mention(mention: dict[str, Any]) -> bool:
    """A mention entity with the mentioned user's fields merged in."""
    return len(mention) > 5 or not mention.keys() <= _MENTION_KEYS


def id_key(value: Any) -> str:
    """The lookup key of an ID already checked in pass 1: its canonical decimal text (the
    ID rule of :mod:`compliance_nb.rules.ids`), so that ``"007"`` and ``7`` find ID 7.
    IDs as the API writes them are returned as they are, without a parse.

    >>> id_key("1265324480517361664"), id_key(7), id_key(" 007")
    ('1265324480517361664', '7', '7')
    """
    if (
        type(value) is str
        and 0 < len(value) < MAX_DIGITS
        and value[0] != "0"
        and value.isdigit()
        and value.isascii()
    ):
        return value
    try:
        return canonical_id(value)
    except ValueError:  # not an ID (pass 1 refused it): a key that matches no result
        return "!" + repr(value)


# --------------------------------------------------------------------------------------
# the rules
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
            reasons = [r or UNKNOWN for r in removed["reason"].to_list()]
            return (
                dict(zip(removed["id"].to_list(), reasons, strict=True)),
                frozenset(frame.filter(scrub)["id"].to_list()),
            )

        tweets_removed, tweets_scrubbed = split(tweets)
        users_removed, _ = split(users)  # a user has no geo of its own to scrub
        return cls(tweets_removed, users_removed, tweets_scrubbed)


@dataclass
class Counts:
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


class Editor:
    """Applies :class:`Verdicts` to the objects of one line, in place (pass 2)."""

    def __init__(self, verdicts: Verdicts, counts: Counts) -> None:
        self.tweets_removed = verdicts.tweets_removed
        self.users_removed = verdicts.users_removed
        self.scrubbed = verdicts.tweets_scrubbed
        self.counts = counts
        self.authors: dict[str, Any] = {}  # Tweet ID -> author_id, from includes.tweets

    def removal_reason(self, tweet: dict[str, Any]) -> str | None:
        """Why a Tweet must go (its own result, its author's, its retweeted Tweet's)."""
        tweet_id = id_key(tweet["id"])
        reason = self.tweets_removed.get(tweet_id)
        if reason is not None:
            return reason
        author_id = tweet.get("author_id")
        if author_id is None:
            author = tweet.get("author")
            author_id = author.get("id") if author else self.authors.get(tweet_id)
        if author_id is not None:
            reason = self.users_removed.get(id_key(author_id))
            if reason is not None:
                return USER_PREFIX + reason  # the label check_compliance gives such a row
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
        if self.scrubbed and "geo" in tweet and id_key(tweet["id"]) in self.scrubbed:
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
                if inlined(ref) and not self.tweet(ref, "inlined"):
                    refs[k] = {key: ref[key] for key in ("type", "id") if key in ref}
                    self.counts.references_stripped += 1
        entities = tweet.get("entities")
        mentions = entities.get("mentions") if isinstance(entities, dict) else None
        if isinstance(mentions, list):
            for k, mention in enumerate(mentions):
                if (
                    isinstance(mention, dict)
                    and merged_mention(mention)
                    and not self.user(mention, "inlined")
                ):
                    mentions[k] = {
                        key: mention[key] for key in ("start", "end", "username", "id")
                        if key in mention
                    }  # fmt: skip
        return True

    def user(self, user: dict[str, Any], place: str) -> bool:
        """Edit a user object in place; False when the user must be removed."""
        reason = self.users_removed.get(id_key(user["id"]))
        if reason is not None:
            self.counts.removed(self.counts.users_removed, place, reason)
            return False
        pinned = user.get("pinned_tweet")
        if pinned and not self.tweet(pinned, "inlined", pinned=True):
            del user["pinned_tweet"]
            self.counts.references_stripped += 1
        return True

    def object(self, obj: dict[str, Any], place: str) -> bool:
        return self.user(obj, place) if is_user(obj) else self.tweet(obj, place)

    def page(self, page: dict[str, Any]) -> dict[str, Any] | None:
        includes = page.get("includes")
        included_tweets = (includes or {}).get("tweets") or []
        self.authors = {
            id_key(t["id"]): t["author_id"] for t in included_tweets if "author_id" in t
        }
        data = page.get("data")
        had_data = bool(data)
        kept_tweets: list[dict[str, Any]] = []
        if isinstance(data, list):
            kept = [obj for obj in data if self.object(obj, "data")]
            if len(kept) != len(data):
                page["data"] = kept
            kept_tweets.extend(obj for obj in kept if not is_user(obj))
            meta = page.get("meta")
            if isinstance(meta, dict) and meta.get("result_count", len(kept)) != len(kept):
                meta["result_count"] = len(kept)
                self.counts.changes += 1
            left = bool(kept)
        elif isinstance(data, dict):
            left = self.object(data, "data")
            if left and not is_user(data):
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
    obj: Any, verdicts: Verdicts, counts: Counts | None = None
) -> dict[str, Any] | None:
    """The compliant version of one parsed line (edited in place), or None to drop it.

    ``obj`` is a page (``data``/``includes``/``meta``) or one Tweet (or user) object;
    the rules are in the module docstring. Pure: no I/O. ``counts`` (internal) collects
    what was removed, scrubbed and dropped.

    >>> v = Verdicts(tweets_removed={}, users_removed={"9": "suspended"})
    >>> compliant_line({"id": "1", "text": "hi", "author_id": "9"}, v) is None
    True
    """
    editor = Editor(verdicts, counts if counts is not None else Counts())
    if is_page(obj):
        return editor.page(obj)
    return obj if editor.object(obj, "data") else None
