"""The simulated twins keep the interface of the ARTIQ drivers they stand in for.

Parametrized over ``control.sim.DRIVER_MAP`` itself, so a new twin is checked as soon as it
is mapped. For every public method of the ARTIQ class the twin has a method of the same
name with the same parameters (names, order, kinds, defaults; annotations are for ARTIQ's
compiler and not compared), of the same kind (static or not; callable from kernels —
``@kernel``/``@portable`` — or host-only). A method the simulator does not model is a stub
(``control.sim.devices.unmodelled.not_modelled``) that raises ``NotImplementedError``
naming it. Constructors take ARTIQ's parameters, then only the simulator's private ones
(``_key``); public class-level constants exist on the twin (``kernel_invariants``: at
least ARTIQ's).
"""
import importlib
import inspect

import pytest

pytestmark = pytest.mark.artiq
pytest.importorskip("artiq")

from control import lang  # noqa: E402
from control.sim import DRIVER_MAP  # noqa: E402
from control.sim.devices.unmodelled import is_not_modelled  # noqa: E402

# Public ARTIQ methods that cannot exist on a twin, "Class.method" -> why; they are left
# out of the comparison. Every other method must exist (modelled, or as a raising stub).
# None so far.
CANNOT_EXIST: dict[str, str] = {}


def _load(module, name):
    return getattr(importlib.import_module(module), name)


def _label(artiq_entry):
    return artiq_entry[1]


def _is_method(raw):
    return isinstance(raw, (staticmethod, classmethod)) or inspect.isfunction(raw)


def _public(cls):
    """name -> raw class attribute (``staticmethod`` objects kept), public names only."""
    return {name: inspect.getattr_static(cls, name) for name in dir(cls)
            if not name.startswith("_")}


def _function(raw):
    """The Python function a compiler or a caller sees behind a (decorated) method."""
    if isinstance(raw, (staticmethod, classmethod)):
        raw = raw.__func__
    return lang.kernel_function(raw)


def _parameters(function):
    """(name, kind, default) per parameter; the default as (type, value) so that
    ``np.int64(-1)`` and ``-1`` differ, as they do for ARTIQ's compiler."""
    out = []
    for p in inspect.signature(function).parameters.values():
        default = p.default if p.default is inspect.Parameter.empty \
            else (type(p.default), p.default)
        out.append((p.name, p.kind, default))
    return out


def _kind(raw):
    """How a method can be called: its binding and whether kernels call it in place."""
    binding = type(raw).__name__ if isinstance(raw, (staticmethod, classmethod)) else "method"
    function = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
    in_kernel = lang.is_kernel(function) or lang.is_portable(function)
    return binding, "kernel-callable" if in_kernel else "host"


def _method_pairs():
    for artiq_entry, twin_entry in DRIVER_MAP.items():
        try:
            cls = _load(*artiq_entry)
        except (ImportError, AttributeError):
            continue  # test_artiq_has_the_mapped_driver reports it
        for name, raw in sorted(_public(cls).items()):
            qualified = "{}.{}".format(_label(artiq_entry), name)
            if _is_method(raw) and qualified not in CANNOT_EXIST:
                yield pytest.param(artiq_entry, twin_entry, name, id=qualified)


METHOD_PAIRS = list(_method_pairs())
DRIVERS = [pytest.param(a, t, id=_label(a)) for a, t in DRIVER_MAP.items()]


@pytest.mark.parametrize("artiq_entry, twin_entry", DRIVERS)
def test_artiq_has_the_mapped_driver(artiq_entry, twin_entry):
    cls = _load(*artiq_entry)
    assert inspect.isclass(cls)
    assert inspect.isclass(_load(*twin_entry))


@pytest.mark.parametrize("artiq_entry, twin_entry, name", METHOD_PAIRS)
def test_twin_method_matches_artiq(artiq_entry, twin_entry, name):
    qualified = "{}.{}".format(_label(artiq_entry), name)
    artiq_raw = inspect.getattr_static(_load(*artiq_entry), name)
    twin_cls = _load(*twin_entry)
    twin_raw = inspect.getattr_static(twin_cls, name, None)
    assert twin_raw is not None and _is_method(twin_raw), \
        "{} has no {}: add it, or a @not_modelled stub with ARTIQ's signature".format(
            twin_entry[1], name)
    assert _parameters(_function(twin_raw)) == _parameters(_function(artiq_raw)), \
        "{}{} differs from ARTIQ's {}{}".format(
            qualified, inspect.signature(_function(twin_raw)), qualified,
            inspect.signature(_function(artiq_raw)))
    assert _kind(twin_raw) == _kind(artiq_raw), \
        "{} is {} on the twin, {} in ARTIQ".format(qualified, _kind(twin_raw),
                                                   _kind(artiq_raw))


UNMODELLED = [p for p in METHOD_PAIRS
              if is_not_modelled(inspect.getattr_static(_load(*p.values[1]), p.values[2],
                                                        None))]


def _placeholders(function):
    """Arguments that bind to ``function``'s required parameters."""
    args, kwargs = [], {}
    for p in inspect.signature(function).parameters.values():
        if p.default is not inspect.Parameter.empty:
            continue
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            args.append(object())
        elif p.kind == p.KEYWORD_ONLY:
            kwargs[p.name] = object()
    return args, kwargs


@pytest.mark.parametrize("artiq_entry, twin_entry, name", UNMODELLED)
def test_unmodelled_method_raises_naming_itself(artiq_entry, twin_entry, name):
    method = getattr(_load(*twin_entry), name)  # unbound: a stand-in for self is bound
    args, kwargs = _placeholders(method)
    with pytest.raises(NotImplementedError,
                       match=r"\b{}\.{} is not modelled by the simulator".format(
                           twin_entry[1], name)):
        method(*args, **kwargs)


@pytest.mark.parametrize("artiq_entry, twin_entry", DRIVERS)
def test_twin_constructor_takes_artiq_arguments(artiq_entry, twin_entry):
    theirs = _parameters(_load(*artiq_entry).__init__)
    ours = _parameters(_load(*twin_entry).__init__)
    assert ours[:len(theirs)] == theirs
    extra = ours[len(theirs):]
    assert all(name.startswith("_") and default is not inspect.Parameter.empty
               for name, _, default in extra), \
        "only the simulator's private arguments may follow ARTIQ's: {}".format(extra)


@pytest.mark.parametrize("artiq_entry, twin_entry", DRIVERS)
def test_twin_has_artiq_class_constants(artiq_entry, twin_entry):
    twin_cls = _load(*twin_entry)
    for name, value in _public(_load(*artiq_entry)).items():
        if _is_method(value) or isinstance(value, property):
            continue
        assert hasattr(twin_cls, name), "{} lacks {}".format(twin_entry[1], name)
        if name == "kernel_invariants":
            assert set(value) <= set(twin_cls.kernel_invariants)
        else:
            assert getattr(twin_cls, name) == value, name

