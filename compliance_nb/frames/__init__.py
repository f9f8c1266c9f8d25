"""The DataFrame layer: checking and applying on the caller's frames, eager or lazy.

``check`` (:func:`check_compliance`, :func:`join_results`), ``apply``, ``background``
(runs in a thread), ``ids`` (ID columns parsed by the ID rule), ``rowstate`` (results
folded in per ID as they download), ``native`` (the dataframe-library code, through
narwhals), ``lazy`` (lazy and distributed frames: one module per engine).

The public names are those of :mod:`compliance_nb`; the modules here are internal.
"""
