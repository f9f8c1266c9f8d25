"""Raw API collections (JSON lines): :func:`apply_compliance_jsonl` and its parts.

``apply`` (the two passes and the jobs between them), ``read`` (opening, numbered lines),
``scan`` (pass 1: the IDs), ``rules`` (what the compliant copy keeps; pure), ``write``
(pass 2) and ``summary``.

The public names are those of :mod:`compliance_nb`; the modules here are internal.
"""
