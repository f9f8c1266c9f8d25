"""The rules of the product, each written once: what a valid ID is, how results become a
row's outcome, and the limits. Every path (eager and lazy frames, uploads, JSON-lines
collections, the command line, the report, the charts and the sandbox) calls these.

This subpackage imports nothing from the client or the sandbox, so both can use it.
"""
