"""Raw API collections (JSON lines): :func:`sample_collection`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np

from .._exceptions import InputError
from .api_objects import CollectionBuilder

__all__ = ["Layout", "sample_collection"]

Layout = Literal["pages", "tweets"]

_REPEAT_SHARE = 0.02  # Tweets collected twice (overlapping searches)


def sample_collection(
    path: str | os.PathLike[str],
    n_lines: int = 100,
    seed: int = 0,
    *,
    layout: Layout = "pages",
    gzip: bool = False,
    page_size: int = 20,
) -> Path:
    """Write a realistic raw API collection (JSON lines) to ``path``; return the path.

    The Tweets come from :func:`sample_tweets`-style data: replies (~20 %), retweets
    (~25 %), quotes (~10 %) of older Tweets in the same collection, media (~15 %),
    places (~5 %), and about 2 % of Tweets collected twice. Same arguments, same bytes.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write (replaced if it exists).
    n_lines : int, default 100
        Number of lines.
    seed : int, default 0
        The same arguments always give the same bytes.
    layout : {"pages", "tweets"}, default "pages"
        ``"pages"``: one search response per line, ``page_size`` Tweets in ``data`` with
        ``includes`` (``users``, ``tweets``, ``media``, ``places``) and ``meta``, as
        collection tools write the API's pages. ``"tweets"``: one Tweet per line with its
        expansions inlined (``author``, ``in_reply_to_user``, ``referenced_tweets`` with the
        referenced Tweet merged in, ``geo`` merged with its place, ``attachments.media``,
        user fields merged into ``entities.mentions``), as flattening tools write them.
    gzip : bool, default False
        Compress the file (name it ``*.gz``).
    page_size : int, default 20
        With ``layout="pages"``: Tweets in each page's ``data``.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InputError
        When ``n_lines`` or ``seed`` is not a whole number >= 0, ``page_size`` is not one
        >= 1, or ``layout`` is not one of its choices.

    See Also
    --------
    compliance_nb.apply_compliance_jsonl : The compliant copy of such a collection.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> p = sample_collection(pathlib.Path(tempfile.mkdtemp()) / "c.jsonl", n_lines=2)
    >>> [len(json.loads(line)["data"]) for line in p.read_text().splitlines()]
    [20, 20]
    >>> q = sample_collection(p.with_name("t.jsonl"), n_lines=3, layout="tweets")
    >>> sorted(json.loads(q.read_text().splitlines()[0]))[:4]
    ['author', 'author_id', 'conversation_id', 'created_at']
    """
    if isinstance(n_lines, bool) or not isinstance(n_lines, (int, np.integer)) or n_lines < 0:
        raise InputError(f"n_lines must be a whole number >= 0, got {n_lines!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a whole number >= 0, got {seed!r}.")
    if layout not in ("pages", "tweets"):
        raise InputError(f"layout must be 'pages' or 'tweets', got {layout!r}.")
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise InputError(f"page_size must be a whole number >= 1, got {page_size!r}.")
    import gzip as gzip_module

    import orjson

    path = Path(path)
    per_line = page_size if layout == "pages" else 1
    n_data = int(n_lines) * per_line
    rng = np.random.default_rng(seed)
    n_pool = max(2, n_data + n_data // 4)
    builder = CollectionBuilder(rng, n_pool)
    # the collected Tweets: newest first (as search returns them), a few collected twice
    chosen = np.sort(rng.choice(n_pool, size=n_data, replace=False))[::-1].copy()
    repeat = rng.random(n_data) < _REPEAT_SHARE
    chosen[repeat] = rng.choice(chosen, size=int(repeat.sum()))
    tokens = rng.integers(0, 36**12, size=max(int(n_lines), 1), dtype=np.int64)

    opener = gzip_module.open if gzip else open
    with opener(path, "wb") as out:
        for line in range(int(n_lines)):
            indexes = [int(i) for i in chosen[line * per_line : (line + 1) * per_line]]
            if layout == "pages":
                last = line == n_lines - 1
                token = None if last else np.base_repr(int(tokens[line]), 36).lower()
                obj = builder.page(indexes, token)
            else:
                obj = builder.flat_tweet(indexes[0])
            out.write(orjson.dumps(obj) + b"\n")
    return path
