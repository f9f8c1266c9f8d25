"""What a person sees: the progress panel and terminal lines, the charts, the report.

Progress (fed by progress events): ``progress`` picks a view for ``progress=``,
``reporter`` is a view's interface, ``progress_text`` the words every view uses, ``panel``
and ``panel_row`` the notebook widget panel (``panel_static`` its copy for saved notebooks),
``lines`` the terminal lines. ``charts`` (one module per chart; ``plots`` re-exports them)
and ``report`` read a checked frame (or one saved and read back); ``palette`` gives each
outcome its colour in the charts and the panel; ``snowflake`` reads creation times from IDs.

The public names are those of :mod:`compliance_nb`; the modules here are internal.
"""
