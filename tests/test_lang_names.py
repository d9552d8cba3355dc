"""``control.lang`` offers the whole ARTIQ language, and so does its host implementation.

With ARTIQ installed, every public name of ``artiq.experiment`` (its ``__all__``: the names
of ``artiq.language`` and ``artiq.coredevice``, which is all that ``from artiq.experiment
import *`` brings) must be re-exported by ``control.lang`` as ARTIQ's own object. Without
ARTIQ, ``control.lang`` takes those names from ``control.language`` (and the RTIO
exceptions from ``control.rtio_exceptions``), so that implementation must provide every
one of them: the second test needs no ARTIQ.
"""
import importlib

import pytest

from control import lang

# Where control.lang takes each name from when ARTIQ is absent.
HOST_MODULES = ["control.language.core", "control.language.types",
                "control.language.environment", "control.language.units",
                "control.language.scan"]
HOST_EXCEPTIONS = ("control.rtio_exceptions", ["RTIOUnderflow", "RTIOOverflow"])


def _host_names():
    """name -> object, for everything the host implementation exports."""
    names = {}
    for module_name in HOST_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            assert name not in names, "{} exported twice by the host".format(name)
            names[name] = getattr(module, name)
    module_name, exceptions = HOST_EXCEPTIONS
    module = importlib.import_module(module_name)
    names.update((name, getattr(module, name)) for name in exceptions)
    return names


@pytest.mark.artiq
def test_every_name_of_artiq_experiment_is_in_control_lang():
    pytest.importorskip("artiq")
    experiment = importlib.import_module("artiq.experiment")
    public = experiment.__all__
    assert len(public) > 50  # the language, not an empty list
    missing = [name for name in public if not hasattr(lang, name)]
    assert not missing, "control.lang lacks: " + ", ".join(missing)
    assert not set(public) - set(lang.__all__)
    assert lang.ARTIQ
    different = [name for name in public if getattr(lang, name) is not getattr(experiment, name)]
    assert not different, "not ARTIQ's own object: " + ", ".join(different)


def test_host_implementation_provides_every_reexported_name():
    host = _host_names()
    reexported = lang.__all__
    assert len(reexported) == len(set(reexported))
    missing = [name for name in reexported if name not in host]
    assert not missing, "control.language lacks: " + ", ".join(missing)
    forgotten = sorted(set(host) - set(reexported))
    assert not forgotten, "control.lang does not re-export: " + ", ".join(forgotten)
    if not lang.ARTIQ:
        different = [name for name in reexported if getattr(lang, name) is not host[name]]
        assert not different, "not the host implementation's object: " + ", ".join(different)
