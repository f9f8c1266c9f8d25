"""Frames for the chart tests, built here from plain records (no sandbox, no network), so
each test can work out what a chart must show on its own."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import matplotlib
import numpy as np
import polars as pl

UTC = timezone.utc
BASE = datetime(2021, 3, 1, 6, 0, tzinfo=UTC)
PATTERN = ["deleted", None, "protected", None, "suspended", None, None, "scrub_geo"]
TWITTER_EPOCH_MS = 1288834974657


def tweet_id(created: datetime, low_bits: int = 12345) -> str:
    """A snowflake ID created at ``created`` (worked out here, not by the package)."""
    ms = int(created.timestamp() * 1000) - TWITTER_EPOCH_MS
    return str((ms << 22) | low_bits)


def build_records() -> list[dict]:
    """40 dated Tweets, one per day, + 2 pre-snowflake IDs; one row per distinct ID.

    ID "20" is an old, sequential ID (no time in it) that X gave a result for, with its
    ``created_at``; ID "21" is an old ID still available: nothing dates it.
    """
    records = []
    for i in range(40):
        created = BASE + timedelta(days=i)
        reason = PATTERN[i % 8]
        redacted = created + timedelta(days=i + 1) if reason else None
        if i == 7:  # the API does not always give redacted_at
            redacted = None
        records.append(
            {"id": tweet_id(created), "reason": reason, "created": created, "redacted": redacted}
        )
    records.append(
        {
            "id": "20",
            "reason": "deleted",
            "created": datetime(2006, 3, 21, 20, 50, tzinfo=UTC),
            "redacted": datetime(2021, 4, 1, tzinfo=UTC),
        }
    )
    records.append({"id": "21", "reason": None, "created": None, "redacted": None})
    return records


def to_frame(records: list[dict], extra_rows: bool = True) -> pl.DataFrame:
    """The columns check_compliance adds; with ``extra_rows``, repeats and a null ID."""
    rows = list(records)
    if extra_rows:
        rows = rows + rows[:3]  # repeated rows: counted once
    tail = [None] if extra_rows else []
    return pl.DataFrame(
        {
            "id": [r["id"] for r in rows] + tail,
            "compliance_reason": [r["reason"] for r in rows] + tail,
            "compliance_created_at": [r["created"] if r["reason"] else None for r in rows] + tail,
            "compliance_redacted_at": [r["redacted"] for r in rows] + tail,
            "compliant": [r["reason"] is None for r in rows] + tail,
        },
        schema_overrides={
            "compliance_created_at": pl.Datetime("us", "UTC"),
            "compliance_redacted_at": pl.Datetime("us", "UTC"),
            "compliance_reason": pl.String,
        },
    )


def status(reason: str | None) -> str:
    return {"scrub_geo": "geo_scrubbed", None: "available"}.get(reason, reason)


def bars(ax) -> list:
    return [p for p in ax.patches if isinstance(p, matplotlib.patches.Rectangle)]


def seeded_frame(seed: int = 7, n_tweets: int = 600, n_users: int = 90) -> pl.DataFrame:
    """Tweets over 2012-2023 and their authors, with results drawn from a seeded RNG: a
    frame like a run with ``user_id_column="author_id"`` (the same every time)."""
    rng = np.random.default_rng(seed)
    start = datetime(2012, 1, 1, tzinfo=UTC)
    span_days = 12 * 365

    def draw(n: int, reasons: list[str], weights: list[float], created_days):
        picked = rng.choice(len(reasons), size=n, p=weights)
        lags = rng.integers(1, 2500, size=n)
        out = []
        for k, days, lag in zip(picked, created_days, lags, strict=True):
            reason = reasons[k] or None
            created = start + timedelta(days=int(days), hours=int(rng.integers(0, 24)))
            redacted = created + timedelta(days=int(lag)) if reason else None
            out.append((reason, created, redacted))
        return out

    # older Tweets are more often gone: weights shift with the creation day
    tweet_days = np.sort(rng.integers(0, span_days, size=n_tweets))
    tweets = []
    for i, days in enumerate(tweet_days):
        gone = 0.25 - 0.15 * days / span_days
        weights = [1 - gone, gone * 0.55, gone * 0.2, gone * 0.15, gone * 0.05, gone * 0.05]
        (row,) = draw(
            1, ["", "deleted", "protected", "suspended", "scrub_geo", "bounced"], weights, [days]
        )
        tweets.append((tweet_id(row[1], low_bits=i), *row))
    user_days = rng.integers(0, span_days, size=n_users)
    users = [
        (tweet_id(row[1], low_bits=4000 + i), *row)
        for i, row in enumerate(
            draw(
                n_users,
                ["", "deactivated", "suspended", "protected", "deleted"],
                [0.8, 0.08, 0.05, 0.04, 0.03],
                user_days,
            )
        )
    ]
    author = rng.integers(0, n_users, size=n_tweets)
    dt = pl.Datetime("us", "UTC")
    return pl.DataFrame(
        {
            "id": [t[0] for t in tweets],
            "author_id": [users[a][0] for a in author],
            "compliance_reason": [t[1] for t in tweets],
            "compliance_created_at": [t[2] if t[1] else None for t in tweets],
            "compliance_redacted_at": [t[3] for t in tweets],
            "compliant": [
                t[1] is None and users[a][1] is None for t, a in zip(tweets, author, strict=True)
            ],
            "user_compliance_reason": [users[a][1] for a in author],
            "user_compliance_created_at": [users[a][2] if users[a][1] else None for a in author],
            "user_compliance_redacted_at": [users[a][3] for a in author],
        },
        schema_overrides={
            "compliance_reason": pl.String,
            "user_compliance_reason": pl.String,
            "compliance_created_at": dt,
            "compliance_redacted_at": dt,
            "user_compliance_created_at": dt,
            "user_compliance_redacted_at": dt,
        },
    )
