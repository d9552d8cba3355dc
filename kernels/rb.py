"""Portable randomized benchmarking: generation, compilation, chunked runs, analysis.

``RandomizedBenchmarking`` is a fragment of an experiment, written only against
``OperationInterface``: it draws Clifford sequences (``kernels.clifford``), compiles them
to the trap's native opcodes through the native-gate description the trap publishes
(``kernels.rb_compile``), cuts them into chunks that respect a maximum opcode count per
kernel, plays each chunk with the portable RB kernel (``kernels.rb_kernel``) and fits the
decay (``kernels.rb_analysis``). Interleaved RB runs the reference and the interleaved
sequences in the same run.
"""
import logging
import math
from dataclasses import dataclass

import numpy as np

from control.lang import HasEnvironment

from kernels import clifford
from kernels.rb_analysis import RBFitError, fit_rb, interleaved_error
from kernels.rb_compile import compiler_for
from kernels.rb_kernel import RBKernel1, RBKernel2

logger = logging.getLogger(__name__)

__all__ = ["RandomizedBenchmarking", "RBProgram", "compile_program", "interleave_index"]

#: Largest opcode array one kernel call takes (words; 4 bytes each).
MAX_CHUNK_WORDS = 200_000

_NAMED_GATES = {
    # name: (n_qubits, qiskit gate name)
    "x": (1, "x"), "y": (1, "y"), "z": (1, "z"), "h": (1, "h"), "s": (1, "s"),
    "sdg": (1, "sdg"), "sx": (1, "sx"), "sxdg": (1, "sxdg"),
    "cx": (2, "cx"), "cz": (2, "cz"), "swap": (2, "swap"), "ms": (2, "rxx"),
}


def interleave_index(name, n_qubits):
    """The Clifford index of a gate given by name (``x``, ``h``, ``sx``, ``cz``, ``ms``
    = rxx(π/2), ...) or by index."""
    if isinstance(name, (int, np.integer)):
        return int(name)
    from qiskit import QuantumCircuit
    key = str(name).lower()
    if key not in _NAMED_GATES:
        raise ValueError("unknown gate {!r} to interleave; known: {}".format(
            name, ", ".join(sorted(_NAMED_GATES))))
    nq, gate = _NAMED_GATES[key]
    if nq != n_qubits:
        raise ValueError("{} is a {}-qubit gate; this is {}-qubit RB".format(
            name, nq, n_qubits))
    qc = QuantumCircuit(n_qubits)
    if gate == "rxx":
        qc.rxx(math.pi / 2, 0, 1)
    else:
        getattr(qc, gate)(*range(nq))
    return clifford.index_of(qc)


@dataclass
class RBProgram:
    """Compiled sequences of one RB run, ready for chunks.

    ``opcodes[starts[j]:starts[j+1]]`` is sequence ``j``; ``lengths[j]`` its number of
    random Cliffords, ``expected[j]`` its ideal outcome, ``group[j]`` 0 for reference and
    1 for interleaved sequences."""
    n_qubits: int
    opcodes: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray
    expected: np.ndarray
    group: np.ndarray
    thetas: np.ndarray
    phis: np.ndarray
    compiler: object

    @property
    def n_sequences(self):
        return len(self.lengths)

    def chunks(self, max_words=MAX_CHUNK_WORDS):
        """``[(first, last), ...]`` sequence ranges whose opcodes fit ``max_words``."""
        out = []
        first = 0
        while first < self.n_sequences:
            last = first + 1
            while (last < self.n_sequences
                   and self.starts[last + 1] - self.starts[first] <= max_words):
                last += 1
            if self.starts[last] - self.starts[first] > max_words:
                raise ValueError("sequence {} alone has {} opcodes, over the chunk limit "
                                 "of {}".format(first, self.starts[last] - self.starts[first],
                                                max_words))
            out.append((first, last))
            first = last
        return out

    def chunk_arrays(self, first, last):
        a, b = self.starts[first], self.starts[last]
        return (self.opcodes[a:b], self.starts[first:last + 1] - a, self.thetas, self.phis,
                self.expected[first:last])


def compile_program(gates, n_qubits, lengths, samples, seed=None, interleave=None,
                    final_pauli=False):
    """Draw and compile the sequences of one RB run for a trap's native ``gates``."""
    compiler = compiler_for(gates, n_qubits)
    parts = [rb_sequences_flat(n_qubits, lengths, samples, seed, None, final_pauli)]
    if interleave is not None:
        seed2 = None if seed is None else seed + 1
        parts.append(rb_sequences_flat(n_qubits, lengths, samples, seed2, interleave,
                                       final_pauli))
    opcodes, starts, seq_lengths, expected, group = [], [0], [], [], []
    offset = 0
    for g, (cliffords, cstarts, m, bits) in enumerate(parts):
        ops, ostarts = compiler.compile(cliffords, cstarts)
        opcodes.append(ops)
        starts.extend((ostarts[1:] + offset).tolist())
        offset += len(ops)
        seq_lengths.append(m)
        expected.append(bits)
        group.append(np.full(len(m), g))
    return RBProgram(n_qubits, np.concatenate(opcodes).astype(np.int32),
                     np.array(starts, dtype=np.int64), np.concatenate(seq_lengths),
                     np.concatenate(expected).astype(np.int32), np.concatenate(group),
                     compiler.thetas, compiler.phis, compiler)


def rb_sequences_flat(n_qubits, lengths, samples, seed, interleave, final_pauli):
    seqs = clifford.rb_sequences(n_qubits, lengths, samples, seed=seed,
                                 interleave=interleave, final_pauli=final_pauli)
    return seqs.flat()


class RandomizedBenchmarking(HasEnvironment):
    """``build(ops, n_qubits, qubits, lengths, samples, shots, seed, interleave,
    final_pauli)``; ``prepare_program()`` on the host after the trap is initialized,
    ``run()`` plays every chunk, ``analyze()`` fits."""

    def build(self, ops, n_qubits=1, qubits=None, lengths=(1, 10, 50, 100), samples=10,
              shots=50, seed=None, interleave=None, final_pauli=False,
              max_chunk_words=MAX_CHUNK_WORDS):
        if n_qubits not in (1, 2):
            raise ValueError("RB runs on 1 or 2 qubits, not {}".format(n_qubits))
        qubits = list(range(n_qubits)) if qubits is None else list(qubits)
        if len(qubits) != n_qubits or len(set(qubits)) != n_qubits:
            raise ValueError("{}-qubit RB needs {} distinct qubits, got {}".format(
                n_qubits, n_qubits, qubits))
        lengths = [int(m) for m in lengths]
        if len(lengths) < 3 or min(lengths) < 0:
            raise ValueError("RB needs at least 3 non-negative lengths, got {}".format(
                lengths))
        self.ops = ops
        self.n_qubits = n_qubits
        self.qubits = qubits
        self.lengths = lengths
        self.samples = samples
        self.shots = shots
        self.seed = seed
        self.interleave = None if interleave is None else interleave_index(interleave,
                                                                           n_qubits)
        self.final_pauli = final_pauli
        self.max_chunk_words = max_chunk_words
        kernel_cls = RBKernel2 if n_qubits == 2 else RBKernel1
        self.kernel = kernel_cls(self, ops=ops, qubits=qubits, shots=shots)
        self.program = None
        self.survived = None

    def prepare_program(self):
        self.program = compile_program(self.ops.native_gates(), self.n_qubits, self.lengths,
                                       self.samples, self.seed, self.interleave,
                                       self.final_pauli)
        self.survived = np.zeros(self.program.n_sequences, dtype=np.int64)
        return self.program

    def run(self, on_sequence=None):
        """Play every chunk; ``on_sequence(index, survived_shots)`` after each sequence
        (called asynchronously from the kernel)."""
        if self.program is None:
            self.prepare_program()
        for first, last in self.program.chunks(self.max_chunk_words):
            self.kernel.load(*self.program.chunk_arrays(first, last))
            if on_sequence is not None:
                self.kernel.on_sequence = \
                    lambda s, n, first=first: on_sequence(first + s, n)
            self.kernel.run()
            self.survived[first:last] = self.kernel.survived

    def survival(self):
        return self.survived / self.shots

    def fit(self, group=0, n_bootstrap=200, B=None):
        """Fit one group of sequences (0 reference, 1 interleaved).

        With ``B=None`` the asymptote is free (A, B and the SPAM error come out of the
        data); when the decay is too weak to tell A from B, the fit is redone with B fixed
        at 1/d, the asymptote of depolarizing noise, and the result says so
        (``B_fixed``). Anything else that fails raises ``RBFitError``.
        """
        prog = self.program
        sel = prog.group == group
        surv = self.survival()
        if B is not None:
            return fit_rb(prog.lengths[sel], surv[sel], self.n_qubits,
                          n_bootstrap=n_bootstrap, seed=self.seed or 0, B=B)
        try:
            return fit_rb(prog.lengths[sel], surv[sel], self.n_qubits,
                          n_bootstrap=n_bootstrap, seed=self.seed or 0)
        except RBFitError as exc:
            logger.warning("RB fit with free B failed (%s); fitting with B fixed at 1/d",
                           exc)
            return fit_rb(prog.lengths[sel], surv[sel], self.n_qubits,
                          n_bootstrap=n_bootstrap, seed=self.seed or 0,
                          B=1 / 2 ** self.n_qubits)

    def analyze(self, n_bootstrap=200, B=None):
        """The reference fit, and the interleaved fit and gate error when interleaved."""
        result = {"reference": self.fit(0, n_bootstrap, B)}
        if self.interleave is not None:
            result["interleaved"] = self.fit(1, n_bootstrap, B)
            result["gate"] = interleaved_error(result["reference"], result["interleaved"])
        return result
