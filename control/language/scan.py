"""Scan objects and the ``Scannable`` argument processor, as ``artiq.language.scan``.

Values are given already scaled (seconds, hertz); ``scale`` and ``unit`` are for display.
"""
import inspect
import random
from itertools import product

from control.language import units
from control.language.environment import DefaultMissing, NoDefault

__all__ = ["ScanObject", "NoScan", "RangeScan", "CenterScan", "ExplicitScan",
           "Scannable", "MultiScanManager"]


class ScanObject:
    """A one-dimensional sweep; iterate it (as often as you like) to get its points."""

    def __iter__(self):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def describe(self):
        raise NotImplementedError


class NoScan(ScanObject):
    """One value, repeated."""

    def __init__(self, value, repetitions=1):
        self.value = value
        self.repetitions = repetitions

    def __iter__(self):
        return iter([self.value] * self.repetitions)

    def __len__(self):
        return self.repetitions

    def describe(self):
        return {"ty": "NoScan", "value": self.value, "repetitions": self.repetitions}


class RangeScan(ScanObject):
    """``npoints`` evenly spaced from ``start`` to ``stop`` inclusive, optionally shuffled
    with ``random.Random(seed)``."""

    def __init__(self, start, stop, npoints, randomize=False, seed=None):
        self.start = start
        self.stop = stop
        self.npoints = npoints
        self.randomize = randomize
        self.seed = seed
        if npoints == 0:
            self.sequence = []
        elif npoints == 1:
            self.sequence = [start]
        else:
            dx = (stop - start) / (npoints - 1)
            self.sequence = [i * dx + start for i in range(npoints)]
        if randomize:
            random.Random(seed).shuffle(self.sequence)

    def __iter__(self):
        return iter(self.sequence)

    def __len__(self):
        return self.npoints

    def describe(self):
        return {"ty": "RangeScan", "start": self.start, "stop": self.stop,
                "npoints": self.npoints, "randomize": self.randomize, "seed": self.seed}


class CenterScan(ScanObject):
    """Points ``step`` apart within ``span`` around ``center`` (center included)."""

    def __init__(self, center, span, step, randomize=False, seed=None):
        self.center = center
        self.span = span
        self.step = step
        self.randomize = randomize
        self.seed = seed
        if step == 0.0:
            self.sequence = []
        else:
            n = 1 + int(span / (2.0 * step))
            self.sequence = [center + sign * i * step
                             for i in range(n) for sign in [-1, 1]][1:]
        if randomize:
            random.Random(seed).shuffle(self.sequence)

    def __iter__(self):
        return iter(self.sequence)

    def __len__(self):
        return len(self.sequence)

    def describe(self):
        return {"ty": "CenterScan", "center": self.center, "step": self.step,
                "span": self.span, "randomize": self.randomize, "seed": self.seed}


class ExplicitScan(ScanObject):
    """The given points, in order."""

    def __init__(self, sequence):
        self.sequence = sequence

    def __iter__(self):
        return iter(self.sequence)

    def __len__(self):
        return len(self.sequence)

    def describe(self):
        return {"ty": "ExplicitScan", "sequence": self.sequence}


_SCANS = {cls.__name__: cls for cls in (NoScan, RangeScan, CenterScan, ExplicitScan)}


class Scannable:
    """An argument whose value is a scan object, described as a dict with ``ty``."""

    def __init__(self, default=NoDefault, unit="", *, scale=None, global_step=None,
                 global_min=None, global_max=None, precision=2, ndecimals=None):
        if ndecimals is not None:
            precision = ndecimals
        if scale is None:
            if unit == "":
                scale = 1.0
            else:
                try:
                    scale = getattr(units, unit)
                except AttributeError:
                    raise KeyError("Unit {} is unknown, you must specify "
                                   "the scale manually".format(unit))
        if global_step is None:
            global_step = scale / 10.0
        if default is not NoDefault:
            self.default_values = default if isinstance(default, list) else [default]
        self.unit = unit
        self.scale = scale
        self.global_step = global_step
        self.global_min = global_min
        self.global_max = global_max
        self.precision = precision

    def default(self):
        if not hasattr(self, "default_values"):
            raise DefaultMissing
        return self.default_values[0]

    def process(self, x):
        cls = _SCANS[x["ty"]]
        names = inspect.getfullargspec(cls).args[1:]
        return cls(**{name: x[name] for name in names if name in x})

    def describe(self):
        d = {"ty": "Scannable"}
        if hasattr(self, "default_values"):
            d["default"] = [scan.describe() for scan in self.default_values]
        d.update(unit=self.unit, scale=self.scale, global_step=self.global_step,
                 global_min=self.global_min, global_max=self.global_max,
                 precision=self.precision)
        return d


class MultiScanManager:
    """The product of several named scans; each point has the names as attributes."""

    def __init__(self, *args):
        self.names = [name for name, _ in args]
        self.scan_objects = [scan for _, scan in args]

        class ScanPoint:
            def __init__(self, **kwargs):
                self.attr = set(kwargs)
                for k, v in kwargs.items():
                    setattr(self, k, v)

            def __repr__(self):
                return "<ScanPoint " + " ".join(
                    "{}={}".format(k, getattr(self, k)) for k in self.attr) + ">"

        self.scan_point_cls = ScanPoint

    def __iter__(self):
        for values in product(*self.scan_objects):
            yield self.scan_point_cls(**dict(zip(self.names, values)))
