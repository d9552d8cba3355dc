"""Clifford sequences to a trap's native opcodes, vectorized.

A :class:`CliffordCompiler` is built once per trap from the native-gate description it
publishes (``NativeGateSet``): every Clifford of the group gets its native gates, stored
as one flat opcode array with offsets. Compiling RB sequences is then a numpy gather
(no Python loop over gates). Two-qubit Cliffords use the layered decomposition of
``kernels.clifford`` (single-qubit Cliffords between 0–3 ``rxx(π/2)``), with each
single-qubit layer compiled for this trap.
"""
import math
from functools import lru_cache

import numpy as np

from kernels import clifford
from kernels.native import NativeCompiler
from kernels.opcodes import RPHI, RXX, RZ, AngleTable, decode, encode

__all__ = ["CliffordCompiler", "compiler_for", "gather"]


def gather(flat, offsets, items):
    """Concatenate ``flat[offsets[i]:offsets[i+1]]`` for every ``i`` in ``items``;
    returns the array and the per-item lengths."""
    items = np.asarray(items, dtype=np.int64)
    lens = (offsets[items + 1] - offsets[items]).astype(np.int64)
    total = int(lens.sum())
    ends = np.cumsum(lens)
    # position k of the output reads flat[offsets[item] + (k - start of that item)]
    idx = np.repeat(offsets[items] - (ends - lens), lens) + np.arange(total)
    return flat[idx], lens


class CliffordCompiler:
    """Native opcodes of every ``n_qubits`` Clifford for one trap."""

    def __init__(self, gates, n_qubits):
        if n_qubits == 2 and "rxx" not in gates:
            raise ValueError("two-qubit Cliffords need an rxx gate; this trap has: "
                             + ", ".join(sorted(gates.gates)))
        self.gates = gates
        self.n_qubits = n_qubits
        self.native = NativeCompiler(gates)
        self.angles = AngleTable()
        one = [self._one_qubit(i) for i in range(24)]
        if n_qubits == 1:
            per = [self._words(g, 0) for g in one]
        else:
            rxx = encode(RXX, 0, 1, self.angles.add(math.pi / 2))
            per = []
            for i in range(clifford.N_CLIFFORDS[2]):
                words = []
                for j, (a, b) in enumerate(clifford.layers2(i)):
                    if j:
                        words.append(rxx)
                    words += self._words(one[a], 0) + self._words(one[b], 1)
                per.append(words)
        lens = np.array([len(w) for w in per], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        self.flat = np.array([w for ws in per for w in ws], dtype=np.int32)
        self.thetas, self.phis = self.angles.arrays()
        kinds = self.flat & 0xF
        virtual_rz = "rz" in gates and gates["rz"].virtual
        physical_1q = (kinds == RPHI) | ((kinds == RZ) & (not virtual_rz))
        #: per Clifford: physical single-qubit pulses, and rxx gates
        self.pulses_1q = np.add.reduceat(physical_1q.astype(np.int64), self.offsets[:-1]) \
            if len(self.flat) else np.zeros(len(per), np.int64)
        self.pulses_1q[lens == 0] = 0
        self.gates_2q = np.add.reduceat((kinds == RXX).astype(np.int64), self.offsets[:-1])
        self.gates_2q[lens == 0] = 0
        #: extra physical pulses rxx plays to equalize the qubits' virtual frames (as many
        #: as the trap's rxx declares, ``frame_equalizing_pulses``, when they differ), per
        #: Clifford and incoming frame difference (quarter turns), and the frame
        #: difference the Clifford leaves
        self.frame_pulses = np.zeros((len(per), 4), np.int64)
        self.frame_out = np.tile(np.arange(4), (len(per), 1))
        equalizing = gates["rxx"].frame_equalizing_pulses if n_qubits == 2 else 0
        if equalizing and virtual_rz:
            quarter = np.rint(self.thetas / (math.pi / 2)).astype(np.int64)
            for i, words in enumerate(per):
                for d_in in range(4):
                    d, extra = d_in, 0
                    for w in words:
                        kind, q0, _, p = decode(w)
                        if kind == RZ:
                            d += quarter[p] if q0 == 1 else -quarter[p]
                        elif kind == RXX:
                            if d % 4:
                                extra += equalizing
                            d = 0
                    self.frame_pulses[i, d_in] = extra
                    self.frame_out[i, d_in] = d % 4

    def _one_qubit(self, i):
        return self.native.gates_1q(clifford.unitary(1, i))

    def _words(self, seq, qubit):
        return [encode(kind, qubit, 0, self.angles.add(theta, phi))
                for kind, theta, phi in seq]

    def compile(self, cliffords, starts):
        """Opcodes of sequences given as flat Clifford indices with ``starts`` offsets;
        returns ``(opcodes, opcode_starts)``."""
        ops, lens = gather(self.flat, self.offsets, cliffords)
        cum = np.concatenate([[0], np.cumsum(lens)])
        return ops, cum[np.asarray(starts, dtype=np.int64)].astype(np.int64)

    def unitary_of(self, words):
        """The unitary an opcode list plays (for checks), qiskit's qubit order."""
        from kernels.native import rphi_matrix, rxx_matrix, rz_matrix
        n = self.n_qubits
        u = np.eye(2 ** n, dtype=complex)
        for w in words:
            kind, q0, _, p = decode(w)
            theta, phi = self.thetas[p], self.phis[p]
            if kind == RXX:
                g = rxx_matrix(theta)
            else:
                g1 = rphi_matrix(theta, phi) if kind == RPHI else rz_matrix(theta)
                g = g1 if n == 1 else (np.kron(g1, np.eye(2)) if q0 == 1
                                       else np.kron(np.eye(2), g1))
            u = g @ u
        return u

    def words_of(self, i):
        """The opcode words Clifford index ``i`` compiles to (qubit fields 0 and 1 of the
        sequence), in time order."""
        return self.flat[self.offsets[i]:self.offsets[i + 1]]

    def expected_decay(self, depolarizing=0.0, depolarizing_2q=0.0):
        """RB decay α expected when every physical single-qubit pulse is followed by a
        depolarizing channel of probability ``depolarizing`` on its qubit and every rxx by
        a two-qubit one of ``depolarizing_2q`` (the ion model's errors).

        A Clifford twirl turns the noise of one Clifford into a depolarizing channel of
        parameter f = (d² F − 1)/(d² − 1), F its process fidelity; to first order F is the
        product over the gates: a one-qubit depolarizing of p on one of n qubits has
        f = 1 − p (n = 1) or 1 − 4p/5 (n = 2), a two-qubit one f = 1 − p. α is the mean
        of f over the group (the recovery's noise goes into the SPAM constants).

        With virtual Z on two qubits, an rxx that declares ``frame_equalizing_pulses``
        also plays those pulses whenever the qubits' frames differ, which depends on the
        Cliffords before: f then depends on the frame difference a Clifford finds, and α
        is the leading eigenvalue of the f-weighted transition matrix of that difference.
        """
        f1 = 1 - depolarizing if self.n_qubits == 1 else 1 - 0.8 * depolarizing
        f2 = 1 - depolarizing_2q
        # f of each Clifford for each incoming frame difference; the frame difference is
        # a Markov chain along the sequence, and α the leading eigenvalue of the
        # f-weighted transition matrix (the mean of f when no frame pulses are played)
        if not self.frame_pulses.any():
            return float(np.mean(f1 ** self.pulses_1q * f2 ** self.gates_2q))
        f = f1 ** (self.pulses_1q[:, None] + self.frame_pulses) * f2 ** self.gates_2q[:, None]
        return float(np.max(np.abs(np.linalg.eigvals(self._frame_chain(f)))))


    def _frame_chain(self, weights):
        """The 4x4 matrix of frame-difference transitions, each Clifford weighted."""
        m = np.zeros((4, 4))
        for d_in in range(4):
            np.add.at(m[d_in], self.frame_out[:, d_in], weights[:, d_in])
        return m / len(weights)

    def mean_pulses_1q(self):
        """Physical single-qubit pulses per Clifford of a long random sequence, rxx's
        frame pulses included (in the stationary mix of frame differences)."""
        if not self.frame_pulses.any():
            return float(self.pulses_1q.mean())
        w, v = np.linalg.eig(self._frame_chain(np.ones(self.frame_pulses.shape)).T)
        stationary = np.real(v[:, np.argmax(np.real(w))])
        stationary /= stationary.sum()
        return float(self.pulses_1q.mean() + stationary @ self.frame_pulses.mean(axis=0))

    def pulses_in(self, cliffords):
        """Physical single-qubit pulses a sequence of Cliffords plays from equal frames
        (as after preparation)."""
        total, d = 0, 0
        for c in cliffords:
            total += int(self.pulses_1q[c] + self.frame_pulses[c, d])
            d = int(self.frame_out[c, d])
        return total


@lru_cache(maxsize=8)
def _cached(key, n_qubits, gates):
    return CliffordCompiler(gates, n_qubits)


def compiler_for(gates, n_qubits):
    """The (cached) compiler of a trap's native gate set."""
    # every field of every gate (NativeGate is a frozen dataclass: hashable, compared by
    # value), so that gate sets that differ in anything get their own compiler
    key = tuple(sorted(gates.gates.items()))
    return _cached(key, n_qubits, _Hashable(gates))


class _Hashable:
    """Lets ``lru_cache`` take a NativeGateSet (keyed by the explicit key above)."""

    def __init__(self, gates):
        self.gates = gates

    def __hash__(self):
        return 0

    def __eq__(self, other):
        return True

    def __getattr__(self, name):
        return getattr(self.gates, name)

    def __contains__(self, kind):
        return kind in self.gates

    def __getitem__(self, kind):
        return self.gates[kind]
