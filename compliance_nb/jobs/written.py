"""How far another thread has written a file, so that a reader can follow it as it grows.

The upload file of a job is sent while it is written: the writer reports each flushed
slice, and the upload's reads wait for the bytes they need.

>>> written = WrittenBytes()
>>> written.advance(100)
>>> written.wait_for(100)  # there: returns at once
>>> written.finish()
>>> written.wait_for(101)
Traceback (most recent call last):
    ...
compliance_nb.jobs.written.NotWritten: the upload file stopped at 100 bytes
"""

from __future__ import annotations

import threading

__all__ = ["NotWritten", "WrittenBytes"]


class NotWritten(Exception):
    """The file's writer stopped before the bytes a read waits for (its own error is raised
    instead). Not an ``OSError``, so no HTTP library retries it."""


class WrittenBytes:
    """How far another thread has written a file.

    The writer calls :meth:`advance` after each flushed slice and :meth:`finish` at the end
    (on errors too); a reader's :meth:`wait_for` returns once the bytes it needs are there.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._bytes = 0
        self._done = False

    def advance(self, n_bytes: int) -> None:
        """Note that the first ``n_bytes`` are in the file.

        Parameters
        ----------
        n_bytes : int
            The file's size so far.
        """
        with self._changed:
            self._bytes = n_bytes
            self._changed.notify_all()

    def finish(self) -> None:
        """Note that the writer stopped (done or failed): readers wait no longer."""
        with self._changed:
            self._done = True
            self._changed.notify_all()

    def wait_for(self, n_bytes: int) -> None:
        """Return once the first ``n_bytes`` are written.

        Parameters
        ----------
        n_bytes : int
            How many bytes from the start the reader needs.

        Raises
        ------
        NotWritten
            The writer stopped short of them.
        """
        with self._changed:
            self._changed.wait_for(lambda: self._bytes >= n_bytes or self._done)
            if self._bytes < n_bytes:
                raise NotWritten(f"the upload file stopped at {self._bytes} bytes")
