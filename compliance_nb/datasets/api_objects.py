"""API objects (Tweets, users, places, media; search pages) built from a pool of sample
Tweets, as the API returns them and as flattening tools write them."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..rules.ids import TWITTER_EPOCH_MS
from .draws import heavy_tail
from .places import PLACE_IDS, PLACES
from .tweets import tweet_arrays

__all__ = ["CollectionBuilder"]

_REPLY_SHARE = 0.2
_RETWEET_SHARE = 0.25
_QUOTE_SHARE = 0.1
_MEDIA_SHARE = 0.15


def _iso(ms: np.ndarray) -> list[str]:
    """API timestamps (``2020-01-01T00:00:00.000Z``) for milliseconds since the epoch."""
    text = np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms")
    return [f"{t}Z" for t in text]


class CollectionBuilder:
    """Builds API objects (Tweets, users, places, media) from one pool of generated Tweets.

    Every attribute of a Tweet (its kind, what it references, media) is fixed per pool
    index, so a Tweet looks the same wherever it appears (in ``data``, in
    ``includes.tweets``, inlined).
    """

    def __init__(self, rng: np.random.Generator, n_pool: int) -> None:
        t = tweet_arrays(rng, n_pool)
        order = np.argsort(t["created_ms"], kind="stable")  # pool index = age rank
        self.t = {k: v[order] for k, v in t.items() if k != "users"}
        self.u = t["users"]
        self.tweet_ids = [str(v) for v in self.t["id"]]
        self.tweet_times = _iso(self.t["created_ms"])
        self.user_ids = [str(v) for v in self.u["id"]]
        self.user_times = _iso(self.u["created_ms"])
        self.by_username = {name: k for k, name in enumerate(self.u["username"])}
        n = n_pool
        draw = rng.random(n)
        kind = np.full(n, "", dtype=object)
        kind[draw < _REPLY_SHARE + _RETWEET_SHARE + _QUOTE_SHARE] = "quoted"
        kind[draw < _REPLY_SHARE + _RETWEET_SHARE] = "retweeted"
        kind[draw < _REPLY_SHARE] = "replied_to"
        kind[0] = ""  # the oldest Tweet has nothing older to reference
        self.kind = kind
        # a referenced Tweet is older (a smaller pool index), often a recent one
        back = rng.integers(1, np.maximum(np.arange(n), 1) + 1, dtype=np.int64)
        near = rng.random(n) < 0.7
        back = np.where(near, np.minimum(back, rng.integers(1, 50, size=n)), back)
        self.ref = np.maximum(np.arange(n) - back, 0)
        self.media = (rng.random(n) < _MEDIA_SHARE) & (kind != "retweeted")
        self.media_low = rng.integers(0, 1 << 22, size=n, dtype=np.int64)
        self.replies = heavy_tail(rng, n, 8)
        self.quotes = heavy_tail(rng, n, 6)

    # -- objects as the API returns them ------------------------------------------------

    def user(self, k: int) -> dict[str, Any]:
        u = self.u
        return {
            "id": self.user_ids[k],
            "username": u["username"][k],
            "name": u["name"][k],
            "created_at": self.user_times[k],
            "protected": bool(u["protected"][k]),
            "verified": bool(u["verified"][k]),
            "public_metrics": {"followers_count": int(u["followers_count"][k])},
        }

    def place(self, p: int) -> dict[str, Any]:
        name, country, lat, lon = PLACES[p]
        return {
            "id": PLACE_IDS[p],
            "full_name": name,
            "name": name.split(",")[0],
            "country_code": country,
            "place_type": "city",
            "geo": {
                "type": "Feature",
                "bbox": [
                    round(lon - 0.3, 4),
                    round(lat - 0.2, 4),
                    round(lon + 0.3, 4),
                    round(lat + 0.2, 4),
                ],
            },
        }

    def media_key(self, i: int) -> str:
        ms = int(self.t["created_ms"][i])
        return f"3_{((ms - TWITTER_EPOCH_MS) << 22) | int(self.media_low[i])}"

    def media_obj(self, i: int) -> dict[str, Any]:
        key = self.media_key(i)
        return {
            "media_key": key,
            "type": "photo",
            "url": f"https://pbs.twimg.com/media/{key[2:]}.jpg",
            "width": 1200,
            "height": 675,
        }

    def tweet(self, i: int) -> dict[str, Any]:
        """Tweet ``i`` as in ``data`` or ``includes.tweets`` (references by ID only)."""
        t = self.t
        author = int(t["author"][i])
        text = t["text"][i]
        obj: dict[str, Any] = {"id": self.tweet_ids[i], "text": text}
        kind = self.kind[i]
        j = int(self.ref[i])
        if kind == "retweeted":
            ref_author = self.u["username"][int(t["author"][j])]
            text = f"RT @{ref_author}: {t['text'][j]}"[:280]
            obj["text"] = text
        elif kind == "replied_to":
            text = f"@{self.u['username'][int(t['author'][j])]} {text}"
            obj["text"] = text
        obj["author_id"] = self.user_ids[author]
        obj["created_at"] = self.tweet_times[i]
        obj["lang"] = t["lang"][i]
        obj["conversation_id"] = self.tweet_ids[j] if kind == "replied_to" else obj["id"]
        obj["edit_history_tweet_ids"] = [obj["id"]]
        obj["public_metrics"] = {
            "retweet_count": int(t["retweet_count"][i]),
            "reply_count": int(self.replies[i]),
            "like_count": int(t["like_count"][i]),
            "quote_count": int(self.quotes[i]),
        }
        if kind:
            obj["referenced_tweets"] = [{"type": kind, "id": self.tweet_ids[j]}]
        if kind == "replied_to":
            obj["in_reply_to_user_id"] = self.user_ids[int(t["author"][j])]
        mentions = []
        for word in text.split():
            username = word[1:].rstrip(":")  # "@name" or "@name:" (in "RT @name: ...")
            k = self.by_username.get(username) if word[0] == "@" else None
            if k is not None:
                start = text.find(word)
                mention = {"start": start, "end": start + 1 + len(username)}
                mentions.append({**mention, "username": username, "id": self.user_ids[k]})
        if mentions:
            obj["entities"] = {"mentions": mentions}
        if self.media[i]:
            obj["attachments"] = {"media_keys": [self.media_key(i)]}
        if t["geo"][i] and kind != "retweeted":  # a retweet carries no geo of its own
            geo: dict[str, Any] = {"place_id": PLACE_IDS[int(t["place"][i])]}
            if t["exact"][i]:
                geo["coordinates"] = {
                    "type": "Point",
                    "coordinates": [float(t["lon"][i]), float(t["lat"][i])],
                }
            obj["geo"] = geo
        return obj

    def page(self, indexes: list[int], token: str | None) -> dict[str, Any]:
        """One search-style response page for the data Tweets ``indexes``."""
        data = [self.tweet(i) for i in indexes]
        included = sorted({int(self.ref[i]) for i in indexes if self.kind[i]} - set(indexes))
        inc_tweets = [self.tweet(j) for j in included]
        users: dict[str, int] = {}
        places: dict[str, int] = {}
        media: dict[str, int] = {}
        for i, obj in zip([*indexes, *included], [*data, *inc_tweets], strict=True):
            users.setdefault(obj["author_id"], int(self.t["author"][i]))
            if "in_reply_to_user_id" in obj:
                users.setdefault(obj["in_reply_to_user_id"], int(self.t["author"][self.ref[i]]))
            for m in obj.get("entities", {}).get("mentions", ()):
                users.setdefault(m["id"], self.by_username[m["username"]])
            if "geo" in obj:
                places.setdefault(obj["geo"]["place_id"], int(self.t["place"][i]))
            if self.media[i]:
                media.setdefault(self.media_key(i), i)
        includes: dict[str, Any] = {"users": [self.user(k) for k in users.values()]}
        if inc_tweets:
            includes["tweets"] = inc_tweets
        if media:
            includes["media"] = [self.media_obj(i) for i in media.values()]
        if places:
            includes["places"] = [self.place(p) for p in places.values()]
        meta: dict[str, Any] = {
            "newest_id": data[0]["id"],
            "oldest_id": data[-1]["id"],
            "result_count": len(data),
        }
        if token:
            meta["next_token"] = token
        return {"data": data, "includes": includes, "meta": meta}

    def flat_tweet(self, i: int, depth: int = 0) -> dict[str, Any]:
        """Tweet ``i`` with its expansions inlined, as flattening tools write it."""
        obj = self.tweet(i)
        obj["author"] = self.user(int(self.t["author"][i]))
        if "in_reply_to_user_id" in obj:
            obj["in_reply_to_user"] = self.user(int(self.t["author"][self.ref[i]]))
        if "entities" in obj:
            for m in obj["entities"]["mentions"]:
                m.update(self.user(self.by_username[m["username"]]))
        if "attachments" in obj:
            obj["attachments"]["media"] = [self.media_obj(i)]
        if "geo" in obj:
            obj["geo"] = {**obj["geo"], **self.place(int(self.t["place"][i]))}
        if "referenced_tweets" in obj and depth == 0:
            j = int(self.ref[i])
            ref = obj["referenced_tweets"][0]
            obj["referenced_tweets"] = [{**ref, **self.flat_tweet(j, depth + 1)}]
        return obj
