"""The ion model: physics from the signal stream, checked against closed forms.

Each test drives the model through the same path the simulated drivers use
(``Simulation.output`` at timeline times), then reads photon counts per shot.
"""
import math

import numpy as np
import pytest

from control.sim.ion_model import IonModel, ModelConfigError
from control.sim.simulation import Simulation

RABI = 250e3      # Hz at full amplitude: a pi pulse takes 2 us
RES = 200e6       # qubit resonance seen by the DDS
MS_TIME = 100e-6  # calibrated MS gate: theta = pi/2


def config(errors=None, qubits=2):
    beams = {
        "q0": {"kind": "rotation", "dds": "dds0", "switch": "sw0", "qubits": [0],
               "resonance_hz": RES, "rabi_hz": RABI},
        "q1": {"kind": "rotation", "dds": "dds1", "switch": "sw1", "qubits": [1],
               "resonance_hz": RES, "rabi_hz": RABI},
        "ms": {"kind": "ms", "dds": ["red", "blue"], "switch": ["ms_sw", "ms_sw"],
               "qubits": [0, 1], "ms_rate": (math.pi / 2) / MS_TIME},
        "pump": {"kind": "pump", "switch": "pump_sw", "qubits": [0, 1], "min_time": 1e-6},
        "detect": {"kind": "detection", "switch": "det_sw"},
    }
    detectors = {"pmt0": {"qubit": 0, "beam": "detect", "bright_rate": 2e6,
                          "dark_rate": 2e3, "bright_state": 1},
                 "pmt1": {"qubit": 1, "beam": "detect", "bright_rate": 2e6,
                          "dark_rate": 2e3, "bright_state": 1}}
    return {"qubits": qubits, "beams": beams, "detectors": detectors,
            "errors": errors or {}}


class Bench:
    """Drives signals as the simulated drivers would, one shot at a time."""

    def __init__(self, errors=None, seed=1):
        self.sim = Simulation(seed=seed, slack={"enabled": False}, model=config(errors))
        sig = self.sim.signal
        self.s = {name: sig(name, "state", "bool", init=0)
                  for name in ("sw0", "sw1", "ms_sw", "pump_sw", "det_sw")}
        self.f = {d: sig(d, "frequency") for d in ("dds0", "dds1", "red", "blue")}
        self.p = {d: sig(d, "phase") for d in ("dds0", "dds1", "red", "blue")}
        self.tl = self.sim.timeline
        for d in ("dds0", "dds1"):
            self.out(self.f[d], RES)
        self.out(self.f["red"], RES - 1e6)
        self.out(self.f["blue"], RES + 1e6)

    def out(self, sig, value):
        self.sim.output(sig, value)

    def wait(self, seconds):
        self.tl.now += int(round(seconds / 1e-9))

    def pulse(self, switch, seconds):
        self.out(self.s[switch], 1)
        self.wait(seconds)
        self.out(self.s[switch], 0)

    def phase(self, dds, turns):
        self.out(self.p[dds], turns)

    def prep(self):
        self.wait(1e-6)
        self.pulse("pump_sw", 5e-6)
        self.wait(1e-6)

    def detect(self, window=50e-6):
        self.out(self.s["det_sw"], 1)
        t0 = self.tl.now
        self.wait(window)
        self.out(self.s["det_sw"], 0)
        t1 = self.tl.now
        self.sim.settle(t1 + 1)
        bits = []
        for pmt in ("pmt0", "pmt1"):
            counts = self.sim.model.counts(pmt, t0, t1)
            bits.append(int(counts > 10))
        self.wait(1e-6)
        return bits


def fraction(results, qubit):
    return float(np.mean([r[qubit] for r in results]))


def assert_close(measured, expected, shots):
    # 4.5 sigma binomial band (never below 0.02): a real mismatch fails, noise does not
    sigma = math.sqrt(max(expected * (1 - expected), 0.01) / shots)
    assert abs(measured - expected) < max(4.5 * sigma, 0.02), (measured, expected)


def test_pi_pulse_flips_the_qubit():
    b = Bench()
    results = []
    for _ in range(200):
        b.prep()
        b.pulse("sw0", 1 / (2 * RABI))
        results.append(b.detect())
    assert fraction(results, 0) > 0.98 and fraction(results, 1) < 0.02


@pytest.mark.parametrize("t_us", [0.5, 1.0, 1.5, 3.0])
def test_rabi_flopping_follows_sin_squared(t_us):
    b = Bench()
    results = []
    for _ in range(300):
        b.prep()
        b.pulse("sw0", t_us * 1e-6)
        results.append(b.detect())
    expected = math.sin(math.pi * RABI * t_us * 1e-6) ** 2
    assert_close(fraction(results, 0), expected, 300)


@pytest.mark.parametrize("wait_us", [0.0, 12.5, 25.0, 40.0])
def test_ramsey_oscillates_at_the_detuning(wait_us):
    detuning = 20e3
    b = Bench(errors={"detuning_hz": detuning})
    t_half = 1 / (4 * RABI)
    results = []
    for _ in range(300):
        b.prep()
        b.pulse("sw0", t_half)
        b.wait(wait_us * 1e-6)
        b.pulse("sw0", t_half)
        results.append(b.detect())
    # Free precession between the pulses' centres: P1 = cos^2(pi * detuning * T).
    centre_gap = wait_us * 1e-6 + t_half
    expected = math.cos(math.pi * detuning * centre_gap) ** 2
    assert_close(fraction(results, 0), expected, 300)


def test_phase_of_the_second_pulse_sets_the_axis():
    b = Bench()
    t_half = 1 / (4 * RABI)
    results = []
    for _ in range(200):
        b.prep()
        b.phase("dds0", 0.0)
        b.pulse("sw0", t_half)
        b.phase("dds0", 0.5)  # pi out of phase: undoes the first pulse
        b.pulse("sw0", t_half)
        b.phase("dds0", 0.0)
        results.append(b.detect())
    assert fraction(results, 0) < 0.02


def _ideal_parity(phi):
    """<ZZ> after exp(-i pi/4 XX)|00> and a pi/2 pulse at phase phi on both qubits."""
    x = np.array([[0, 1], [1, 0]], dtype=complex)
    y = np.array([[0, -1j], [1j, 0]], dtype=complex)
    z = np.diag([1.0, -1.0]).astype(complex)
    xx = np.kron(x, x)
    u = (np.eye(4) - 1j * xx) / math.sqrt(2)
    n = math.cos(2 * math.pi * phi) * x + math.sin(2 * math.pi * phi) * y
    r = (np.eye(2) - 1j * n) / math.sqrt(2)
    psi = np.kron(r, r) @ u @ np.array([1, 0, 0, 0], dtype=complex)
    return float(np.real(psi.conj() @ np.kron(z, z) @ psi))


def test_ms_gate_makes_a_bell_state():
    b = Bench()
    results = []
    for _ in range(300):
        b.prep()
        b.pulse("ms_sw", MS_TIME)
        results.append(b.detect())
    both = np.array(results)
    p00 = np.mean((both[:, 0] == 0) & (both[:, 1] == 0))
    p11 = np.mean((both[:, 0] == 1) & (both[:, 1] == 1))
    assert_close(p00, 0.5, 300)
    assert_close(p11, 0.5, 300)
    assert p00 + p11 > 0.97  # no 01/10: the qubits are correlated


@pytest.mark.parametrize("phi", [0.0, 0.0625, 0.125, 0.25])
def test_ms_parity_oscillation(phi):
    b = Bench()
    t_half = 1 / (4 * RABI)
    parities = []
    for _ in range(300):
        b.prep()
        b.pulse("ms_sw", MS_TIME)
        b.phase("dds0", phi)
        b.phase("dds1", phi)
        b.out(b.s["sw0"], 1)
        b.out(b.s["sw1"], 1)
        b.wait(t_half)
        b.out(b.s["sw0"], 0)
        b.out(b.s["sw1"], 0)
        b.phase("dds0", 0.0)
        b.phase("dds1", 0.0)
        q0, q1 = b.detect()
        parities.append(1 if q0 == q1 else -1)
    expected = _ideal_parity(phi)
    sigma = math.sqrt(max(1 - expected ** 2, 0.04) / 300)
    assert abs(np.mean(parities) - expected) < max(4.5 * sigma, 0.05)


def test_depolarizing_shrinks_the_bloch_vector():
    p = 0.2
    b = Bench(errors={"depolarizing": p})
    results = []
    for _ in range(400):
        b.prep()
        b.pulse("sw0", 1 / (2 * RABI))
        results.append(b.detect())
    # one pi pulse then depolarizing: P1 = (1 - p) + p/2
    assert_close(fraction(results, 0), 1 - p / 2, 400)


def test_dephasing_shrinks_the_ramsey_contrast():
    t2, wait = 20e-6, 20e-6
    b = Bench(errors={"t2": t2})
    t_half = 1 / (4 * RABI)
    results = []
    for _ in range(400):
        b.prep()
        b.pulse("sw0", t_half)
        b.wait(wait)
        b.pulse("sw0", t_half)
        results.append(b.detect())
    # on resonance the coherence only decays: P1 = (1 + exp(-T/T2)) / 2 (1 without T2)
    assert_close(fraction(results, 0), (1 + math.exp(-wait / t2)) / 2, 400)


def test_two_qubit_depolarizing_mixes_the_bell_state():
    p = 0.3
    b = Bench(errors={"depolarizing_2q": p})
    results = []
    for _ in range(400):
        b.prep()
        b.pulse("ms_sw", MS_TIME)
        results.append(b.detect())
    both = np.array(results)
    # (1-p) Bell + p I/4: the qubits agree with probability (1-p) + p/2
    assert_close(float(np.mean(both[:, 0] == both[:, 1])), 1 - p / 2, 400)


def test_prep_error_and_dark_counts():
    b = Bench(errors={"prep_error": 0.1})
    results = [(b.prep(), b.detect())[1] for _ in range(400)]
    assert_close(fraction(results, 0), 0.1, 400)
    # detection light off: only dark counts (2 kHz * 50 us = 0.1 on average)
    b.sim.settle(b.tl.now)
    t0 = b.tl.now
    b.wait(50e-6)
    counts = [b.sim.model.counts("pmt0", t0, b.tl.now) for _ in range(200)]
    assert np.mean(counts) < 0.3


def test_same_seed_same_counts():
    def run(seed):
        b = Bench(seed=seed)
        out = []
        for _ in range(50):
            b.prep()
            b.pulse("sw0", 1 / (4 * RABI))
            out.append(b.detect())
        return out
    assert run(7) == run(7)
    assert run(7) != run(8)


def test_bad_configs_are_refused():
    with pytest.raises(ModelConfigError, match="kind must be one of"):
        IonModel(beams={"x": {"kind": "laser", "switch": "t"}})
    with pytest.raises(ModelConfigError, match="addresses qubit 3"):
        IonModel(qubits=2, beams={"x": {"kind": "rotation", "dds": "d", "qubits": [3]}})
    with pytest.raises(ModelConfigError, match="unknown error"):
        IonModel(errors={"cosmic_rays": 1})
    with pytest.raises(ModelConfigError, match="1 to 5 qubits"):
        IonModel(qubits=6)
