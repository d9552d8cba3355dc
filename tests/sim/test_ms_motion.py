"""The MS gate's motional mode: the spin-dependent force of the two tones, checked against
its closed forms.

Tones δ' off the mode, with the gate designed for the detuning D, give after T seconds
θ = r (ω_D/ω') (T − sin(ω'T)/ω') and a residual displacement |α|² = r|ω_D| sin²(ω'T/2)/ω'²
(ω = 2π × frequency, r the calibrated angle per second). A thermal mode of n̄ traced out
shrinks the coherences of S_φ⊗1 + 1⊗S_φ's eigenvalues s, s' by exp(−σ²(s−s')²/2),
σ² = |α|²(2n̄+1). From |00> that gives, averaged over trajectories,
P(01) + P(10) = (1 − e^(−8σ²))/4 and P(11) − P(00) = −cos θ e^(−2σ²).
"""
import importlib
import math
import os

import numpy as np
import pytest

from control.runner import run_experiment
from control.sim.ion_model import MODE_NBAR, ModelConfigError
from control.sim.simulation import Simulation
from drivers import systems

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CARRIER = 200e6  # Hz, the tones' centre
SIDEBAND = 2e6   # Hz, the mode
D = 25e3         # Hz, the detuning the gate is designed for
T = 200e-6       # s, the calibrated gate: 5 loops at D
RATE = (math.pi / 2) / T


def closed_forms(detuning, duration, nbar, design=D, rate=RATE):
    """(θ, σ²) of one segment of ``duration`` with the tones ``detuning`` off the mode."""
    w_d, w = 2 * math.pi * design, 2 * math.pi * detuning
    theta = rate * (w_d / w) * (duration - math.sin(w * duration) / w)
    alpha2 = rate * abs(w_d) * math.sin(w * duration / 2) ** 2 / w ** 2
    return theta, alpha2 * (2 * nbar + 1)


class Bench:
    """An MS beam and a pump on two qubits, driven as the simulated drivers would."""

    def __init__(self, nbar=None, seed=1, detuning=D):
        ms = {"kind": "ms", "dds": ["red", "blue"], "switch": ["ms_sw", "ms_sw"],
              "qubits": [0, 1], "ms_rate": RATE, "carrier_hz": CARRIER,
              "sideband_hz": SIDEBAND, "detuning_hz": D}
        if nbar is not None:
            ms["mode_nbar"] = nbar
        beams = {"ms": ms, "pump": {"kind": "pump", "switch": "pump_sw", "qubits": [0, 1],
                                    "min_time": 1e-6}}
        self.sim = Simulation(seed=seed, slack={"enabled": False},
                              model={"qubits": 2, "beams": beams, "errors": {}})
        self.model = self.sim.model
        sig = self.sim.signal
        self.ms_sw = sig("ms_sw", "state", "bool", init=0)
        self.pump_sw = sig("pump_sw", "state", "bool", init=0)
        self.freq = {d: sig(d, "frequency") for d in ("red", "blue")}
        self.phase = {d: sig(d, "phase") for d in ("red", "blue")}
        self.tones(detuning)

    def tones(self, detuning, phase=0.0):
        """Red and blue ``detuning`` Hz beyond the sideband; spin phase ``phase`` turns."""
        self.sim.output(self.freq["red"], CARRIER - SIDEBAND - detuning)
        self.sim.output(self.freq["blue"], CARRIER + SIDEBAND + detuning)
        for d in ("red", "blue"):
            self.sim.output(self.phase[d], phase)

    def pulse(self, switch, seconds):
        tl = self.sim.timeline
        self.sim.output(switch, 1)
        tl.now += int(round(seconds / 1e-9))
        self.sim.output(switch, 0)
        tl.now += 1000

    def gate(self, duration=T):
        """Pump to |00>, one MS pulse of ``duration``: the populations of this trajectory."""
        self.pulse(self.pump_sw, 5e-6)
        self.pulse(self.ms_sw, duration)
        self.sim.settle(self.sim.timeline.now)
        return self.model.populations()


def no_draw(model):
    """Make the model fail if it draws a motional kick (a gate that closes must not)."""
    def refuse(*_):
        raise AssertionError("a motional kick was drawn for a gate that closes")
    model._gauss = refuse


def averages(bench, shots, duration=T):
    """Trajectory means and standard errors of P(odd) and P(11) − P(00)."""
    pops = np.array([bench.gate(duration) for _ in range(shots)])
    odd = pops[:, 1] + pops[:, 2]
    tilt = pops[:, 3] - pops[:, 0]
    n = math.sqrt(shots)
    return odd.mean(), odd.std() / n, tilt.mean(), tilt.std() / n


# ---- a gate that closes is the calibrated gate

@pytest.mark.parametrize("nbar", [0.0, 5.0, 50.0])
def test_at_the_calibrated_detuning_no_odd_parity_at_all(nbar):
    b = Bench(nbar=nbar)
    no_draw(b.model)
    for _ in range(3):
        p = b.gate()
        assert p[1] == 0.0 and p[2] == 0.0  # exactly: the loops close, nothing is left
        assert p[0] == pytest.approx(0.5, abs=1e-12) and p[3] == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("loops,detuning", [(4, 20e3), (6, 30e3), (10, 50e3)])
def test_other_whole_loops_close_with_the_angle_of_the_formula(loops, detuning):
    """Tones at another closing detuning: no dephasing, θ = r T D/δ' (not π/2)."""
    assert detuning * T == pytest.approx(loops)
    b = Bench(nbar=5.0, detuning=detuning)
    no_draw(b.model)
    p = b.gate()
    theta = RATE * T * D / detuning
    assert theta == pytest.approx(closed_forms(detuning, T, 5.0)[0], rel=1e-12)
    assert p[1] == 0.0 and p[2] == 0.0
    assert p[3] == pytest.approx(math.sin(theta / 2) ** 2, abs=1e-9)
    assert p[0] == pytest.approx(math.cos(theta / 2) ** 2, abs=1e-9)


@pytest.mark.parametrize("loops", [1, 3, 7])
def test_shorter_and_longer_gates_close_at_whole_loops(loops):
    """At the design detuning a gate of K/D seconds closes (K loops): θ = r K/D."""
    duration = loops / D
    b = Bench(nbar=5.0)
    no_draw(b.model)
    p = b.gate(duration)
    theta = RATE * duration
    assert p[1] == 0.0 and p[2] == 0.0
    assert p[3] == pytest.approx(math.sin(theta / 2) ** 2, abs=1e-9)


# ---- a gate that does not close leaves odd parity, as the thermal average says

@pytest.mark.parametrize("error,nbar,phase", [
    (2e3, 0.0, 0.0),        # a 2 kHz error, ground-state mode
    (-2e3, 5.0, 0.125),     # the other side, the default's mode, another spin phase
    (500.0, 1.0, 0.0),      # a small error
    (2.5e3, 0.1, 0.3),      # at the edge of a ±1/(2T) scan
])
def test_odd_parity_against_the_detuning_error_is_the_thermal_average(error, nbar, phase):
    shots = 1500
    b = Bench(nbar=nbar, seed=7)
    b.tones(D + error, phase)
    odd, odd_err, tilt, tilt_err = averages(b, shots)
    theta, var = closed_forms(D + error, T, nbar)
    expected_odd = (1 - math.exp(-8 * var)) / 4
    expected_tilt = -math.cos(theta) * math.exp(-2 * var)
    assert expected_odd > 0.005  # a mistuned gate is visible
    # 5 standard errors of the trajectory mean: a wrong formula fails, noise does not
    assert abs(odd - expected_odd) < 5 * odd_err, (odd, odd_err, expected_odd)
    assert abs(tilt - expected_tilt) < 5 * tilt_err + 1e-9, (tilt, tilt_err, expected_tilt)


def test_a_gate_that_does_not_close_at_the_design_detuning():
    """Half the calibrated gate (2.5 loops): the angle is right, the mode is not undone."""
    shots = 1500
    b = Bench(nbar=0.0, seed=3)
    odd, odd_err, tilt, tilt_err = averages(b, shots, T / 2)
    theta, var = closed_forms(D, T / 2, 0.0)
    assert theta == pytest.approx(RATE * T / 2, rel=1e-12)
    assert var == pytest.approx(RATE / (2 * math.pi * D))  # sin² = 1: |α|² = r/ω_D
    assert abs(odd - (1 - math.exp(-8 * var)) / 4) < 5 * odd_err
    assert abs(tilt + math.cos(theta) * math.exp(-2 * var)) < 5 * tilt_err


def test_a_hotter_mode_dephases_more():
    error, shots = 1e3, 600
    measured = []
    for nbar in (0.0, 5.0):
        b = Bench(nbar=nbar, seed=11)
        b.tones(D + error)
        measured.append(averages(b, shots)[0])
    assert measured[1] > 3 * measured[0]


def test_the_kicks_are_seeded():
    def run(seed):
        b = Bench(nbar=1.0, seed=seed)
        b.tones(D + 1.5e3)
        return np.array([b.gate() for _ in range(20)])
    assert np.array_equal(run(4), run(4))
    assert not np.array_equal(run(4), run(5))


def test_mode_nbar_is_checked_and_reported():
    with pytest.raises(ModelConfigError, match="mode_nbar"):
        Bench(nbar=-0.5)
    with pytest.raises(ModelConfigError, match="mode_nbar"):
        Bench(nbar=float("nan"))
    assert Bench().model.physics()["beams"]["ms"]["mode_nbar"] == MODE_NBAR
    assert Bench(nbar=0.3).model.physics()["beams"]["ms"]["mode_nbar"] == 0.3


# ---- the traps

def _trap(system):
    return importlib.import_module("drivers.systems.{}.sim".format(system))


def _trap_gate(system, detuning_shift=0.0, truth_offsets=None, seed=1):
    """One MS gate from |00> on ``system``'s ion model, tones placed as the MS driver
    places them from the calibrations (on the DDS's frequency grid), detuning moved by
    ``detuning_shift``: the model, and a function that plays one gate."""
    sim_config = systems.sim_config(system, errors={}, seed=seed, truth_offsets=truth_offsets)
    cal = sim_config["datasets"]
    sim = Simulation(seed=seed, slack={"enabled": False}, model=sim_config["model"])
    model = sim.model
    ms = next(b for b in sim_config["model"]["beams"].values() if b["kind"] == "ms")
    pump = next(b for b in sim_config["model"]["beams"].values() if b["kind"] == "pump")
    grid = _trap(system).on_dds_grid
    carrier, sideband = cal[system + ".ms.carrier"], cal[system + ".ms.sideband"]
    detuning = cal[system + ".ms.detuning"] + detuning_shift
    for dds, f in zip(ms["dds"], (carrier - sideband - detuning, carrier + sideband + detuning)):
        sim.output(sim.signal(dds, "frequency"), grid(f))
    switches = [sim.signal(s, "state", "bool", init=0) for s in ms["switch"]]
    pumps = [sim.signal(s, "state", "bool", init=0) for s in
             ([pump["switch"]] if isinstance(pump["switch"], str) else pump["switch"])]
    tl = sim.timeline

    def pulse(sigs, seconds):
        for s in sigs:
            sim.output(s, 1)
        tl.now += int(round(seconds / 1e-9))
        for s in sigs:
            sim.output(s, 0)
        tl.now += 1000

    def gate():
        pulse(pumps, 10e-6)
        pulse(switches, cal[system + ".ms.gate_time"])
        sim.settle(tl.now)
        return model.populations()
    return model, gate


@pytest.mark.parametrize("system", systems.names())
def test_the_traps_calibrated_gates_close(system):
    cal = _trap(system).CALIBRATIONS
    loops = cal[system + ".ms.detuning"] * cal[system + ".ms.gate_time"]
    assert loops == pytest.approx(round(loops), abs=1e-9) and round(loops) >= 1
    if system == "ca40":
        assert cal["ca40.ms.gate_time"] == pytest.approx(160e-6)  # 2 loops of 12.5 kHz
    model, gate = _trap_gate(system)
    no_draw(model)  # the DDS grid's rounding leaves nothing a run could see
    for _ in range(3):
        p = gate()
        assert p[1] + p[2] < 1e-20
        # yb171's 32-bit tones sit 0.02 Hz off: θ a part in 10^6 off π/2
        assert p[0] == pytest.approx(0.5, abs=1e-5) and p[3] == pytest.approx(0.5, abs=1e-5)


@pytest.mark.parametrize("system", systems.names())
def test_the_traps_gates_close_through_the_drivers(system):
    """An rxx(π/2) circuit through the trap's own MS driver: no odd outcome at all."""
    from qiskit import QuantumCircuit, qasm2
    qc = QuantumCircuit(2, 2)
    qc.rxx(math.pi / 2, 0, 1)
    qc.measure([0, 1], [0, 1])
    shots = 200
    run = run_experiment(os.path.join(ROOT, "experiments", "circuit.py"), "Circuit",
                         {"system": system, "qasm": qasm2.dumps(qc), "shots": shots},
                         systems.device_db_path(system), sim=True,
                         sim_options=systems.sim_config(system, errors={}, seed=5),
                         write=False)
    counts = run.experiment.result.counts
    assert set(counts) <= {"00", "11"} and sum(counts.values()) == shots, counts
    assert min(counts.get("00", 0), counts.get("11", 0)) > 0.3 * shots, counts


@pytest.mark.parametrize("system", systems.names())
def test_an_ms_detuning_offset_moves_the_mode_not_the_gate(system):
    offset = 2e3
    config = systems.sim_config(system, truth_offsets={"ms_detuning_hz": offset})
    cal = config["datasets"]
    model = Simulation(seed=1, model=config["model"]).model
    truth = model.truth()
    assert truth[system + ".ms.detuning"] == pytest.approx(cal[system + ".ms.detuning"] + offset)
    assert truth[system + ".ms.gate_time"] == pytest.approx(cal[system + ".ms.gate_time"])
    ms = next(b for b in model.physics()["beams"].values() if b["kind"] == "ms")
    assert ms["sideband_hz"] == pytest.approx(cal[system + ".ms.sideband"] + offset)
    assert ms["detuning_hz"] == pytest.approx(cal[system + ".ms.detuning"])  # the design
    # the lab's detuning is now 2 kHz short: odd parity, as the closed forms say ...
    model, gate = _trap_gate(system, truth_offsets={"ms_detuning_hz": offset}, seed=2)
    pops = np.array([gate() for _ in range(600)])
    odd = pops[:, 1] + pops[:, 2]
    d, t = cal[system + ".ms.detuning"], cal[system + ".ms.gate_time"]
    _, var = closed_forms(d - offset, t, MODE_NBAR, design=d, rate=(math.pi / 2) / t)
    expected = (1 - math.exp(-8 * var)) / 4
    assert abs(odd.mean() - expected) < 5 * odd.std() / math.sqrt(len(odd)) + 1e-3
    # ... and the detuning that the truth reports closes the gate again, at the same time
    model, gate = _trap_gate(system, detuning_shift=offset,
                             truth_offsets={"ms_detuning_hz": offset})
    no_draw(model)
    p = gate()
    assert p[1] + p[2] < 1e-20 and p[3] == pytest.approx(0.5, abs=1e-5)
