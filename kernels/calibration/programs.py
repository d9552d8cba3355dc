"""What the calibrations play: shot loops that count every joint outcome of the qubits.

:class:`OutcomeCounts` is a fragment written only against ``OperationInterface``, like
``kernels.shots.ShotScan``, but it keeps the histogram of joint outcomes (bit q of the
index is qubit q) per point, since a calibration of a two-qubit gate needs correlations
(P(01) + P(10), P(11)), not only each qubit's P(1). Its subclasses are the sequences the
calibrations need; each plays one list of points per kernel.
"""
import numpy as np

from control.constants import PI
from control.lang import HasEnvironment, TInt32, delay_mu, kernel

__all__ = ["OutcomeCounts", "RotationPulses", "RamseyPhases", "MsGates"]


class OutcomeCounts(HasEnvironment):
    """``build(ops, shots)``: per point, ``shots`` × (prepare |0...0>, ``sequence(point)``,
    measure every qubit), counting each joint outcome. ``set_points`` sizes the scan."""

    def build(self, ops, shots=100):
        """Keep the trap's operations and the shots per point."""
        if shots < 1:
            raise ValueError("shots must be at least 1, not {}".format(shots))
        self.ops = ops
        self.core = ops.core
        self.num_qubits = ops.num_qubits
        self.num_outcomes = 1 << ops.num_qubits
        self.shots = shots
        self.n_points = 0
        self.kernel_invariants = {"ops", "core", "num_qubits", "num_outcomes", "shots",
                                  "n_points"}

    def set_points(self, n_points):
        """Size the histogram for ``n_points`` (host, before the kernel)."""
        if n_points < 1:
            raise ValueError("a scan needs at least one point, not {}".format(n_points))
        self.n_points = n_points
        self.histogram = np.zeros(n_points * self.num_outcomes, dtype=np.int32)

    @kernel
    def run(self):
        """Plays every point ``shots`` times. After ``core.break_realtime()`` and
        ``ops.initialize()``, advances the timeline by ``shots`` × (preparation + the
        point's sequence + detection) per point."""
        self.core.break_realtime()
        self.ops.initialize()
        for point in range(self.n_points):
            for _shot in range(self.shots):
                self.ops.prep_0_all()
                self.sequence(point)
                self.ops.m_z_all()
                outcome = 0
                for q in range(self.num_qubits):
                    outcome |= self.ops.get_measurement(q) << q
                self.histogram[point * self.num_outcomes + outcome] += 1

    @kernel
    def sequence(self, point: TInt32):
        """The gates of point ``point``; a subclass's kernel."""
        raise NotImplementedError

    def probabilities(self):
        """P(outcome) per point, shape ``(n_points, 2**num_qubits)``."""
        return self.histogram.reshape(self.n_points, self.num_outcomes) / self.shots

    def p1(self):
        """P(1) per point and qubit, shape ``(n_points, num_qubits)``."""
        p = self.probabilities()
        outcomes = np.arange(self.num_outcomes)
        return np.stack([p[:, (outcomes >> q) & 1 == 1].sum(axis=1)
                         for q in range(self.num_qubits)], axis=1)

    def total_shots(self):
        """Shots this scan plays: points × shots."""
        return self.n_points * self.shots


class RotationPulses(OutcomeCounts):
    """``build(ops, shots, qubit, angles, repeats)``: point i plays ``repeats[i]`` pulses
    ``rphi(angles[i], 0)`` on ``qubit`` (repeats default to one each)."""

    def build(self, ops, shots=100, qubit=0, angles=(), repeats=None):
        """The qubit (checked against the trap) and the points' angles and repeats."""
        super().build(ops, shots)
        if not 0 <= qubit < ops.num_qubits:
            raise ValueError("qubit {} does not exist: the trap has {}".format(
                qubit, ops.num_qubits))
        self.qubit = qubit
        self.angles = np.array(angles, dtype=float)
        if repeats is None:
            repeats = [1] * len(self.angles)
        self.repeats = np.array(repeats, dtype=np.int32)
        if len(self.repeats) != len(self.angles):
            raise ValueError("{} angles but {} repeats".format(len(self.angles),
                                                              len(self.repeats)))
        self.kernel_invariants = self.kernel_invariants | {"qubit", "angles", "repeats"}
        self.set_points(len(self.angles))

    @kernel
    def sequence(self, point: TInt32):
        """``repeats[point]`` pulses ``rphi(angles[point], 0)`` on ``qubit``: advances the
        timeline by as many of the trap's pulses."""
        for _ in range(self.repeats[point]):
            self.ops.rphi(self.angles[point], 0.0, self.qubit)


class MsGates(OutcomeCounts):
    """``build(ops, shots, repeats)``: point i plays ``repeats[i]`` MS gates
    ``rxx(π/2)`` on qubits 0 and 1, back to back."""

    def build(self, ops, shots=100, repeats=(1,)):
        """The points' numbers of gates; the trap must have ``rxx`` and two qubits."""
        super().build(ops, shots)
        ops.require("rxx", user="the MS gate calibration")
        if ops.num_qubits < 2:
            raise ValueError("an MS gate needs two qubits; the trap has {}".format(
                ops.num_qubits))
        self.repeats = np.array(repeats, dtype=np.int32)
        self.kernel_invariants = self.kernel_invariants | {"repeats"}
        self.set_points(len(self.repeats))

    @kernel
    def sequence(self, point: TInt32):
        """``repeats[point]`` gates ``rxx(π/2)`` on qubits 0 and 1: advances the timeline
        by as many of the trap's MS gates."""
        for _ in range(self.repeats[point]):
            self.ops.rxx(0.5 * PI, 0, 1)


class RamseyPhases(OutcomeCounts):
    """``build(ops, shots, qubit, waits, phases)``: point i plays a π/2 pulse at phase 0,
    waits ``waits[i]`` seconds and plays a π/2 pulse at phase ``phases[i]`` on ``qubit``.

    With the drive detuned by δ from the qubit, P(1) = 1/2 + (C/2) cos(φ + 2π δ T), T the
    time between the pulses' starts (``kernels.ramsey``'s convention)."""

    def build(self, ops, shots=100, qubit=0, waits=(), phases=()):
        """The qubit (checked against the trap) and the points' waits and phases."""
        super().build(ops, shots)
        if not 0 <= qubit < ops.num_qubits:
            raise ValueError("qubit {} does not exist: the trap has {}".format(
                qubit, ops.num_qubits))
        if len(waits) != len(phases):
            raise ValueError("{} waits but {} phases".format(len(waits), len(phases)))
        self.qubit = qubit
        self.waits_mu = np.array([np.int64(round(w / self.core.ref_period)) for w in waits],
                                 dtype=np.int64)
        self.phases = np.array(phases, dtype=float)
        self.kernel_invariants = self.kernel_invariants | {"qubit", "waits_mu", "phases"}
        self.set_points(len(self.phases))

    @kernel
    def sequence(self, point: TInt32):
        """π/2 at phase 0, a wait of ``waits_mu[point]``, π/2 at ``phases[point]`` on
        ``qubit``: advances the timeline by the wait and the two pulses."""
        self.ops.rphi(0.5 * PI, 0.0, self.qubit)
        delay_mu(self.waits_mu[point])
        self.ops.rphi(0.5 * PI, self.phases[point], self.qubit)
