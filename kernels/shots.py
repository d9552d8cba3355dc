"""The portable shot loop under every scan: prepare, play a point's sequence, measure.

``ShotScan`` is a fragment (a ``HasEnvironment`` child of the experiment) written only
against ``OperationInterface``. A subclass provides ``sequence(point)`` as a kernel; the
loop counts, per point and qubit, how many shots measured 1, and after each point sends
that row to the host with an asynchronous RPC (no wait, no per-shot RPC), where it is
broadcast as a live dataset.
"""
import numpy as np

from control.errors import ArgumentError
from control.lang import HasEnvironment, TInt32, TList, kernel, rpc
from control.memory import MEMORY_SHARE, available_memory, bytes_text

__all__ = ["ShotScan", "check_scan_points"]

#: Host bytes a scan holds per point, besides 16 per qubit: the Python list of the scan's
#: values, the value and angle/phase arrays, the live datasets.
SCAN_BYTES_PER_POINT = 64


def _points_text(values, limit=6):
    shown = ", ".join("{:g}".format(v) for v in values[:limit])
    return "[{}{}]".format(shown, ", ..." if len(values) > limit else "")


def check_scan_points(name, values, min_points, fit, unit="s", num_qubits=1,
                      memory=None):
    """A scan's values (``durations``, ``waits``) as a float array, checked before any
    work: each finite and not negative, at least ``min_points`` distinct ones (what
    ``fit`` needs), and the run's host memory within ``MEMORY_SHARE`` of ``memory``
    (default: ``available_memory()``). Raises ``ArgumentError`` naming the argument, its
    value and what is allowed."""
    try:
        n = len(values)  # a scan knows its size: refuse a huge one before listing it
    except TypeError:
        n = None
    if n is not None:
        have = available_memory() if memory is None else memory
        need = n * (SCAN_BYTES_PER_POINT + 16 * num_qubits)
        if need > MEMORY_SHARE * have:
            raise ArgumentError(
                "{}: {:,} points would take about {} of memory, over the limit of {} "
                "({:.0%} of the {} available); scan fewer points".format(
                    name, n, bytes_text(need), bytes_text(MEMORY_SHARE * have),
                    MEMORY_SHARE, bytes_text(have)))
    try:
        points = np.asarray(list(values), dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise ArgumentError("{}: {!r} is not a scan of numbers ({}): {}".format(
            name, values, unit, exc)) from None
    bad = points[~np.isfinite(points)]
    if len(bad):
        raise ArgumentError("{}: {} in {} is not a finite number; allowed: [0, inf) {}"
                            .format(name, bad[0], _points_text(points), unit))
    if np.any(points < 0):
        raise ArgumentError("{}: {:g} in {} is outside the allowed range [0, inf) {}".format(
            name, points[points < 0][0], _points_text(points), unit))
    distinct = len(np.unique(points))
    if distinct < min_points:
        raise ArgumentError(
            "{}: {} point(s) {} ({} distinct); {} needs at least {} distinct points"
            .format(name, len(points), _points_text(points), distinct, fit, min_points))
    return points


class ShotScan(HasEnvironment):
    """``build(ops, shots, dataset, live_qubit)``: the trap's operations, shots per point,
    and the name of the live datasets (``None``: not broadcast): ``<dataset>`` is P(1) of
    ``live_qubit`` per point, one value a point as the dashboard's ``plot_xy`` applet
    needs, and ``<dataset>_all`` is P(1) per point and qubit."""

    def build(self, ops, shots=100, dataset=None, live_qubit=0):
        """Keep the trap's operations, the shots and the live datasets' name; the points
        come later, from the subclass's scan (``set_points``)."""
        if shots < 1:
            raise ValueError("shots must be at least 1, not {}".format(shots))
        self.ops = ops
        self.core = ops.core
        self.num_qubits = ops.num_qubits
        self.shots = shots
        self.dataset = dataset
        self.live_qubit = live_qubit
        self.kernel_invariants = {"ops", "core", "num_qubits", "shots", "n_points"}
        self.n_points = 0

    def set_points(self, n_points):
        """Size the result arrays for ``n_points`` (host, before the kernel)."""
        self.n_points = n_points
        self.ones = np.zeros(n_points * self.num_qubits, dtype=np.int32)
        self.on_point = None
        self.live = False

    def start_live(self):
        """Broadcast the live datasets, empty (host, at the start of the run stage: the
        master may prepare the next experiment while this one runs, so a prepare that
        broadcast would reset a running scan's plot)."""
        if self.dataset is not None:
            self.set_dataset(self.dataset, np.full(self.n_points, np.nan), broadcast=True)
            self.set_dataset(self.dataset + "_all",
                             np.full((self.n_points, self.num_qubits), np.nan),
                             broadcast=True)
            self.live = True

    @kernel
    def run(self):
        """Plays every point: ``shots`` times prepare, ``sequence(point)``, measure,
        counting each qubit's ones; after each point sends its row to the host (async
        RPC, no wait). After ``core.break_realtime()`` and ``ops.initialize()``, advances
        the timeline by ``shots`` × (preparation + the point's sequence + detection) per
        point."""
        self.core.break_realtime()
        self.ops.initialize()
        row = [0] * self.num_qubits
        for point in range(self.n_points):
            for _shot in range(self.shots):
                self.ops.prep_0_all()
                self.sequence(point)
                self.ops.m_z_all()
                for q in range(self.num_qubits):
                    self.ones[point * self.num_qubits + q] += self.ops.get_measurement(q)
            for q in range(self.num_qubits):
                row[q] = self.ones[point * self.num_qubits + q]
            self.point_done(point, row)

    @kernel
    def sequence(self, point: TInt32):
        """The gates of point ``point``, played between preparation and measurement; a
        subclass's kernel, advancing the timeline by what it plays."""
        raise NotImplementedError

    @rpc(flags={"async"})
    def point_done(self, point: TInt32, ones: TList(TInt32)):  # type: ignore[valid-type]
        """Host side of the RPC after each point: its P(1) into the live datasets, then
        ``on_point``. Asynchronous: the kernel does not wait, and the timeline does not
        advance."""
        if self.live:
            p1 = np.asarray(ones) / self.shots
            self.mutate_dataset(self.dataset, point, p1[self.live_qubit])
            self.mutate_dataset(self.dataset + "_all", point, p1)
        if self.on_point is not None:
            self.on_point(point)

    def probabilities(self):
        """P(1) per point and qubit, shape ``(n_points, num_qubits)``."""
        return self.ones.reshape(self.n_points, self.num_qubits) / self.shots

    def p1(self):
        """P(1) per point and qubit (as ``probabilities``): what a sweep of the
        calibration layer (``kernels.calibration.sweep``) reads of any program."""
        return self.probabilities()

    def total_shots(self):
        """Shots this scan plays: points × shots."""
        return self.n_points * self.shots
