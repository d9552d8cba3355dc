"""Run a qiskit circuit on any trap through the HAL.

The circuit (a ``QuantumCircuit``, or OpenQASM 2/3 text or file) is checked for what the
portable kernel cannot do, transpiled by qiskit to the trap's native gate set as the HAL
describes it (``r`` = ``rphi``, ``rz`` where the trap has it, ``rxx``) for its qubit count
and full connectivity, lowered to the opcode arrays RB uses, and run for N shots. The
kernel measures every qubit it plays and counts each physical outcome; on the host,
``readout_map`` says which measured qubit each classical bit takes, through the
transpiler's final layout (at optimization level 2 it removes swaps and records the
permutation there), and ``result_from_counts`` keys the counts as qiskit's
``Result.get_counts`` does: one character per classical bit of the circuit, classical bit
0 rightmost, bits no measurement writes are 0, unmeasured qubits do not appear, and with
several classical registers a space between registers (the first register rightmost).
"""
import math
from dataclasses import dataclass, field

import numpy as np

from control.lang import kernel

from kernels.opcodes import RPHI, RXX, RZ, AngleTable, encode
from kernels.rb_kernel import RBKernel2, RBKernel2RzAsPulses, rb_kernel_class

__all__ = ["CircuitError", "load_circuit", "check_circuit", "to_native", "lower",
           "final_positions", "Readout", "readout_map", "CircuitKernel",
           "CircuitKernelRzAsPulses", "circuit_kernel_class", "CircuitResult",
           "result_from_counts", "MAX_CLBITS"]

# The result holds one population per value of the classical bits.
MAX_CLBITS = 16


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
    if "OPENQASM 3" in text:
        try:
            import qiskit_qasm3_import  # noqa: F401  (what qiskit.qasm3.loads needs)
        except ImportError:
            raise CircuitError("OpenQASM 3 needs the qiskit-qasm3-import package, a "
                               "dependency of this project: pip install "
                               "qiskit-qasm3-import") from None
    try:
        if "OPENQASM 3" in text:
            from qiskit import qasm3
            return qasm3.loads(text)
        from qiskit import qasm2
        return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except Exception as exc:
        raise CircuitError("not a valid OpenQASM circuit: {}".format(exc)) from None


def _registers(qc):
    """``(name, size)`` of each classical register, first register first; empty when the
    circuit has none. Refuses registers that do not split the classical bits in order (a
    bit in two registers, or in none): qiskit's counts cannot key those either."""
    if not qc.cregs:
        return ()
    in_order = [bit for reg in qc.cregs for bit in reg]
    if in_order != list(qc.clbits):
        raise CircuitError("classical registers {} do not split the circuit's {} classical "
                           "bits in order (a bit in two registers or in none): not "
                           "supported".format(", ".join(r.name for r in qc.cregs),
                                              qc.num_clbits))
    return tuple((reg.name, reg.size) for reg in qc.cregs)


def check_circuit(qc, num_qubits):
    """Raise ``CircuitError`` for what the portable kernel cannot run: more qubits than the
    trap, classical control, mid-circuit measurement, resets, an empty circuit, a circuit
    that measures nothing, more than ``MAX_CLBITS`` classical bits."""
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
    if not measured:
        raise CircuitError("the circuit measures no qubit, so there is nothing to count: "
                           "add measurements (e.g. measure q -> c;)")
    if qc.num_clbits > MAX_CLBITS:
        raise CircuitError("the circuit has {} classical bits; at most {} are supported"
                           .format(qc.num_clbits, MAX_CLBITS))
    _registers(qc)


def to_native(qc, native_gates, num_qubits, seed=0):
    """qiskit's transpiler to the trap's native gates (``r``, ``rz`` if native, ``rxx``),
    all qubits connected; measurements and barriers removed (the kernel measures all).
    The transpiler may move qubits (it elides swaps at optimization level 2): where each
    circuit qubit ends is in the result's ``layout``, read by ``final_positions``."""
    from qiskit import QuantumCircuit, transpile
    body = QuantumCircuit(num_qubits)
    for inst in qc.data:
        if inst.operation.name in ("measure", "barrier"):
            continue
        body.append(inst.operation, [qc.find_bit(q).index for q in inst.qubits])
    basis = ["r"] + (["rz"] if "rz" in native_gates else []) + \
        (["rxx"] if "rxx" in native_gates else [])
    try:
        return transpile(body, target=_target(native_gates, num_qubits),
                         optimization_level=2, seed_transpiler=seed)
    except Exception as exc:
        raise CircuitError("cannot transpile to this trap's native gates {}: {}".format(
            basis, exc)) from None


def _target(native_gates, num_qubits):
    """qiskit's ``Target`` of the trap's native gates, all qubits connected: ``r`` and
    ``rz`` of any angle, ``rxx`` of the one angle the trap plays when its native gate
    fixes it (an MS gate of another angle would not close its loops in phase space), so
    the transpiler synthesizes other entangling angles from it."""
    import itertools

    from qiskit.circuit import Parameter
    from qiskit.circuit.library import RGate, RXXGate, RZGate
    from qiskit.transpiler import Target
    target = Target(num_qubits=num_qubits)
    single = {(q,): None for q in range(num_qubits)}
    target.add_instruction(RGate(Parameter("theta"), Parameter("phi")), single)
    if "rz" in native_gates:
        target.add_instruction(RZGate(Parameter("lam")), single)
    if "rxx" in native_gates and num_qubits > 1:
        # A NativeGateSet says which angles it plays; a bare list of names fixes none.
        angles = () if isinstance(native_gates, (list, tuple, set)) else \
            native_gates["rxx"].angles
        gate = RXXGate(angles[0] if angles else Parameter("theta"))
        target.add_instruction(gate, {pair: None for pair in
                                      itertools.permutations(range(num_qubits), 2)})
    return target


def final_positions(native, num_qubits):
    """For each qubit of the circuit given to ``to_native``, the qubit of ``native`` (so
    the kernel's qubit index) that holds its state at the end: qiskit's
    ``TranspileLayout.final_index_layout()`` (initial layout, then the permutation of
    routing and of elided swaps); the identity when the transpiler set no layout."""
    layout = getattr(native, "layout", None)
    if layout is None:
        return list(range(num_qubits))
    positions = [int(p) for p in layout.final_index_layout()]
    if sorted(positions) != list(range(len(positions))) or len(positions) != num_qubits:
        raise CircuitError("the transpiler's final layout {} is not a permutation of {} "
                           "qubits".format(positions, num_qubits))
    return positions


@dataclass(frozen=True)
class Readout:
    """Which measured qubit each classical bit takes: ``sources[c]`` is the kernel's
    qubit index (bit ``sources[c]`` of a kernel outcome) measured into classical bit
    ``c``, -1 when no measurement writes it (it reads 0). ``registers`` are the classical
    registers' ``(name, size)``, first first; ``names`` name each classical bit
    (``c[0]``, ...); ``positions`` is the final layout it was made with."""
    sources: tuple
    registers: tuple = ()
    names: tuple = ()
    positions: tuple = ()

    @classmethod
    def identity(cls, num_qubits):
        """Qubit ``i`` measured into classical bit ``i``, one register ``c``."""
        return cls(tuple(range(num_qubits)), (("c", num_qubits),),
                   tuple("c[{}]".format(i) for i in range(num_qubits)),
                   tuple(range(num_qubits)))

    @property
    def num_clbits(self):
        """The circuit's number of classical bits."""
        return len(self.sources)

    @property
    def measured(self):
        """Classical bits some measurement writes, lowest first."""
        return [c for c, s in enumerate(self.sources) if s >= 0]

    def value(self, outcome):
        """The classical bits (classical bit ``c`` in bit ``c``) of one kernel outcome
        (kernel qubit ``i`` in bit ``i``)."""
        v = 0
        for c, s in enumerate(self.sources):
            if s >= 0:
                v |= ((int(outcome) >> s) & 1) << c
        return v

    def key(self, value):
        """qiskit's counts key of a value of the classical bits: classical bit 0
        rightmost, a space between registers (the first register rightmost)."""
        bits = format(int(value), "0{}b".format(self.num_clbits)) if self.num_clbits else ""
        if len(self.registers) < 2:
            return bits
        parts, end = [], len(bits)
        for _, size in self.registers:
            parts.append(bits[end - size:end])
            end -= size
        return " ".join(reversed(parts))

    def bit_order(self):
        """The classical bits as the key's characters are, e.g. ``c[1] c[0]``; ``|``
        between registers."""
        if len(self.registers) < 2:
            return " ".join(reversed(self.names))
        groups, start = [], 0
        for _, size in self.registers:
            groups.append(" ".join(reversed(self.names[start:start + size])))
            start += size
        return " | ".join(reversed(groups))


def readout_map(qc, native=None):
    """The ``Readout`` of a circuit run as ``native`` (its ``to_native``): each
    measurement's classical bit, taken from the kernel qubit where the final layout puts
    the measured qubit; a classical bit measured twice keeps the last measurement."""
    positions = final_positions(native, qc.num_qubits) if native is not None else \
        list(range(qc.num_qubits))
    sources = [-1] * qc.num_clbits
    for inst in qc.data:
        if inst.operation.name != "measure":
            continue
        for q, c in zip(inst.qubits, inst.clbits):
            sources[qc.find_bit(c).index] = positions[qc.find_bit(q).index]
    names = []
    for bit in qc.clbits:
        where = qc.find_bit(bit).registers
        names.append("{}[{}]".format(where[0][0].name, where[0][1]) if where else
                     "clbit{}".format(qc.find_bit(bit).index))
    return Readout(tuple(sources), _registers(qc), tuple(names), tuple(positions))


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


class _CircuitShots:
    """Plays one opcode sequence ``shots`` times; counts each outcome bitstring (kernel
    qubit ``i`` in bit ``i``; ``result_from_counts`` makes them classical bits). Mixed into
    the two-qubit RB kernel whose ``play`` suits the trap (:func:`circuit_kernel_class`)."""

    def load_circuit(self, opcodes, thetas, phis):
        """Load a lowered circuit (host): its opcodes as one sequence with their angle
        tables, and an empty histogram of the ``2 ** n_qubits`` outcomes."""
        self.load(opcodes, [0, len(opcodes)], thetas, phis, [0])
        self.histogram = np.zeros(2 ** self.n_qubits, dtype=np.int32)
        self.kernel_invariants = self.kernel_invariants | {"n_ops"}
        self.n_ops = len(self.opcodes)

    @kernel
    def run(self):
        """Plays ``shots`` shots: prepare, the circuit's gates, measure every qubit, and
        count the outcome in ``histogram``. After ``core.break_realtime()`` and
        ``ops.initialize()``, advances the timeline by ``shots`` × (preparation + the
        gates + detection)."""
        self.core.break_realtime()
        self.ops.initialize()
        for _shot in range(self.shots):
            self.ops.prep_0_all()
            for k in range(self.n_ops):
                self.play(self.opcodes[k])
            self.ops.m_z_all()
            outcome = 0
            for i in range(self.n_qubits):
                outcome |= self.ops.get_measurement(self.qubits[i]) << i
            self.histogram[outcome] += 1


class CircuitKernel(_CircuitShots, RBKernel2):
    """The circuit kernel on a trap with a native ``rz``."""


class CircuitKernelRzAsPulses(_CircuitShots, RBKernel2RzAsPulses):
    """The circuit kernel on a trap without a native ``rz`` (its circuits are lowered to
    ``rphi`` and ``rxx``; see ``kernels.rb_kernel``)."""


def circuit_kernel_class(ops):
    """The circuit kernel class for the trap of ``ops`` (host; at build)."""
    if rb_kernel_class(ops, 2) is RBKernel2RzAsPulses:
        return CircuitKernelRzAsPulses
    return CircuitKernel


@dataclass
class CircuitResult:
    """``counts`` keyed as qiskit keys them; ``populations[v]`` the fraction of shots
    whose classical bits read ``v`` (classical bit ``c`` in bit ``c``); ``parity`` the
    mean of (-1)^(sum of the classical bits)."""
    counts: dict
    populations: np.ndarray
    parity: float
    shots: int
    readout: Readout | None = field(default=None, repr=False)

    def keys(self):
        """Every key the measured bits can take (unmeasured bits 0), in increasing value;
        only the observed ones when that is more than 64."""
        measured = self.readout.measured
        if len(measured) > 6:
            return sorted(self.counts, key=lambda k: int(k.replace(" ", ""), 2))
        values = [sum(((i >> j) & 1) << c for j, c in enumerate(measured))
                  for i in range(2 ** len(measured))]
        return [self.readout.key(v) for v in sorted(values)]

    def table(self):
        """The counts as text: a line per observed key (count, fraction), in increasing
        value, then the parity."""
        lines = ["{} shots; bits {} (classical bit 0 rightmost)".format(
            self.shots, self.readout.bit_order())]
        width = max(len(k) for k in self.counts) if self.counts else 1
        for key in sorted(self.counts, key=lambda k: int(k.replace(" ", ""), 2)):
            lines.append("  {:>{}}  {:6d}  {:.4f}".format(key, width, self.counts[key],
                                                        self.counts[key] / self.shots))
        lines.append("  parity <Z...Z> of the measured bits = {:+.4f}".format(self.parity))
        return "\n".join(lines)


def result_from_counts(histogram, readout=None):
    """Counts of the kernel's outcomes (kernel qubit ``i`` in bit ``i`` of the index)
    made classical bits through ``readout`` (default: qubit ``i`` into classical bit
    ``i``): counts keyed as qiskit keys them, populations per value of the classical bits,
    and the parity of the classical bits."""
    histogram = np.asarray(histogram)
    shots = int(histogram.sum())
    if readout is None:
        readout = Readout.identity(int(round(math.log2(len(histogram)))))
    pops = np.zeros(2 ** readout.num_clbits)
    counts = {}
    for outcome, c in enumerate(histogram):
        if not c:
            continue
        v = readout.value(outcome)
        key = readout.key(v)
        counts[key] = counts.get(key, 0) + int(c)
        pops[v] += c
    pops /= max(shots, 1)
    signs = np.array([(-1) ** bin(v).count("1") for v in range(len(pops))])
    return CircuitResult(counts, pops, float(np.dot(signs, pops)), shots, readout)
