"""The portable shot loop under every scan: prepare, play a point's sequence, measure.

``ShotScan`` is a fragment (a ``HasEnvironment`` child of the experiment) written only
against ``OperationInterface``. A subclass provides ``sequence(point)`` as a kernel; the
loop counts, per point and qubit, how many shots measured 1, and after each point sends
that row to the host with an asynchronous RPC (no wait, no per-shot RPC), where it is
broadcast as a live dataset.
"""
import numpy as np

from control.lang import HasEnvironment, TInt32, TList, kernel, rpc

__all__ = ["ShotScan"]


class ShotScan(HasEnvironment):
    """``build(ops, shots, dataset, live_qubit)``: the trap's operations, shots per point,
    and the name of the live datasets (``None``: not broadcast): ``<dataset>`` is P(1) of
    ``live_qubit`` per point, one value a point as the dashboard's ``plot_xy`` applet
    needs, and ``<dataset>_all`` is P(1) per point and qubit."""

    def build(self, ops, shots=100, dataset=None, live_qubit=0):
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
        self.core.break_realtime()
        self.ops.initialize()
        row = [0] * self.num_qubits
        for point in range(self.n_points):
            for shot in range(self.shots):
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
        raise NotImplementedError

    @rpc(flags={"async"})
    def point_done(self, point: TInt32, ones: TList(TInt32)):
        if self.live:
            p1 = np.asarray(ones) / self.shots
            self.mutate_dataset(self.dataset, point, p1[self.live_qubit])
            self.mutate_dataset(self.dataset + "_all", point, p1)
        if self.on_point is not None:
            self.on_point(point)

    def probabilities(self):
        """P(1) per point and qubit, shape ``(n_points, num_qubits)``."""
        return self.ones.reshape(self.n_points, self.num_qubits) / self.shots
