"""The public surface: one __all__, every name in it importable, nothing private leaking."""

import importlib

import compliance_nb


def test_all_matches_the_lazy_export_table():
    assert sorted(compliance_nb.__all__) == sorted([*compliance_nb._EXPORTS, "__version__"])


def test_every_public_name_resolves_to_an_object_from_its_module():
    for name, module in compliance_nb._EXPORTS.items():
        obj = getattr(compliance_nb, name)
        mod = importlib.import_module(module, "compliance_nb")
        assert obj is getattr(mod, name), name


def test_unknown_attribute_is_an_attribute_error():
    try:
        compliance_nb.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")
