"""Run a qiskit circuit on any trap through the HAL.

The circuit (a ``QuantumCircuit``, or OpenQASM 2/3 text or file) is checked for what the
portable kernel cannot do, transpiled by qiskit to the trap's native gate set as the HAL
describes it (``r`` = ``rphi``, ``rz`` where the trap has it, ``rxx``) for its qubit count
and full connectivity, lowered to the opcode arrays RB uses, and run for N shots. The
result is counts per bitstring in qiskit's order (qubit 0 rightmost), populations and
parity.
"""
import math
from dataclasses import dataclass

import numpy as np

from control.lang import kernel

from kernels.opcodes import RPHI, RXX, RZ, AngleTable, encode
from kernels.rb_kernel import RBKernel2

__all__ = ["CircuitError", "load_circuit", "check_circuit", "to_native", "lower",
           "CircuitKernel", "CircuitResult", "result_from_counts"]


class CircuitError(ValueError):
    """A circuit this trap's portable kernel cannot run, and why."""


def load_circuit(source):
    """A ``QuantumCircuit`` from a circuit, OpenQASM 2/3 text, or a ``.qasm`` file."""
    from qiskit import QuantumCircuit
    if isinstance(source, QuantumCircuit):
        return source
    text = str(source)
    if "\n" not in text and text.strip().endswith((".qasm", ".qasm3")):
        try:
            with open(text.strip()) as f:
                text = f.read()
        except OSError as exc:
            raise CircuitError("cannot read circuit file {}: {}".format(source, exc)) from None
    try:
        if "OPENQASM 3" in text:
            from qiskit import qasm3
            return qasm3.loads(text)
        from qiskit import qasm2
        return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except Exception as exc:
        raise CircuitError("not a valid OpenQASM circuit: {}".format(exc)) from None


def check_circuit(qc, num_qubits):
    """Raise ``CircuitError`` for what the portable kernel cannot run: more qubits than the
    trap, classical control, mid-circuit measurement, resets, an empty circuit."""
    if qc.num_qubits > num_qubits:
        raise CircuitError("the circuit has {} qubits; this trap has {}".format(
            qc.num_qubits, num_qubits))
    measured = set()
    gates = 0
    for inst in qc.data:
        op = inst.operation
        qubits = [qc.find_bit(q).index for q in inst.qubits]
        if getattr(op, "condition", None) is not None or op.name in (
                "if_else", "while_loop", "for_loop", "switch_case"):
            raise CircuitError("classical control ({}) is not supported: the kernel "
                               "measures only at the end".format(op.name))
        if op.name == "reset":
            raise CircuitError("reset inside a circuit is not supported (every shot "
                               "starts from |0...0>)")
        if op.name == "measure":
            measured.update(qubits)
            continue
        if op.name == "barrier":
            continue
        if measured & set(qubits):
            raise CircuitError("mid-circuit measurement: qubit {} is used by {} after "
                               "being measured".format(sorted(measured & set(qubits))[0],
                                                       op.name))
        gates += 1
    if gates == 0:
        raise CircuitError("the circuit has no gates to run")


def to_native(qc, native_gates, num_qubits, seed=0):
    """qiskit's transpiler to the trap's native gates (``r``, ``rz`` if native, ``rxx``),
    all qubits connected; measurements and barriers removed (the kernel measures all)."""
    from qiskit import QuantumCircuit, transpile
    body = QuantumCircuit(num_qubits)
    for inst in qc.data:
        if inst.operation.name in ("measure", "barrier"):
            continue
        body.append(inst.operation, [qc.find_bit(q).index for q in inst.qubits])
    basis = ["r"] + (["rz"] if "rz" in native_gates else []) + \
        (["rxx"] if "rxx" in native_gates else [])
    try:
        return transpile(body, basis_gates=basis, optimization_level=2, seed_transpiler=seed)
    except Exception as exc:
        raise CircuitError("cannot transpile to this trap's native gates {}: {}".format(
            basis, exc)) from None


def lower(native, angles=None):
    """Opcodes of a native circuit; returns ``(opcodes, AngleTable)``."""
    angles = angles or AngleTable()
    words = []
    for inst in native.data:
        op = inst.operation
        qubits = [native.find_bit(q).index for q in inst.qubits]
        params = [float(p) for p in op.params]
        if op.name == "r":
            theta, phi = params
            if abs(theta) < 1e-12:
                continue
            words.append(encode(RPHI, qubits[0], 0, angles.add(theta, phi)))
        elif op.name == "rz":
            words.append(encode(RZ, qubits[0], 0, angles.add(params[0])))
        elif op.name == "rxx":
            words.append(encode(RXX, qubits[0], qubits[1], angles.add(params[0])))
        elif op.name in ("delay", "id"):
            continue
        else:
            raise CircuitError("gate {} is not native here".format(op.name))
    return np.array(words, dtype=np.int32), angles


class CircuitKernel(RBKernel2):
    """Plays one opcode sequence ``shots`` times; counts each outcome bitstring."""

    def load_circuit(self, opcodes, thetas, phis):
        self.load(opcodes, [0, len(opcodes)], thetas, phis, [0])
        self.histogram = np.zeros(2 ** self.n_qubits, dtype=np.int32)
        self.kernel_invariants = self.kernel_invariants | {"n_ops"}
        self.n_ops = len(opcodes)

    @kernel
    def run(self):
        self.core.break_realtime()
        self.ops.initialize()
        for shot in range(self.shots):
            self.ops.prep_0_all()
            for k in range(self.n_ops):
                self.play(self.opcodes[k])
            self.ops.m_z_all()
            outcome = 0
            for i in range(self.n_qubits):
                outcome |= self.ops.get_measurement(self.qubits[i]) << i
            self.histogram[outcome] += 1


@dataclass
class CircuitResult:
    counts: dict
    populations: np.ndarray
    parity: float
    shots: int

    def table(self):
        lines = ["{} shots".format(self.shots)]
        for key in sorted(self.counts):
            lines.append("  {}  {:6d}  {:.4f}".format(key, self.counts[key],
                                                     self.counts[key] / self.shots))
        lines.append("  parity <Z...Z> = {:+.4f}".format(self.parity))
        return "\n".join(lines)


def result_from_counts(histogram):
    """Counts per bitstring in qiskit's order (qubit 0 is the rightmost character),
    populations, and the parity <Z x ... x Z>."""
    histogram = np.asarray(histogram)
    shots = int(histogram.sum())
    n = int(round(math.log2(len(histogram))))
    counts = {format(i, "0{}b".format(n)): int(c) for i, c in enumerate(histogram) if c}
    pops = histogram / max(shots, 1)
    signs = np.array([(-1) ** bin(i).count("1") for i in range(len(histogram))])
    return CircuitResult(counts, pops, float(np.dot(signs, pops)), shots)
