"""The API layer: X's batch compliance job routes and the transfers of ID and results files.

``client`` (:class:`ComplianceClient`: auth, retries, rate budget, the job routes, waiting),
``job`` (the :class:`Job` model), ``ratelimit`` (the per-route request budget), ``idsource``
(ID sources checked against the ID rule), ``storage`` (the token-free session for the signed
URLs, storage errors and the retry bookkeeping shared by the transfers), ``uploads`` and
``downloads`` (the files moved at the job's URLs) and ``connect`` (the real API or the
built-in sandbox). Knows nothing of DataFrames.

The public names are those of :mod:`compliance_nb`; the modules here are internal.
"""
