"""qiskit circuits on either trap: transpiled to each trap's native gates, run through
the portable kernel, counts keyed as qiskit keys them (final layout, classical bits,
registers) and matching qiskit's exact probabilities; the shipped examples through
``control circuit``."""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit
from qiskit.circuit.random import random_circuit
from qiskit.quantum_info import Statevector

from control.runner import run_experiment
from drivers import systems
from kernels.circuit import CircuitError, check_circuit, load_circuit, result_from_counts

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPERIMENT = os.path.join(ROOT, "experiments", "circuit.py")


def run(qc, system, shots, errors=None, seed=3):
    from qiskit import qasm2
    run = run_experiment(EXPERIMENT, "Circuit",
                         {"system": system, "qasm": qasm2.dumps(qc), "shots": shots},
                         systems.device_db_path(system), sim=True,
                         sim_options=systems.sim_config(system, errors=errors, seed=seed),
                         write=False)
    return run.experiment.result


@pytest.mark.parametrize("system", systems.names())
def test_bell_state(system):
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    r = run(qc, system, 400)  # the system's default (small) errors
    assert abs(r.populations[0] - 0.5) < 0.1 and abs(r.populations[3] - 0.5) < 0.1
    assert r.parity > 0.9


@pytest.mark.parametrize("system", systems.names())
def test_x_on_one_qubit_gives_qiskits_bit_order(system):
    qc = QuantumCircuit(2, 2)
    qc.x(1)
    qc.measure([0, 1], [0, 1])
    r = run(qc, system, 50, errors={})
    assert r.counts == {"10": 50}  # qubit 1 is the leftmost character, as in qiskit


@pytest.mark.parametrize("system", systems.names())
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_circuits_match_ideal_probabilities(system, seed):
    n = 1 if seed == 1 else 2
    qc = random_circuit(n, 4, max_operands=2, seed=seed + 10 * n)
    ideal = Statevector(qc).probabilities()
    qc.measure_all()  # qubit i into classical bit i: populations index as probabilities
    shots = 600
    r = run(qc, system, shots, errors={}, seed=seed)
    sigma = np.sqrt(np.clip(ideal * (1 - ideal), 1e-4, None) / shots)
    assert np.all(np.abs(r.populations - ideal) < 4.5 * sigma + 1e-9), (r.populations, ideal)


def test_clear_errors_before_anything_runs():
    three = QuantumCircuit(3)
    three.h(0)
    with pytest.raises(CircuitError, match="3 qubits; this trap has 2"):
        check_circuit(three, 2)
    mid = QuantumCircuit(1, 1)
    mid.h(0)
    mid.measure(0, 0)
    mid.x(0)
    with pytest.raises(CircuitError, match="mid-circuit measurement"):
        check_circuit(mid, 2)
    ctrl = QuantumCircuit(1, 1)
    with ctrl.if_test((ctrl.clbits[0], 1)):
        ctrl.x(0)
    with pytest.raises(CircuitError, match="classical control"):
        check_circuit(ctrl, 2)
    with pytest.raises(CircuitError, match="no gates"):
        check_circuit(QuantumCircuit(2), 2)
    with pytest.raises(CircuitError, match="not a valid OpenQASM"):
        load_circuit("OPENQASM 2.0; qreg q[1]; frobnicate q[0];")


def test_a_bad_circuit_fails_at_build_on_the_command_line(tmp_path, capsys):
    from control.cli import main
    path = tmp_path / "big.qasm"
    path.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\nh q[2];\n')
    assert main(["circuit", str(path), "--system", "ca40", "--results",
                 str(tmp_path)]) == 2
    assert "3 qubits; this trap has 2" in capsys.readouterr().err


def test_counts_and_parity():
    r = result_from_counts([30, 0, 10, 60])
    assert r.counts == {"00": 30, "10": 10, "11": 60}
    assert r.parity == pytest.approx((30 - 10 + 60) / 100)


# --- counts keyed exactly as qiskit keys them ---------------------------------------
# The reference: qiskit's exact probabilities of the circuit's unitary part
# (Statevector.probabilities_dict, qubit 0 rightmost), each measurement copying its
# qubit's bit into its classical bit, unwritten classical bits 0, the key as qiskit's
# Result.get_counts writes it (classical bit 0 rightmost, a space between registers).
# test_reference_agrees_with_qiskits_simulator checks it against qiskit's BasicSimulator.

def _unitary_part(qc):
    body = QuantumCircuit(qc.num_qubits)
    for inst in qc.data:
        if inst.operation.name not in ("measure", "barrier"):
            body.append(inst.operation, [qc.find_bit(q).index for q in inst.qubits])
    return body


def ideal_distribution(qc):
    """qiskit's exact distribution of ``qc``'s counts keys."""
    measures = [(qc.find_bit(i.qubits[0]).index, qc.find_bit(i.clbits[0]).index)
                for i in qc.data if i.operation.name == "measure"]
    sizes = [r.size for r in qc.cregs]
    dist = {}
    for qbits, p in Statevector(_unitary_part(qc)).probabilities_dict().items():
        clbits = ["0"] * qc.num_clbits
        for q, c in measures:
            clbits[c] = qbits[len(qbits) - 1 - q]
        bits = "".join(reversed(clbits))
        if len(sizes) > 1:
            parts, end = [], len(bits)
            for size in sizes:
                parts.append(bits[end - size:end])
                end -= size
            bits = " ".join(reversed(parts))
        dist[bits] = dist.get(bits, 0.0) + p
    return {k: p for k, p in dist.items() if p > 1e-12}


def tvd(counts, dist):
    shots = sum(counts.values())
    keys = set(counts) | set(dist)
    return 0.5 * sum(abs(counts.get(k, 0) / shots - dist.get(k, 0.0)) for k in keys)


def tvd_bound(shots, categories, delta=1e-6):
    """Bretagnolle-Huber-Carol: P(TVD >= t) <= 2^K exp(-2 N t^2) for N samples of a
    distribution on K categories; the t whose probability is ``delta``."""
    return np.sqrt(np.log(2 ** categories / delta) / (2 * shots))


ONE_QUBIT = ["h", "x", "y", "z", "s", "sdg", "t", "sx", "rx", "ry", "rz"]
TWO_QUBIT = ["swap", "swap", "swap", "cx", "cz", "rxx", "rzz", "iswap", "ch"]


@st.composite
def circuits(draw):
    """1-2 qubit circuits heavy in swaps; a non-empty set of qubits measured, each into a
    classical bit drawn at random (crossed), sometimes one qubit into two bits; one or two
    classical registers, up to two bits wider than the qubits."""
    from qiskit import ClassicalRegister, QuantumRegister
    n = draw(st.integers(1, 2))
    width = draw(st.integers(n, n + 2))
    split = draw(st.integers(0, width - 1))  # 0: one register; else the first's size
    q = QuantumRegister(n, "q")
    cregs = [ClassicalRegister(width, "c")] if split == 0 else \
        [ClassicalRegister(split, "a"), ClassicalRegister(width - split, "b")]
    qc = QuantumCircuit(q, *cregs)
    angle = st.floats(-np.pi, np.pi, allow_nan=False)
    for _ in range(draw(st.integers(1, 6))):
        name = draw(st.sampled_from(ONE_QUBIT + (TWO_QUBIT if n == 2 else [])))
        qubits = draw(st.permutations(range(n)))
        params = [draw(angle)] if name in ("rx", "ry", "rz", "rxx", "rzz") else []
        getattr(qc, name)(*params, *qubits[:1 if name in ONE_QUBIT else 2])
    measured = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    clbits = draw(st.permutations(range(width)))
    for q_index, c_index in zip(measured, clbits):
        qc.measure(q_index, c_index)
    if width > len(measured) and draw(st.booleans()):
        qc.measure(measured[0], clbits[len(measured)])  # the same qubit into a second bit
    return qc


@settings(max_examples=60, deadline=None)
@given(circuits(), st.integers(0, 2 ** 31 - 1))
def test_reference_agrees_with_qiskits_simulator(qc, seed):
    """The test's reference keys and weighs outcomes as qiskit's own simulator does."""
    from qiskit.providers.basic_provider import BasicSimulator
    shots = 2000
    counts = BasicSimulator().run(qc, shots=shots, seed_simulator=seed).result().get_counts()
    ideal = ideal_distribution(qc)
    assert set(counts) <= set(ideal), (counts, ideal)
    assert tvd(counts, ideal) < tvd_bound(shots, 2 ** qc.num_qubits), (counts, ideal)


@pytest.mark.slow
@pytest.mark.parametrize("system", systems.names())
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(qc=circuits(), seed=st.integers(0, 1000))
def test_counts_match_qiskits_exact_probabilities(system, qc, seed):
    """Random circuits with swaps, crossed, partial and doubled measurements and wider
    or split classical registers, noise off: the counts have qiskit's keys and their
    distribution is within the statistical bound of qiskit's exact one. The bound holds
    with probability 1 - 1e-6 per example, so a failure is a wrong answer, not bad luck."""
    shots = 400
    r = run(qc, system, shots, errors={}, seed=seed)
    ideal = ideal_distribution(qc)
    # every key as wide as qiskit's, spaces where qiskit puts them (the ion model's
    # photon-counting errors, ~3e-4 per qubit on yb171, may add outcomes qiskit gives 0)
    shape = {"".join("b" if ch in "01" else ch for ch in k) for k in ideal}
    assert {"".join("b" if ch in "01" else ch for ch in k) for k in r.counts} == shape, (
        r.counts, ideal, str(qc))
    distance = tvd(r.counts, ideal)
    assert distance < tvd_bound(shots, 2 ** qc.num_qubits), (distance, r.counts, ideal,
                                                              str(qc))


def _swap_circuit(width=2):
    qc = QuantumCircuit(2, width)
    qc.x(0)
    qc.swap(0, 1)
    return qc


@pytest.mark.parametrize("system", systems.names())
def test_a_swap_moves_the_state_as_in_qiskit(system):
    qc = _swap_circuit()
    qc.measure([0, 1], [0, 1])
    assert run(qc, system, 40, errors={}).counts == {"10": 40}  # issue 18: was "01"


@pytest.mark.parametrize("system", systems.names())
def test_crossed_partial_and_wider_measurements(system):
    crossed = QuantumCircuit(2, 2)
    crossed.x(0)
    crossed.measure(0, 1)
    crossed.measure(1, 0)
    assert run(crossed, system, 30, errors={}).counts == {"10": 30}
    partial = _swap_circuit(width=3)
    partial.measure(1, 2)  # q[0]'s 1 is on q[1] after the swap; q[0] is not measured
    r = run(partial, system, 30, errors={})
    assert r.counts == {"100": 30}
    assert r.populations[0b100] == 1.0 and len(r.populations) == 8
    assert "c[2] c[1] c[0]" in r.table()


@pytest.mark.parametrize("system", systems.names())
def test_two_registers_keyed_as_qiskits_counts(system):
    from qiskit import ClassicalRegister, QuantumRegister
    from qiskit.providers.basic_provider import BasicSimulator
    a, b = ClassicalRegister(1, "a"), ClassicalRegister(2, "b")
    qc = QuantumCircuit(QuantumRegister(2, "q"), a, b)
    qc.x(0)
    qc.swap(0, 1)
    qc.measure(1, b[1])
    qc.measure(0, a[0])
    expected = BasicSimulator().run(qc, shots=20).result().get_counts()
    assert expected == {"10 0": 20}
    r = run(qc, system, 20, errors={})
    assert r.counts == expected
    assert r.readout.bit_order() == "b[1] b[0] | a[0]"


def test_the_final_layout_reaches_the_result():
    from kernels.circuit import readout_map, to_native
    qc = _swap_circuit()
    qc.measure([0, 1], [0, 1])
    native = to_native(qc, ("rphi", "rz", "rxx"), 2)
    assert "swap" not in native.count_ops()
    readout = readout_map(qc, native)
    assert readout.positions == tuple(native.layout.final_index_layout())
    # the histogram is per kernel qubit: the X sits on the qubit the layout names
    histogram = np.zeros(4, dtype=int)
    x_on = [native.find_bit(i.qubits[0]).index for i in native.data][0]
    histogram[1 << x_on] = 7
    assert result_from_counts(histogram, readout).counts == {"10": 7}


def test_refused_before_anything_runs():
    unmeasured = QuantumCircuit(2)
    unmeasured.h(0)
    with pytest.raises(CircuitError, match="measures no qubit"):
        check_circuit(unmeasured, 2)
    wide = QuantumCircuit(1, 17)
    wide.x(0)
    wide.measure(0, 0)
    with pytest.raises(CircuitError, match="17 classical bits; at most 16"):
        check_circuit(wide, 2)
    from qiskit import ClassicalRegister
    from qiskit.circuit import Clbit
    shared = Clbit()
    odd = QuantumCircuit(1)
    odd.add_register(ClassicalRegister(bits=[shared], name="a"))
    odd.add_register(ClassicalRegister(bits=[shared], name="b"))
    odd.x(0)
    odd.measure(0, 0)
    with pytest.raises(CircuitError, match="do not split"):
        check_circuit(odd, 2)


# --- the shipped examples through `control circuit` -------------------------------

EXAMPLES = os.path.join(ROOT, "examples")
EXAMPLE_FILES = sorted(f for f in os.listdir(EXAMPLES) if f.endswith((".qasm", ".qasm3")))


def test_the_examples_are_shipped():
    assert {"bell.qasm", "ghz3.qasm"} <= set(EXAMPLE_FILES)


@pytest.mark.parametrize("system", systems.names())
@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_examples_through_the_command(system, name, tmp_path, capsys):
    import ast

    import h5py

    from control.cli import main
    path = os.path.join(EXAMPLES, name)
    if name.endswith(".qasm3"):
        pytest.importorskip("qiskit_qasm3_import",
                            reason="a dependency of the project: `make test` installs it")
    qc = load_circuit(path)
    status = main(["circuit", path, "--system", system, "--shots", "400",
                   "--results", str(tmp_path)])
    out = capsys.readouterr()
    if qc.num_qubits > 2:  # ghz3.qasm: both traps hold 2 ions
        assert status == 2 and "3 qubits; this trap has 2" in out.err
        return
    assert status == 0, out.err
    result = [line.split(None, 1)[1] for line in out.out.splitlines()
              if line.startswith("results:")][0]
    with h5py.File(result, "r") as f:
        counts = f["datasets/circuit.counts"][()]
    counts = ast.literal_eval(counts.decode() if isinstance(counts, bytes) else counts)
    # the trap's default (small) errors: the statistical bound plus 0.05
    assert tvd(counts, ideal_distribution(qc)) < tvd_bound(400, 4) + 0.05, counts


def test_openqasm3_without_its_package_says_what_to_install(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "qiskit_qasm3_import", None)  # as if not installed
    with pytest.raises(CircuitError, match="pip install qiskit-qasm3-import"):
        load_circuit(os.path.join(EXAMPLES, "singlet.qasm3"))
