"""What a person sees: the progress panel and terminal lines, the charts, the report.

``progress`` (fed by progress events), ``plots`` and ``report`` (read a checked frame, or
one saved and read back), ``snowflake`` (creation times read from IDs).

The public names are those of :mod:`compliance_nb`; the modules here are internal.
"""
