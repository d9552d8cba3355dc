"""Portable randomized benchmarking: generation, compilation, chunked runs, analysis.

``RandomizedBenchmarking`` is a fragment of an experiment, written only against
``OperationInterface``: it draws Clifford sequences (``kernels.clifford``), compiles them
to the trap's native opcodes through the native-gate description the trap publishes
(``kernels.rb_compile``), cuts them into chunks that respect a maximum opcode count per
kernel, plays each chunk with the portable RB kernel (``kernels.rb_kernel``) and fits the
decay (``kernels.rb_analysis``). Interleaved RB runs the reference and the interleaved
sequences in the same run. By default each sequence is recorded once with DMA and
played back in every shot, so that sequences of any length play without the CPU in the
gate loop; ``dma=False`` plays the gates from the CPU in every shot (the same RTIO
output).
"""
import logging
import math
import numbers
from dataclasses import dataclass

import numpy as np

from control.errors import ArgumentError
from control.lang import HasEnvironment
from control.memory import MEMORY_SHARE, available_memory, bytes_text

from kernels import clifford
from kernels.rb_analysis import RBFitError, fit_rb, interleaved_error
from kernels.rb_compile import compiler_for
from kernels.rb_kernel import rb_kernel_class

logger = logging.getLogger(__name__)

__all__ = ["RandomizedBenchmarking", "RBProgram", "compile_program", "interleave_index",
           "check_rb_arguments", "estimate_program_bytes"]

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
        """Sequences in the program, reference and interleaved."""
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
        """What the RB kernel's ``load`` takes for sequences ``first`` to ``last - 1``:
        their opcodes, starts counted from 0, the angle tables, expected outcomes."""
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
    """``clifford.rb_sequences(...).flat()``: one group's random sequences as
    ``(cliffords, starts, seq_lengths, expected)``, lengths in Cliffords."""
    seqs = clifford.rb_sequences(n_qubits, lengths, samples, seed=seed,
                                 interleave=interleave, final_pauli=final_pauli)
    return seqs.flat()


#: Bytes of one opcode word of the program (``RBProgram.opcodes`` is int32).
OPCODE_BYTES = 4
#: Opcode words per Clifford, bounded over the installed traps: a long random sequence
#: compiles to 1.54 (virtual Z) and 1.83 (Z as pulses) words per single-qubit Clifford,
#: 5.9 and 9.2 per two-qubit Clifford.
WORDS_PER_CLIFFORD = {1: 2, 2: 10}
#: Peak host memory while drawing and compiling a program, per Clifford (its int16 index,
#: the gather's int64 index arrays) and per opcode word (the gather's int64 positions, the
#: int32 copies): measured with tracemalloc on both traps at 51-55 bytes per single-qubit
#: and 120-174 per two-qubit Clifford, which 32 + 16 per word bounds.
PEAK_BYTES_PER_CLIFFORD = 32
PEAK_BYTES_PER_WORD = 4 * OPCODE_BYTES
#: Distinct lengths the decay fit A p^m + B needs at the least.
MIN_LENGTHS = 3


def program_cliffords(lengths, samples, interleaved=False):
    """Cliffords the program holds: ``m + 1`` per reference sequence (the recovery
    included), ``2m + 1`` per interleaved one, ``samples`` sequences per length."""
    total = sum(int(m) + 1 for m in lengths) * int(samples)
    if interleaved:
        total += sum(2 * int(m) + 1 for m in lengths) * int(samples)
    return total


def estimate_program_bytes(n_qubits, lengths, samples, interleaved=False):
    """Peak host memory to draw and compile an RB program, in bytes (an upper estimate,
    from the program layout: see ``PEAK_BYTES_PER_CLIFFORD``)."""
    per_clifford = PEAK_BYTES_PER_CLIFFORD + PEAK_BYTES_PER_WORD * WORDS_PER_CLIFFORD[
        n_qubits]
    return program_cliffords(lengths, samples, interleaved) * per_clifford


def _positive_int(name, value, what, within=None):
    """``value`` as an int >= 1, or an ``ArgumentError`` naming the argument."""
    where = "" if within is None else " in {!r}".format(within)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or (
            not isinstance(value, numbers.Integral) and not float(value).is_integer()):
        raise ArgumentError("{}: {!r}{} is not an integer; allowed: integers in [1, inf) "
                            "({})".format(name, value, where, what))
    if value < 1:
        raise ArgumentError("{}: {}{} is outside the allowed range [1, inf) ({})".format(
            name, value, where, what))
    return int(value)


def check_rb_arguments(n_qubits, lengths, samples, shots, interleaved=False, names=None,
                       memory=None):
    """Check an RB run's sizes before any work: ``lengths`` at least ``MIN_LENGTHS``
    distinct positive integers, ``samples`` and ``shots`` positive integers, and the
    program's estimated memory (``estimate_program_bytes``) within ``MEMORY_SHARE`` of
    ``memory`` (default: ``available_memory()``). Returns the lengths as ints; raises
    ``ArgumentError`` naming the argument (``names`` maps ``lengths``, ``samples`` and
    ``shots`` to what the caller calls them: ``--lengths`` on the command line), the value
    and the allowed range."""
    names = dict({"lengths": "lengths", "samples": "samples", "shots": "shots"},
                 **(names or {}))
    if n_qubits not in (1, 2):
        raise ArgumentError("RB runs on 1 or 2 qubits, not {!r}".format(n_qubits))
    if isinstance(lengths, np.ndarray):
        lengths = lengths.tolist()
    if not isinstance(lengths, (list, tuple)):
        raise ArgumentError("{}: {!r} is not a list of sequence lengths; give at least {} "
                            "distinct positive integers (Cliffords per sequence), e.g. "
                            "[1, 20, 50, 100]".format(names["lengths"], lengths,
                                                      MIN_LENGTHS))
    checked = [_positive_int(names["lengths"], m, "Cliffords per sequence", lengths)
               for m in lengths]
    repeated = sorted({m for m in checked if checked.count(m) > 1})
    if repeated:
        raise ArgumentError("{}: {} repeats {}; each length must appear once (more "
                            "sequences per length: {})".format(
                                names["lengths"], checked,
                                ", ".join(map(str, repeated)), names["samples"]))
    if len(checked) < MIN_LENGTHS:
        raise ArgumentError("{}: {} has {} length(s); the decay fit A p^m + B needs at "
                            "least {} distinct lengths".format(
                                names["lengths"], checked, len(checked), MIN_LENGTHS))
    samples = _positive_int(names["samples"], samples, "sequences per length")
    _positive_int(names["shots"], shots, "repetitions of each sequence")
    need = estimate_program_bytes(n_qubits, checked, samples, interleaved)
    have = available_memory() if memory is None else memory
    limit = MEMORY_SHARE * have
    if need > limit:
        raise ArgumentError(
            "{} and {}: {} with {} samples{} is {:,} Cliffords; drawing and compiling "
            "them takes about {} of memory ({} bytes per {}-qubit Clifford), over the "
            "limit of {} ({:.0%} of the {} available); use shorter lengths or fewer "
            "samples".format(
                names["lengths"], names["samples"], checked, samples,
                ", interleaved" if interleaved else "",
                program_cliffords(checked, samples, interleaved), bytes_text(need),
                PEAK_BYTES_PER_CLIFFORD + PEAK_BYTES_PER_WORD * WORDS_PER_CLIFFORD[
                    n_qubits], n_qubits, bytes_text(limit), MEMORY_SHARE,
                bytes_text(have)))
    return checked


class RandomizedBenchmarking(HasEnvironment):
    """``build(ops, n_qubits, qubits, lengths, samples, shots, seed, interleave,
    final_pauli, max_chunk_words, dma)``; ``prepare_program()`` on the host after the trap
    is initialized, ``run()`` plays every chunk, ``analyze()`` fits."""

    def build(self, ops, n_qubits=1, qubits=None, lengths=(1, 10, 50, 100), samples=10,
              shots=50, seed=None, interleave=None, final_pauli=False,
              max_chunk_words=MAX_CHUNK_WORDS, dma=True):
        """Check the run's sizes before any work (``check_rb_arguments``) and build its
        kernel: ``RBKernel2`` on two qubits, ``RBKernel1`` on one; with ``dma`` (the
        default) it records each sequence once with the crate's ``core_dma`` and plays the
        recording in every shot, without it the CPU plays every gate of every shot."""
        if n_qubits not in (1, 2):
            raise ValueError("RB runs on 1 or 2 qubits, not {}".format(n_qubits))
        qubits = list(range(n_qubits)) if qubits is None else list(qubits)
        if len(qubits) != n_qubits or len(set(qubits)) != n_qubits:
            raise ValueError("{}-qubit RB needs {} distinct qubits, got {}".format(
                n_qubits, n_qubits, qubits))
        # Sizes checked before any work (the dashboard's path as much as the CLI's):
        # lengths, samples, shots and the memory the program would take.
        lengths = check_rb_arguments(n_qubits, lengths, samples, shots,
                                     interleaved=interleave is not None)
        samples, shots = int(samples), int(shots)
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
        self.dma = bool(dma)
        kernel_cls = rb_kernel_class(ops, n_qubits)
        self.kernel = kernel_cls(self, ops=ops, qubits=qubits, shots=shots, dma=self.dma)
        self.program = None
        self.survived = None

    def prepare_program(self):
        """Draw and compile the run's sequences for the trap's native gates (host, after
        the trap is initialized); returns the ``RBProgram``. An ``ArgumentError`` if a
        sequence needs more opcodes than one kernel call takes."""
        program = compile_program(self.ops.native_gates(), self.n_qubits, self.lengths,
                                  self.samples, self.seed, self.interleave,
                                  self.final_pauli)
        # A sequence longer than one kernel call takes cannot be played: say so before the
        # run, naming the length, rather than when its chunk comes.
        words = np.diff(program.starts)
        if len(words) and words.max() > self.max_chunk_words:
            j = int(np.argmax(words))
            per = words[j] / (program.lengths[j] * (2 if program.group[j] else 1) + 1)
            raise ArgumentError(
                "lengths: a sequence of {} Cliffords{} compiles to {} opcodes on this "
                "trap, over the {} one kernel call takes; the longest length that fits is "
                "about {}".format(program.lengths[j], ", interleaved" if program.group[j]
                                  else "", int(words[j]), self.max_chunk_words,
                                  int(self.max_chunk_words / per /
                                      (2 if self.interleave is not None else 1))))
        self.program = program
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
        """Survival of each sequence: the shots that gave the expected outcome / shots."""
        return self.survived / self.shots

    def fit(self, group=0, n_bootstrap=200, B=None):
        """Fit one group of sequences (0 reference, 1 interleaved) on its own.

        Each sequence's survival is ``survived`` of ``shots``: the fit weighs each length
        by its binomial and sequence-to-sequence uncertainty (``kernels.rb_analysis``).
        With ``B=None`` the asymptote is free (A, B and the SPAM error come out of the
        data); when the decay is too weak to tell A from B, the fit is redone with B fixed
        at 1/d, the asymptote of depolarizing noise, and the result says so
        (``B_fixed``). A decay the data do not resolve comes back with ``resolved`` False
        and a one-sided 95 % bound on the error per Clifford instead of an error bar.
        Anything else that fails raises ``RBFitError``.
        """
        prog = self.program
        sel = prog.group == group
        surv = self.survival()
        options = dict(n_bootstrap=n_bootstrap, seed=self.seed or 0, shots=self.shots)
        if B is not None:
            return fit_rb(prog.lengths[sel], surv[sel], self.n_qubits, B=B, **options)
        try:
            return fit_rb(prog.lengths[sel], surv[sel], self.n_qubits, **options)
        except RBFitError as exc:
            logger.warning("RB fit with free B failed (%s); fitting with B fixed at 1/d",
                           exc)
            return fit_rb(prog.lengths[sel], surv[sel], self.n_qubits,
                          B=1 / 2 ** self.n_qubits, **options)

    def analyze(self, n_bootstrap=200, B=None, interleaved_fit="joint"):
        """``{"reference": RBResult}``; interleaved RB adds ``"interleaved"`` and
        ``"gate"`` (an ``InterleavedResult``).

        ``interleaved_fit="joint"`` (the default, as the field fits interleaved RB): one
        fit of both curves sharing A and B (``fit_interleaved``); the reference and
        interleaved results are its two curves. With ``B=None`` a joint fit that cannot
        separate A from B is redone with B fixed at 1/d. ``"separate"`` fits each curve
        alone (``fit``) and combines them (``interleaved_error``)."""
        if self.interleave is None:
            return {"reference": self.fit(0, n_bootstrap, B)}
        if interleaved_fit == "separate":
            reference, interleaved = self.fit(0, n_bootstrap, B), self.fit(1, n_bootstrap, B)
            return {"reference": reference, "interleaved": interleaved,
                    "gate": interleaved_error(reference, interleaved)}
        if interleaved_fit != "joint":
            raise ValueError("interleaved_fit must be 'joint' or 'separate', not {!r}"
                             .format(interleaved_fit))
        from kernels.rb_analysis import fit_interleaved
        prog = self.program
        surv = self.survival()
        ref, inter = prog.group == 0, prog.group == 1
        data = (prog.lengths[ref], surv[ref], prog.lengths[inter], surv[inter], self.n_qubits)
        options = dict(n_bootstrap=n_bootstrap, seed=self.seed or 0, shots=self.shots)
        if B is not None:
            gate = fit_interleaved(*data, B=B, **options)
        else:
            try:
                gate = fit_interleaved(*data, **options)
            except RBFitError as exc:
                logger.warning("joint interleaved RB fit with free B failed (%s); fitting "
                               "with B fixed at 1/d", exc)
                gate = fit_interleaved(*data, B=1 / 2 ** self.n_qubits, **options)
        return {"reference": gate.reference, "interleaved": gate.interleaved, "gate": gate}
