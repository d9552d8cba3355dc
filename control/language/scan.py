"""Scan objects and the ``Scannable`` argument processor, for hosts without ARTIQ.

Matches ``artiq.language.scan`` of ARTIQ 9 (``9.9565+3740b92.beta``, the version the lab's
``artiq-lab`` build installs): the same classes and signatures, the same points in the
same order (shuffled ones too, with ``random.Random(seed)``), and the same ``describe()``
dictionaries, which the dashboard reads and gives back to ``Scannable.process``. Parity is
checked by ``tests/test_lang.py``, which runs each check on this module and, in the ARTIQ
lane (``make test-artiq``), on ARTIQ's.

Values are given already scaled (seconds, hertz); ``scale`` and ``unit`` are for display.
Each scan type registers itself with the constructor parameters its description lists, so
describing a scan and rebuilding it from a description read the same table.
"""
import random
from itertools import product, repeat

from control.language.environment import NoDefault, _display_settings, _Processor

__all__ = ["ScanObject", "NoScan", "RangeScan", "CenterScan", "ExplicitScan",
           "Scannable", "MultiScanManager"]


class ScanObject:
    """A one-dimensional sweep; iterate it (as often as you like, even nested) to get its
    points. Subclasses give ``__iter__``, ``__len__`` and ``describe``."""

    def __iter__(self):
        raise NotImplementedError(type(self).__name__ + " does not define __iter__")

    def __len__(self):
        raise NotImplementedError(type(self).__name__ + " does not define __len__")

    def describe(self):
        """The scan as the dashboard describes it: a dict with ``ty`` (the scan's type)
        and its parameters, which ``Scannable.process`` turns back into the scan."""
        raise NotImplementedError(type(self).__name__ + " does not define describe")


#: description name -> scan class, for ``Scannable.process``
_SCAN_TYPES: dict[str, type] = {}


def _scan_type(*parameters):
    """Register a scan class under its name; ``parameters`` are both its constructor's
    parameters and the keys of its description, in the description's order."""
    def register(cls):
        cls._parameters = parameters
        cls._type_name = cls.__name__  # a subclass still describes itself as this type
        _SCAN_TYPES[cls.__name__] = cls
        return cls
    return register


class _TabledScan(ScanObject):
    """A registered scan: described from its table; iterated over ``sequence``, its
    points computed once (so every iteration gives the same points)."""
    _parameters = ()
    _type_name = None

    def __iter__(self):
        return iter(self.sequence)

    def __len__(self):
        return len(self.sequence)

    def describe(self):
        described = {"ty": self._type_name}
        described.update((name, getattr(self, name)) for name in self._parameters)
        return described


def _shuffled(points, randomize, seed):
    # random.Random(seed).shuffle, as ARTIQ does, so a seed gives the same order in both.
    if randomize:
        random.Random(seed).shuffle(points)
    return points


@_scan_type("value", "repetitions")
class NoScan(_TabledScan):
    """One value, repeated."""

    def __init__(self, value, repetitions=1):
        self.value, self.repetitions = value, repetitions

    def __iter__(self):
        return repeat(self.value, self.repetitions)

    def __len__(self):
        return self.repetitions


@_scan_type("start", "stop", "npoints", "randomize", "seed")
class RangeScan(_TabledScan):
    """``npoints`` evenly spaced from ``start`` to ``stop`` inclusive, optionally shuffled
    with ``random.Random(seed)``."""

    def __init__(self, start, stop, npoints, randomize=False, seed=None):
        self.start, self.stop, self.npoints = start, stop, npoints
        self.randomize, self.seed = randomize, seed
        if npoints == 1:
            points = [start]  # no spacing to speak of: the start alone
        else:
            spacing = (stop - start) / (npoints - 1)  # npoints 0: no points below
            points = [i * spacing + start for i in range(npoints)]
        self.sequence = _shuffled(points, randomize, seed)

    def __len__(self):
        return self.npoints


@_scan_type("center", "step", "span", "randomize", "seed")
class CenterScan(_TabledScan):
    """Points ``step`` apart within ``span`` around ``center``: the center first, then
    alternately below and above it, moving out (before any shuffling)."""

    def __init__(self, center, span, step, randomize=False, seed=None):
        self.center, self.span, self.step = center, span, step
        self.randomize, self.seed = randomize, seed
        # Whole steps that fit on each side of the center. A zero step, or a span of two
        # or more steps of the other sign, gives no points at all, not even the center
        # (ARTIQ's result for both).
        steps_out = int(span / (2.0 * step)) if step != 0.0 else -1
        if steps_out < 0:
            points = []
        else:
            offsets = [0] + [side * i for i in range(1, steps_out + 1) for side in (-1, 1)]
            points = [center + offset * step for offset in offsets]
        self.sequence = _shuffled(points, randomize, seed)


@_scan_type("sequence")
class ExplicitScan(_TabledScan):
    """The given points, in order."""

    def __init__(self, sequence):
        self.sequence = sequence


class Scannable(_Processor):
    """An argument whose value is a scan object; the dashboard gives it as a scan's
    description, a dict with ``ty``.

    ``default`` is a scan, or a list of scans: the first is the default, the others fill
    the dashboard's other scan types. ``global_min``/``global_max`` bound every scan
    type's inputs in the dashboard and ``global_step`` is their up/down increment; unit,
    scale and precision work as in ``NumberValue``.
    """
    _default_attribute = "default_values"
    _fields = ("unit", "scale", "global_step", "global_min", "global_max", "precision")

    def __init__(self, default=NoDefault, unit="", *, scale=None, global_step=None,
                 global_min=None, global_max=None, precision=2, ndecimals=None):
        self.unit = unit
        self.scale, self.global_step, self.precision = _display_settings(
            unit, scale, global_step, precision, ndecimals)
        self.global_min = global_min
        self.global_max = global_max
        super().__init__(default)

    def _keep(self, default):
        return default if isinstance(default, list) else [default]

    def _shown_default(self):
        return [scan.describe() for scan in self.default_values]

    def default(self):
        """The default scan (the first one given); ``DefaultMissing`` if none was."""
        return super().default()[0]

    def process(self, x):
        """The scan object a description ``x`` (a dict with ``ty``) describes."""
        cls = _SCAN_TYPES[x["ty"]]
        # Keys the type does not take are ignored, as ARTIQ ignores them.
        return cls(**{name: x[name] for name in cls._parameters if name in x})

    def describe(self):
        """The processor's description for the dashboard, with the default scans
        described."""
        # "Scannable" even for a subclass: the dashboard chooses its widget by this name.
        return dict(super().describe(), ty="Scannable")


class _ScanPoint:
    """One point of a :class:`MultiScanManager`: each scan's value as an attribute named
    after the scan; ``attr`` holds the names."""

    def __init__(self, **values):
        vars(self).update(values)
        self.attr = set(values)

    def __repr__(self):
        return "<ScanPoint {}>".format(
            " ".join("{}={}".format(name, getattr(self, name)) for name in self.attr))


class MultiScanManager:
    """Every combination of several named scans, the last one varying fastest; built from
    ``(name, scan)`` pairs."""

    scan_point_cls = _ScanPoint

    def __init__(self, *args):
        self.names = [name for name, _ in args]
        self.scan_objects = [scan for _, scan in args]

    def __iter__(self):
        for values in product(*self.scan_objects):
            yield self.scan_point_cls(**dict(zip(self.names, values)))
