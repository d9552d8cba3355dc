"""Compile Clifford gates to a trap's native gates, from the native-gate description the
trap publishes through the HAL (``NativeGateSet``).

Single-qubit unitaries are decomposed once per trap by an exhaustive search over short
products of native pulses (``rphi`` at θ ∈ {π/2, π}, φ ∈ {0, π/2, π, 3π/2}, and ``rz``
where the trap has it), choosing the shortest in time, then the fewest physical pulses.
So a trap with free virtual Z rotations gets decompositions that use them, and a trap
without them gets ones that do not: the same Clifford, different pulses.
"""
import itertools
import math

import numpy as np

from control.constants import PI
from kernels.opcodes import RPHI, RZ

__all__ = ["rphi_matrix", "rz_matrix", "rxx_matrix", "equal_up_to_phase",
           "NativeCompiler"]

_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
_Z = np.diag([1.0, -1.0]).astype(complex)


def rphi_matrix(theta, phi):
    """The 2×2 unitary of ``rphi``: rotation by ``theta`` about cos(phi) X + sin(phi) Y
    (radians)."""
    n = math.cos(phi) * _X + math.sin(phi) * _Y
    return math.cos(theta / 2) * np.eye(2) - 1j * math.sin(theta / 2) * n


def rz_matrix(theta):
    """The 2×2 unitary of ``rz``: diag(e^(-iθ/2), e^(iθ/2)), ``theta`` in radians."""
    return np.diag([np.exp(-0.5j * theta), np.exp(0.5j * theta)])


def rxx_matrix(theta):
    """The 4×4 unitary of ``rxx``: exp(-i θ/2 X⊗X), ``theta`` in radians."""
    xx = np.kron(_X, _X)
    return math.cos(theta / 2) * np.eye(4) - 1j * math.sin(theta / 2) * xx


def equal_up_to_phase(a, b, atol=1e-9):
    """True when unitaries ``a`` and ``b`` differ by a global phase only."""
    a = np.asarray(a)
    b = np.asarray(b)
    k = np.argmax(np.abs(b.ravel()))
    if abs(b.ravel()[k]) < atol:
        return False
    phase = a.ravel()[k] / b.ravel()[k]
    return abs(abs(phase) - 1) < 1e-6 and np.allclose(a, phase * b, atol=atol)


class NativeCompiler:
    """Decompositions into one trap's native gates.

    ``gates`` is the trap's ``NativeGateSet``. ``gates_1q(u)`` gives the native gates of a
    single-qubit unitary as ``[(kind, theta, phi), ...]`` in time order.
    """

    def __init__(self, gates, max_pulses=3):
        self.gates = gates
        self.has_rz = "rz" in gates
        self.rz_virtual = self.has_rz and gates["rz"].virtual
        self.alphabet = [(RPHI, theta, phi) for theta in (PI / 2, PI)
                         for phi in (0.0, PI / 2, PI, 3 * PI / 2)]
        if self.has_rz:
            self.alphabet += [(RZ, theta, 0.0) for theta in (PI / 2, PI, -PI / 2)]
        self.max_pulses = max_pulses
        self._cache = {}

    def cost(self, seq):
        """``(duration in s, physical pulses, gates)`` of a native sequence, compared as a
        tuple: the shortest in time wins, then the fewest physical pulses."""
        duration = 0.0
        physical = 0
        for kind, theta, _phi in seq:
            if kind == RPHI:
                duration += self.gates.duration("rphi", theta)
                physical += 1
            elif kind == RZ:
                duration += self.gates.duration("rz", theta)
                physical += 0 if self.rz_virtual else 1
        return (round(duration, 12), physical, len(seq))

    @staticmethod
    def matrix(seq):
        """The 2×2 unitary a native sequence of ``rphi`` and ``rz`` plays, gates in time
        order."""
        u = np.eye(2, dtype=complex)
        for kind, theta, phi in seq:
            g = rphi_matrix(theta, phi) if kind == RPHI else rz_matrix(theta)
            u = g @ u
        return u

    def gates_1q(self, u):
        """The cheapest native sequence equal to ``u`` up to phase."""
        key = tuple(np.round(u.ravel() / u.ravel()[np.argmax(np.abs(u.ravel()))], 8))
        if key in self._cache:
            return list(self._cache[key])
        if equal_up_to_phase(u, np.eye(2)):
            self._cache[key] = []
            return []
        best = None
        max_len = self.max_pulses + (2 if self.has_rz else 0)
        for length in range(1, max_len + 1):
            for seq in itertools.product(self.alphabet, repeat=length):
                if sum(1 for g in seq if g[0] == RPHI) > self.max_pulses:
                    continue
                if equal_up_to_phase(self.matrix(seq), u):
                    if best is None or self.cost(seq) < self.cost(best):
                        best = seq
            if best is not None and (not self.has_rz or length >= 2):
                # one more length can only help by using a free virtual rz
                break
        if best is None:
            raise ValueError("no native decomposition of\n{}\nwithin {} pulses".format(
                u, self.max_pulses))
        self._cache[key] = tuple(best)
        return list(best)
