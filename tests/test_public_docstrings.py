"""Every public name has a numpydoc docstring whose examples run.

For each name in ``compliance_nb.__all__``: numpydoc's validator finds none of the
errors below, and the examples in the name's own docstring run as doctests.
"""

from __future__ import annotations

import doctest
import io
from pathlib import Path

import pytest
from numpydoc.validate import validate

import compliance_nb

# the numpydoc checks every public docstring must pass
REQUIRED = {
    "GL06": "unknown section",
    "GL07": "sections in the wrong order",
    "GL08": "no docstring",
    "SS01": "no summary",
    "PR01": "a parameter is not documented",
    "PR02": "an unknown parameter is documented",
    "RT01": "no Returns section",
    "EX01": "no Examples section",
}

PUBLIC = sorted(name for name in compliance_nb.__all__ if name != "__version__")


def _qualified(name: str) -> str:
    obj = getattr(compliance_nb, name)
    return f"{obj.__module__}.{obj.__qualname__}"


@pytest.mark.parametrize("name", PUBLIC)
def test_docstring_passes_numpydoc_validation(name: str) -> None:
    where = _qualified(name)
    errors = [(code, message) for code, message in validate(where)["errors"] if code in REQUIRED]
    if errors:
        report = "\n".join(f"  {code} ({REQUIRED[code]}): {message}" for code, message in errors)
        pytest.fail(f"{where}:\n{report}", pytrace=False)


@pytest.mark.parametrize("name", PUBLIC)
def test_docstring_examples_run(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # whatever an example writes lands in a temporary folder
    obj = getattr(compliance_nb, name)
    where = _qualified(name)
    tests = [t for t in doctest.DocTestFinder(recurse=False).find(obj, where) if t.examples]
    if not tests:
        pytest.fail(f"{where} has no examples in its docstring", pytrace=False)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    out = io.StringIO()
    failed = sum(runner.run(test, out=out.write).failed for test in tests)
    if failed:
        pytest.fail(f"{where}: {failed} example(s) failed\n{out.getvalue()}", pytrace=False)
