"""Sweeps: a program's own points (a kernel argument: pulse lengths, waits, gate counts)
inside, optionally a calibration value outside (the trap rebuilt for each), in a chosen
order, with live datasets.

A 1-D sweep is either axis alone; a 2-D sweep is their product (a chevron: pulse length
against drive frequency). Each outer point plays the inner points in one kernel, so a
sweep of N outer values compiles N times on a crate and a sweep of the inner axis alone
once.
"""
import numpy as np

__all__ = ["ORDERS", "point_order", "Sweep"]

#: How the outer points are visited.
ORDERS = ("sequential", "reverse", "shuffle")


def point_order(n, order="sequential", seed=None):
    """Indices 0..n-1 in ``order`` (``shuffle`` is seeded by ``seed``): a shuffled scan
    turns a drift during the scan into noise rather than a slope."""
    if order not in ORDERS:
        raise ValueError("order {!r}: choose one of {}".format(order, ", ".join(ORDERS)))
    index = np.arange(n)
    if order == "reverse":
        return index[::-1]
    if order == "shuffle":
        return np.random.default_rng(seed).permutation(n)
    return index


class Sweep:
    """``make_program(ops)`` builds the program of the inner points on a trap's
    operations (an ``OutcomeCounts``). ``ref`` (a ``KeyRef``) and ``values`` give the
    outer axis: the trap is rebuilt with each value as an override; without them the
    sweep is the inner axis alone. ``result(program)`` is what is kept of each outer
    point (default ``program.probabilities()``: P(outcome) per inner point of an
    ``OutcomeCounts``, P(1) per qubit of a ``kernels.shots.ShotScan`` such as Rabi
    flopping or Ramsey). ``on_row(index, row)`` hears of each outer point done, in the
    order played; the measurement's ``on_scan(name, what, done, total)`` of each point.
    """

    def __init__(self, measurement, make_program, ref=None, values=None, *,
                 order="sequential", seed=None, on_row=None, name="sweep", what="sweep",
                 result=None):
        if (ref is None) != (values is None):
            raise ValueError("an outer axis needs both a calibration and its values")
        self.m = measurement
        self.make_program = make_program
        self.ref = ref
        self.values = None if values is None else np.asarray(values, dtype=float)
        if self.values is not None and len(self.values) == 0:
            raise ValueError("the outer axis has no values")
        self.order = point_order(1 if values is None else len(self.values), order, seed)
        self.on_row = on_row
        self.name = name
        self.what = what
        self.result = result or (lambda program: program.probabilities())
        self.results = None

    @property
    def shape(self):
        """The results' shape once run: ``(outer points, inner points, ...)``."""
        return None if self.results is None else self.results.shape

    def run(self):
        """Play every point; returns the results stacked, ``(outer, inner, ...)`` (outer
        1 without an outer axis), rows in the axis's order whatever the order played."""
        rows = {}
        for done, i in enumerate(self.order):
            changes = {} if self.ref is None else {self.ref: float(self.values[i])}
            program = self.m.play(self.make_program(self.m.ops(changes)))
            rows[i] = self.result(program)
            if self.on_row is not None:
                self.on_row(int(i), rows[i])
            if self.m.on_scan is not None:
                self.m.on_scan(self.name, self.what, done + 1, len(self.order))
        self.results = np.stack([rows[i] for i in range(len(self.order))])
        return self.results

