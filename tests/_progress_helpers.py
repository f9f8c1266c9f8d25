"""Helpers for the progress tests: a fake clock and a walk over every child widget."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class FakeClock:
    """A clock the test moves by hand (seconds since the epoch)."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def walk_widgets(widget: Any) -> Iterator[Any]:
    """Every widget in the tree under ``widget`` (itself included)."""
    yield widget
    for child in getattr(widget, "children", ()) or ():
        yield from walk_widgets(child)


def widget_texts(widget: Any) -> list[str]:
    """Every text a person could see in the tree: values, descriptions, tooltips."""
    out: list[str] = []
    for w in walk_widgets(widget):
        for attr in ("value", "description", "tooltip", "placeholder"):
            v = getattr(w, attr, None)
            if isinstance(v, str):
                out.append(v)
    return out
