"""What a person sees: the progress panel and terminal lines, the charts, the report.

Progress (fed by progress events): ``progress`` picks a view for ``progress=``,
``reporter`` is a view's interface, ``progress_text`` the words every view uses, ``panel``
and ``panel_row`` the notebook widget panel, ``lines`` the terminal lines. ``plots`` and
``report`` read a checked frame (or one saved and read back); ``snowflake`` reads creation
times from IDs.

The public names are those of :mod:`compliance_nb`; the modules here are internal.
"""
