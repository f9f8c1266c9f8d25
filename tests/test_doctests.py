"""The examples in every module's docstrings run (doctest), as a user would run them.

They run here, inside the test suite, so that they get its isolation: no token, the ledger
in a temporary folder (tests/conftest.py), and a temporary working folder, so that nothing
an example writes lands in the repository or the user's cache.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import compliance_nb

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(compliance_nb.__path__, "compliance_nb.")
    if not info.name.endswith("__main__")
)


def test_every_module_is_found():
    # a package whose __init__ went missing would silently drop its modules from here
    assert {"compliance_nb.rules.ids", "compliance_nb.frames.check", "compliance_nb.cli"} <= set(
        MODULES
    )


@pytest.mark.parametrize("name", MODULES)
def test_module_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    for test in finder.find(module, name):
        if test.examples:
            runner.run(test, out=out.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(out)
    assert list(tmp_path.iterdir()) == [], "an example left files in the working folder"
