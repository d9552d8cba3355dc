"""The portable randomized-benchmarking kernel: play opcode sequences, count survivals.

One kernel call plays one chunk: ``n_seq`` sequences, ``shots`` shots each (prepare, play
the sequence's native gates, measure), and counts per sequence the shots whose bits match
the sequence's expected outcome. Everything the gate loop reads is a kernel invariant
(opcodes, sequence starts, angle tables, expected outcomes), decoding a gate is three
shifts and masks, and the host hears once per sequence, asynchronously: no RPC and no
allocation per gate. ``load`` rewrites the words' qubit fields from the sequence's qubit
indices to the trap's qubits on the host, so the gate loop needs no lookup (nor its bounds
check) to find them.

``RBKernel1`` plays single-qubit gates only; ``RBKernel2`` adds ``rxx``, so a one-qubit run
compiles on a trap whatever two-qubit gate it has.
"""
import numpy as np

from control.lang import HasEnvironment, TInt32, kernel, rpc

from kernels.opcodes import RPHI, RZ

__all__ = ["RBKernel1", "RBKernel2"]


class _RBKernel(HasEnvironment):
    def build(self, ops, qubits, shots):
        """The trap's operations, the trap's qubits the sequences' qubit indices stand
        for, and shots per sequence; refuses a qubit the trap does not have."""
        if shots < 1:
            raise ValueError("shots must be at least 1, not {}".format(shots))
        for q in qubits:
            if not 0 <= q < ops.num_qubits:
                raise ValueError("qubit {} does not exist: the trap has {}".format(
                    q, ops.num_qubits))
        self.ops = ops
        self.core = ops.core
        self.qubits = list(qubits)
        self.n_qubits = len(self.qubits)
        self.shots = shots
        self.on_sequence = None
        self.kernel_invariants = {"ops", "core", "qubits", "n_qubits", "shots", "n_seq",
                                  "opcodes", "starts", "thetas", "phis", "expected"}
        self.n_seq = 0

    def load(self, opcodes, starts, thetas, phis, expected):
        """One chunk (host): flat opcodes, ``starts`` (n_seq + 1 offsets), the angle
        tables and each sequence's expected bits (qubit i in bit i). The opcodes' qubit
        fields index ``qubits``; the kernel gets them as the trap's qubits."""
        self.opcodes = self.physical_opcodes(opcodes)
        self.starts = np.ascontiguousarray(starts, dtype=np.int32)
        self.thetas = np.ascontiguousarray(thetas, dtype=np.float64)
        self.phis = np.ascontiguousarray(phis, dtype=np.float64)
        self.expected = np.ascontiguousarray(expected, dtype=np.int32)
        self.n_seq = len(self.starts) - 1
        self.survived = np.zeros(self.n_seq, dtype=np.int32)

    def physical_opcodes(self, opcodes):
        """``opcodes`` with both qubit fields mapped through ``qubits`` (host)."""
        words = np.ascontiguousarray(opcodes, dtype=np.int32)
        table = np.array(self.qubits + [-1] * (16 - len(self.qubits)), dtype=np.int32)
        fields = [(words >> shift) & 0xF for shift in (4, 8)]
        for field in fields:
            bad = field >= len(self.qubits)
            if bad.any():
                raise ValueError("opcode {:#x} names qubit index {}, but the kernel plays "
                                 "{} qubits".format(int(words[bad][0]),
                                                    int(field[bad][0]), len(self.qubits)))
        return (words & ~0xFF0) | (table[fields[0]] << 4) | (table[fields[1]] << 8)

    @kernel
    def run(self):
        """Plays the loaded chunk: per sequence, ``shots`` shots that prepare, play the
        sequence and measure, counting in ``survived`` the shots whose bits match; sends
        each sequence's count to the host (async RPC, no wait). After
        ``core.break_realtime()`` and ``ops.initialize()``, advances the timeline by
        ``shots`` × (preparation + the sequence's gates + detection) per sequence."""
        self.core.break_realtime()
        self.ops.initialize()
        for s in range(self.n_seq):
            for _shot in range(self.shots):
                self.ops.prep_0_all()
                for k in range(self.starts[s], self.starts[s + 1]):
                    self.play(self.opcodes[k])
                self.ops.m_z_all()
                match = 1
                for i in range(self.n_qubits):
                    if self.ops.get_measurement(self.qubits[i]) != (self.expected[s] >> i) & 1:
                        match = 0
                self.survived[s] += match
            self.sequence_done(s, self.survived[s])

    @kernel
    def play(self, op: TInt32):
        """Plays one opcode word (a subclass's kernel, one per gate set), advancing the
        timeline as the HAL operation it calls does."""
        raise NotImplementedError

    @rpc(flags={"async"})
    def sequence_done(self, sequence: TInt32, survived: TInt32):
        """Host side of the RPC after each sequence: ``on_sequence(sequence, survived)``,
        if set. Asynchronous: the kernel does not wait, and the timeline does not
        advance."""
        if self.on_sequence is not None:
            self.on_sequence(sequence, survived)


class RBKernel1(_RBKernel):
    """The RB kernel for single-qubit sequences: it plays ``rphi`` and ``rz`` only, so it
    compiles on any trap, whatever two-qubit gate the trap has."""

    @kernel
    def play(self, op: TInt32):
        """Plays one opcode word: ``rphi`` or ``rz`` on its qubit, angles from the tables;
        advances the timeline as that HAL operation does (a virtual ``rz``: not at all)."""
        kind = op & 0xF
        # load() checked every qubit field on the host: the clamp changes no value, it
        # tells the compiler the range, which spares the HAL's per-qubit tables their
        # bounds checks once inlined
        q = min((op >> 4) & 0xF, self.ops.num_qubits - 1)
        theta = self.thetas[op >> 12]
        if kind == RPHI:
            self.ops.rphi(theta, self.phis[op >> 12], q)
        elif kind == RZ:
            self.ops.rz(theta, q)


class RBKernel2(_RBKernel):
    """The RB kernel for two-qubit sequences: ``RBKernel1``'s gates and ``rxx``, so the
    trap must provide ``rxx``."""

    def build(self, ops, qubits, shots):
        """As ``RBKernel1``, after requiring ``rxx`` of the trap: a trap without it fails
        here, before anything runs."""
        ops.require("rxx", user="two-qubit randomized benchmarking")
        super().build(ops, qubits, shots)

    @kernel
    def play(self, op: TInt32):
        """Plays one opcode word: ``rphi``, ``rz`` or ``rxx`` on its qubits, angles from
        the tables; advances the timeline as that HAL operation does."""
        kind = op & 0xF
        last = self.ops.num_qubits - 1
        q = min((op >> 4) & 0xF, last)  # a no-op for the compiler's sake, as in RBKernel1
        theta = self.thetas[op >> 12]
        if kind == RPHI:
            self.ops.rphi(theta, self.phis[op >> 12], q)
        elif kind == RZ:
            self.ops.rz(theta, q)
        else:
            self.ops.rxx(theta, q, min((op >> 8) & 0xF, last))
