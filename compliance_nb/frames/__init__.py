"""The DataFrame layer: checking and applying on the caller's frames, eager or lazy.

``check`` (:func:`check_compliance`), ``joins`` (:func:`join_results`, and the join inside
a lazy frame's engine), ``columns`` (the added columns and how results become them),
``apply``, ``background`` (runs in a thread), ``ids`` (ID columns parsed by the ID rule),
``rowstate`` (results folded in per ID as they download), ``native`` (the dataframe-library
code, through narwhals), ``lazy`` (lazy and distributed frames: one module per engine).

The public names are those of :mod:`compliance_nb`; the modules here are internal.
"""
