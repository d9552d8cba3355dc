"""qiskit circuits on either trap: transpiled to each trap's native gates, run through
the portable kernel, counts in qiskit's bit order and matching ideal probabilities."""
import os

import numpy as np
import pytest
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
