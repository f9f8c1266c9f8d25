"""The jobs layer: running the jobs for a set of IDs, and what they leave behind.

``engine`` (splitting, reattaching, the cache; one job's five steps), ``ledger`` (the SQLite
record of jobs and results), ``results`` (JSON lines of results parsed and collapsed) and
``runinfo`` (the record of a run that travels with its results). Knows nothing of the
caller's DataFrames: results go to a consumer through the interface the engine defines.

The public names are those of :mod:`compliance_nb`; the modules here are internal.
"""
