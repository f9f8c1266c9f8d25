"""Lazy and distributed frames: polars ``LazyFrame``, DuckDB relations, Dask and PySpark.

The eager path pulls the ID column into memory and attaches the new columns by position.
A lazy frame may hold billions of rows, so here:

1. **IDs out, nothing else**: only the ID column is selected, its distinct values are
   computed *by the frame's own engine* (``SELECT DISTINCT``), and those are streamed to
   this process in batches (polars: streaming ``collect_batches``; DuckDB: an Arrow
   record-batch reader; Dask: one partition at a time; Spark: ``toLocalIterator``).
   Each batch is validated by :func:`compliance_nb.frames.ids.parse_ids`, the eager path's
   own rules, and collected by :class:`compliance_nb.frames.lazy.spill.DistinctIds` (beyond
   a few million IDs it spills them to temporary files and deduplicates file by file), so
   this process holds the distinct valid IDs once (8 bytes each) and little else. The
   other columns are never read.
2. **results in**: the collapsed results (one row per ID that needs action, usually far
   fewer rows) become a small frame of the same engine (a polars LazyFrame, a relation on
   the same DuckDB connection, a one-partition Dask frame, a broadcast Spark frame) and
   are joined on *inside the engine*, by a key computed per row in the engine. The
   result is lazy again, of the input's type. The lookup is kept compact (text fields
   as categories in polars and Dask, made text again per row) and, in polars, is always
   the hash join's build side.

Rows: lazy engines do not promise an order; the output has the same rows as the input,
not necessarily in the same order. Sort by a key of your own when order matters.

IDs: each row's ID is checked by the engine with the expressions of
:mod:`compliance_nb.rules.ids`, the same rule as for eager frames.

The generic code is narwhals; what differs per engine is a
:class:`~compliance_nb.frames.lazy.base.LazyBackend` in a module of its own (``polars``,
``duckdb``, ``dask``, ``spark``; ``generic`` for any other engine), found once per frame
by :func:`~compliance_nb.frames.lazy.engines.backend_for` in the one table
:data:`~compliance_nb.frames.lazy.engines.BACKENDS`. The generic code is in ``engines``
(which frames are lazy, which backend a frame has), ``distinct`` (step 1) and ``join``
(step 2); ``spill`` holds the distinct IDs with bounded memory; ``base`` is the interface.
"""
