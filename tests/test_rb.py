"""Portable RB on the simulated traps: the error per Clifford it measures is the one the
ion model was given, worked out from the native pulses each Clifford compiles to."""
import os

import numpy as np
import pytest

from control import pyon
from control.runner import run_experiment
from drivers import systems

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RB = os.path.join(ROOT, "experiments", "rb.py")


def rb(system, n_qubits, errors, lengths, samples, shots, seed=7, **arguments):
    arguments.update(system=system, n_qubits=n_qubits, lengths=pyon.encode(lengths),
                     samples=samples, shots=shots, seed=seed)
    run = run_experiment(RB, "RB", arguments, systems.device_db_path(system), sim=True,
                         sim_options=systems.sim_config(system, errors=errors, seed=seed),
                         write=False)
    return run.experiment


def assert_covers(measured, err, expected, k=3.0):
    assert abs(measured - expected) < k * err, (measured, err, expected)


@pytest.mark.slow
@pytest.mark.parametrize("system", systems.names())
def test_one_qubit_rb_measures_the_configured_error(system):
    p = 0.01
    exp = rb(system, 1, {"depolarizing": p}, [1, 30, 80, 150, 250], 10, 40)
    ref = exp.results["reference"]
    alpha = exp.rb.program.compiler.expected_decay(p)
    assert_covers(ref.epc, ref.epc_err, (1 - alpha) / 2)
    assert ref.epc_err < 0.5 * (1 - alpha) / 2  # a measurement, not a shrug


@pytest.mark.slow
@pytest.mark.parametrize("system", systems.names())
def test_two_qubit_rb_measures_the_configured_error(system):
    p1, p2 = 0.002, 0.02
    exp = rb(system, 2, {"depolarizing": p1, "depolarizing_2q": p2}, [1, 3, 6, 10, 15], 8,
             30)
    ref = exp.results["reference"]
    alpha = exp.rb.program.compiler.expected_decay(p1, p2)
    assert_covers(ref.epc, ref.epc_err, 3 / 4 * (1 - alpha))


def assert_unresolved_with_bound(ref, at_most):
    """No decay resolved: a one-sided bound on the EPC instead of an error bar."""
    assert not ref.resolved and ref.status == "slow", ref.message
    assert np.isnan(ref.p_err) and np.isnan(ref.epc) and np.isnan(ref.epc_err)
    assert ref.p_ci95[1] == 1 and ref.p >= ref.p_ci95[0]  # p = 1 within its interval
    assert 0 < ref.epc_upper_95 < at_most
    assert ref.epc_upper_95 == pytest.approx((1 - ref.p_ci95[0]) / 2)


def test_without_errors_p_is_one_within_statistics():
    exp = rb("yb171", 1, {}, [1, 20, 50, 100], 5, 20)
    ref = exp.rb.fit(B=0.5)
    assert np.all(exp.rb.survival() == 1.0)  # no error at all: every shot survives
    assert_unresolved_with_bound(ref, 1e-3)
    assert "< " in ref.table() and "95 %" in ref.table()


@pytest.mark.slow
def test_spam_only_leaves_p_at_one_and_moves_a_and_b():
    exp = rb("ca40", 1, {"prep_error": 0.1}, [1, 20, 50, 100], 6, 60)
    ref = exp.rb.fit(B=0.5)
    assert_unresolved_with_bound(ref, 2e-3)
    # survival sits at 1 - prep_error (and readout error) for every length
    assert 0.85 < np.mean(exp.rb.survival()) < 0.93
    assert ref.spam > 0.05 and ref.A + ref.B < 0.95


@pytest.mark.slow
@pytest.mark.parametrize("system", systems.names())
def test_interleaved_rb_recovers_the_gate_error(system):
    p = 0.01
    exp = rb(system, 1, {"depolarizing": p}, [1, 8, 20, 40, 60], 10, 40, interleave="x")
    gate = exp.results["gate"]
    pulses = exp.rb.program.compiler.pulses_1q[exp.rb.interleave]
    expected = pulses * p / 2  # each pulse: depolarizing p, error p/2 after twirling
    assert pulses >= 1
    assert gate.lower <= expected <= gate.upper
    assert_covers(gate.r_c, gate.r_c_err, expected)


def test_same_script_both_systems_different_pulses():
    a = rb("yb171", 1, {}, [1, 2, 4, 8], 2, 2)
    b = rb("ca40", 1, {}, [1, 2, 4, 8], 2, 2)
    ca, cb = a.rb.program.compiler, b.rb.program.compiler
    assert not np.array_equal(ca.pulses_1q, cb.pulses_1q)
    assert cb.pulses_1q.mean() > ca.pulses_1q.mean()  # ca40 has no virtual Z
    assert a.rb.program.opcodes.size < b.rb.program.opcodes.size


@pytest.mark.parametrize("system", systems.names())
def test_the_prediction_counts_every_pulse_the_trap_plays(system):
    """The expected decay rests on the compiler's count of physical single-qubit pulses:
    on the simulated trap, one two-qubit sequence plays exactly that many drive pulses
    (rxx's frame-equalizing π pulses on yb171 included)."""
    from kernels.rb import rb_sequences_flat
    lengths, seed = [2, 6, 12], 5
    arguments = dict(system=system, n_qubits=2, lengths=pyon.encode(lengths), samples=1,
                     shots=1, seed=seed)
    run = run_experiment(RB, "RB", arguments, systems.device_db_path(system), sim=True,
                         sim_options=systems.sim_config(system, errors={}, seed=seed),
                         write=False)
    drive = run.experiment.rb.ops.drive
    switches = [drive.switch] if hasattr(drive, "switch") else [b.switch for b in drive.beams]
    played = sum(1 for sw in switches for _, _, on in run.sim.events(sw._key, "state") if on)
    cliffords, starts, *_ = rb_sequences_flat(2, lengths, 1, seed, None, False)
    compiler = run.experiment.rb.program.compiler
    assert len(starts) == len(lengths) + 1
    expected = sum(compiler.pulses_in(cliffords[a:b]) for a, b in zip(starts, starts[1:]))
    assert played == expected

