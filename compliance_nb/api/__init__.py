"""The API layer: X's batch compliance job routes and the transfers of ID and results files.

``client`` (:class:`ComplianceClient`: the job routes, ``wait``, ``run``), ``transfers``
(its ``upload`` and ``download``), ``origin`` (where the bearer token may go: the API's own
routes only),
``session`` (one API call: the bearer token, the rate budget, retries with back-off, 429
waits), ``errors`` (error answers to exceptions), ``routes`` (the four job routes; a lost
creation answer found again by name), ``waiting`` (adaptive polling), ``files`` (a job's
ID and results files, checked and moved), ``job`` (the :class:`Job` model), ``ratelimit``
(the per-route request budget), ``idsource`` (ID sources checked against the ID rule),
``storage`` (the transfers' session, which carries the token only where ``origin``
allows, transfer errors and the retry bookkeeping shared by the transfers), ``uploads``
and ``downloads`` (the files moved at the job's URLs) and ``connect`` (the real API or the
built-in sandbox). Knows nothing of DataFrames.

The public names are those of :mod:`compliance_nb`; the modules here are internal.
"""
