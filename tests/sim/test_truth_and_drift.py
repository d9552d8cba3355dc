"""The simulated trap's truth apart from its calibrations, and its drift in simulated time.

The calibrations (datasets) are what the lab believes; the ion model's truth is what the
ions do. By default they agree (a perfectly calibrated trap); ``truth_offsets`` moves the
truth, ``drift`` moves it as the simulated timeline runs, and experiments measure it.
"""
import math
import os

import numpy as np
import pytest

from control.device_db import load_device_db
from control.hal import OperationInterface
from control.lang import EnvExperiment, delay, kernel
from control.managers import ArgumentManager, DatasetManager, DeviceManager
from control.runner import run_experiment
from control.sim import enable
from control.sim.ion_model import IonModel, ModelConfigError
from control.sim.simulation import Simulation
from drivers import systems
from drivers.systems import simkit
from kernels.ramsey import Ramsey as RamseyScan, fit_ramsey

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RAMSEY = os.path.join(ROOT, "experiments", "ramsey.py")
RABI = os.path.join(ROOT, "experiments", "rabi.py")
READOUT = os.path.join(ROOT, "experiments", "readout.py")
ARTIFICIAL = 50e3  # Hz, the Ramsey experiment's default artificial detuning


def run(file, cls, system, seed=3, **arguments):
    """Run an experiment file on ``system``'s simulated twin with the given truth/drift
    (``truth_offsets``, ``drift``, ``errors``; ideal gates unless ``errors`` says)."""
    options = {k: arguments.pop(k) for k in ("truth_offsets", "drift", "errors", "truth")
               if k in arguments}
    options.setdefault("errors", {})
    return run_experiment(file, cls, dict(arguments, system=system),
                          systems.device_db_path(system), sim=True,
                          sim_options=systems.sim_config(system, seed=seed, **options),
                          write=False)


def calibrated_pi_time(system):
    return systems.sim_config(system)["datasets"][system + ".drive.pi_time"]


# ---- the default: the truth is the calibrations

@pytest.mark.parametrize("system", systems.names())
def test_by_default_the_truth_is_the_calibrations(system):
    config = systems.sim_config(system)
    calibrations = config["datasets"]
    sim = Simulation(seed=1, model=config["model"])
    truth = sim.model.truth()
    shared = set(truth) & set(calibrations)
    # every truth a calibration has: frequencies, π time, the MS gate's
    assert {system + ".drive.pi_time", system + ".ms.detuning", system + ".ms.gate_time",
            system + ".ms.carrier"} <= shared
    for key in shared:
        # frequencies agree to the DDS's tuning-word step (the ion sits on the grid)
        assert np.allclose(truth[key], calibrations[key], rtol=1e-12, atol=0.5), key
    module = __import__("drivers.systems.{}.sim".format(system), fromlist=["sim"])
    assert truth[system + ".detection.bright_rate"] == [module.BRIGHT_RATE] * 2
    assert truth[system + ".detection.dark_rate"] == [module.DARK_RATE] * 2
    # and no drift: the same at any time
    assert sim.model.truth(t_mu=int(100e9)) == truth
    assert "drift" not in config["model"]


@pytest.mark.parametrize("system", systems.names())
def test_truth_and_calibrations_convert_both_ways(system):
    module = __import__("drivers.systems.{}.sim".format(system), fromlist=["sim"])
    truth = simkit.offset_truth(module.truth_from_calibrations(module.CALIBRATIONS),
                                {"resonance_hz": [1e3, -2e3], "rabi_scale": 1.1,
                                 "ms_rate_scale": 0.9, "ms_detuning_hz": 500.0})
    calibrations = dict(module.CALIBRATIONS,
                        **module.calibrations_from_truth(truth, module.CALIBRATIONS))
    back = module.truth_from_calibrations(calibrations)
    for key in simkit.TRUTH_KEYS:
        if key in ("ms_mode_hz", "ms_detuning_hz"):
            continue  # only their sum is a calibration
        assert np.allclose(back[key], truth[key], rtol=1e-12, atol=0.5), key
    assert back["ms_mode_hz"] + back["ms_detuning_hz"] == pytest.approx(
        truth["ms_mode_hz"] + truth["ms_detuning_hz"])


def test_bad_offsets_and_drift_are_refused():
    with pytest.raises(ValueError, match="unknown truth offset 'rabi_hertz'"):
        systems.sim_config("yb171", truth_offsets={"rabi_hertz": 1.0})
    with pytest.raises(ValueError, match="3 values for 2 qubits"):
        systems.sim_config("ca40", truth_offsets={"resonance_hz": [1, 2, 3]})
    with pytest.raises(ValueError, match="truth's keys"):
        systems.sim_config("yb171", drift=[{"param": "pi_time", "walk": 1.0}])
    with pytest.raises(ModelConfigError, match="cannot drift"):
        Simulation(model=systems.sim_config("yb171", drift=[
            {"beam": "pump", "param": "resonance_hz", "walk": 1.0}])["model"])
    with pytest.raises(ModelConfigError, match="unknown key"):
        Simulation(model=systems.sim_config("yb171", drift=[
            {"param": "rabi_hz", "wlak": 1.0}])["model"])
    with pytest.raises(ModelConfigError, match="unknown ion-model config key"):
        Simulation(model=dict(systems.sim_config("yb171")["model"], drfit=[]))


# ---- offsets: experiments measure the truth, not the calibrations

@pytest.mark.parametrize("system", systems.names())
def test_ramsey_measures_a_resonance_offset(system):
    offsets = [20e3, -20e3]
    for qubit in (0, 1):
        r = run(RAMSEY, "Ramsey", system, qubit=qubit, shots=100,
                truth_offsets={"resonance_hz": offsets})
        detuning, err = r.datasets["ramsey.detuning"], r.datasets["ramsey.detuning_err"]
        # the drive sits at the calibrated frequency: detuning = calibration − truth
        assert abs(detuning - (-offsets[qubit])) < 4 * err, (qubit, detuning, err)
        assert abs(detuning) > 50 * err
    # the datasets are still the lab's belief; the truth is the offset one
    assert r.datasets.get(system + ".drive.pi_time", calibrated_pi_time(system)) \
        == calibrated_pi_time(system)
    truth = r.sim.model.truth()
    cal = systems.sim_config(system)["datasets"]
    keys = ([system + ".drive.frequencies"] if system == "yb171" else
            [system + ".drive.beam{}.frequency".format(q) for q in (0, 1)])
    true_freqs = truth[keys[0]] if len(keys) == 1 else [truth[k] for k in keys]
    cal_freqs = cal[keys[0]] if len(keys) == 1 else [cal[k] for k in keys]
    assert np.allclose(np.subtract(true_freqs, cal_freqs), offsets, atol=0.5)


@pytest.mark.parametrize("system", systems.names())
def test_rabi_fit_measures_a_rabi_rate_offset(system):
    scale = 1.05
    r = run(RABI, "Rabi", system, seed=5, qubit=1, shots=200,
            truth_offsets={"rabi_scale": scale})
    f, err = r.datasets["rabi.fit.f"], r.datasets["rabi.fit.f_err"]
    calibrated = 1 / (2 * calibrated_pi_time(system))
    # (the fit's error bar is about 1.5x too small, from its floor on the binomial
    # sigma at P = 0 and 1: 4 of them)
    assert abs(f - scale * calibrated) < 4 * err, (f, err, scale * calibrated)
    assert abs(f - calibrated) > 10 * err
    truth = r.sim.model.truth()
    assert truth[system + ".drive.pi_time"] == pytest.approx(
        calibrated_pi_time(system) / scale)


@pytest.mark.parametrize("system", systems.names())
def test_count_rate_offsets_show_in_the_readout_histograms(system):
    def mean_counts(scale):
        r = run(READOUT, "Readout", system, shots=300,
                truth_offsets={"bright_rate_scale": scale})
        counts = np.asarray(r.datasets["readout.counts"])  # [prepared][shot][qubit]
        bright = 1 if system == "yb171" else 0
        return counts[bright].mean(axis=0) - counts[1 - bright].mean(axis=0), r
    nominal, _ = mean_counts(1.0)
    dimmer, r = mean_counts(0.9)
    assert np.allclose(dimmer / nominal, 0.9, atol=0.03), dimmer / nominal
    module = __import__("drivers.systems.{}.sim".format(system), fromlist=["sim"])
    assert r.sim.model.truth()[system + ".detection.bright_rate"] == pytest.approx(
        [0.9 * module.BRIGHT_RATE] * 2)


def test_truth_reports_every_offset():
    config = systems.sim_config("yb171", truth_offsets={
        "resonance_hz": [20e3, -20e3], "rabi_scale": 1.05, "bright_rate_scale": 0.9,
        "dark_rate_scale": 1.1, "ms_detuning_hz": 2e3, "ms_rate_scale": 0.95})
    cal = config["datasets"]
    truth = Simulation(seed=1, model=config["model"]).model.truth()
    assert np.allclose(truth["yb171.drive.frequencies"],
                       np.add(cal["yb171.drive.frequencies"], [20e3, -20e3]), atol=0.5)
    assert truth["yb171.drive.pi_time"] == pytest.approx(cal["yb171.drive.pi_time"] / 1.05)
    assert truth["yb171.ms.detuning"] == pytest.approx(cal["yb171.ms.detuning"] + 2e3)
    assert truth["yb171.ms.gate_time"] == pytest.approx(cal["yb171.ms.gate_time"] / 0.95)
    assert truth["yb171.detection.bright_rate"] == pytest.approx([0.9e5] * 2)
    assert truth["yb171.detection.dark_rate"] == pytest.approx([1.1e3] * 2)
    # the calibrations a run reads are unchanged
    assert cal == systems.sim_config("yb171")["datasets"]
    # the errors that act as mis-set parameters are part of the truth too
    config = systems.sim_config("ca40", errors={"over_rotation": 0.02, "detuning_hz": 300.0})
    truth = Simulation(seed=1, model=config["model"]).model.truth()
    assert truth["ca40.drive.pi_time"] == pytest.approx(8e-6 / 1.02)
    assert truth["ca40.drive.beam1.frequency"] == pytest.approx(80e6 - 300.0, abs=0.5)


# ---- drift: scheduled steps

class TwoRamseys(EnvExperiment):
    """The same Ramsey scan twice, with ``gap`` seconds of idle trap between them."""

    def build(self, system, qubit, shots, gap):
        self.trap = systems.build(self, system)
        self.ops = self.trap.find(OperationInterface)
        self.core = self.ops.core
        self.gap = gap
        self.scan = RamseyScan(self, ops=self.ops, qubit=qubit, shots=shots,
                               artificial_detuning=ARTIFICIAL)

    @kernel
    def idle(self):
        self.core.break_realtime()
        delay(self.gap)


def ramsey_twice(system, drift, gap=10.0, shots=100, seed=4):
    options = systems.sim_config(system, errors={}, seed=seed, drift=drift)
    dmgr = DeviceManager(enable(load_device_db(systems.device_db_path(system)), **options))
    exp = TwoRamseys((dmgr, DatasetManager(options["datasets"]), ArgumentManager({}), {}),
                     system, 0, shots, gap)
    exp.prepare()
    sim = dmgr.get("control_sim")
    waits = np.linspace(0, 100e-6, 21)
    out = []
    try:
        for i in range(2):
            if i:
                exp.idle()
            exp.scan.set_waits(waits)
            start = sim.timeline.now * sim.ref_period
            exp.scan.run()
            end = sim.timeline.now * sim.ref_period
            fit = fit_ramsey(waits, exp.scan.probabilities()[:, 0], shots, ARTIFICIAL)
            out.append({"detuning": fit["f"] - ARTIFICIAL, "err": fit.error("f"),
                        "start": start, "end": end})
    finally:
        dmgr.close_devices()
    return out, sim


@pytest.mark.parametrize("system", systems.names())
def test_a_step_changes_the_frequency_after_its_time_and_not_before(system):
    step_time, step = 8.0, 15e3
    before, after = ramsey_twice(system, [{"param": "resonance_hz", "qubit": 0,
                                           "steps": [[step_time, step]]}])[0]
    # the premise: the step falls in the idle gap between the two scans
    assert before["end"] < step_time < after["start"], (before, after)
    assert abs(before["detuning"]) < 4 * before["err"], before
    assert abs(after["detuning"] - (-step)) < 4 * after["err"], after
    assert before["err"] < 1e3 and after["err"] < 1e3


def test_truth_follows_a_step_in_time():
    step_time, step = 0.5, -3e3
    config = systems.sim_config("ca40", drift=[
        {"param": "resonance_hz", "qubit": 1, "steps": [[step_time, step]]},
        {"param": "bright_rate", "steps": [[1.0, -6e3]]}])
    model = Simulation(seed=1, model=config["model"]).model
    cal = config["datasets"]
    early, late, later = (model.truth(t_mu=int(t * 1e9)) for t in (0.4999, 0.5, 2.0))
    assert early["ca40.drive.beam1.frequency"] == pytest.approx(80e6, abs=0.5)
    assert late["ca40.drive.beam1.frequency"] == pytest.approx(80e6 + step, abs=0.5)
    assert late["ca40.drive.beam0.frequency"] == pytest.approx(
        cal["ca40.drive.beam0.frequency"], abs=0.5)
    assert late["ca40.detection.bright_rate"] == [6e4, 6e4]
    assert later["ca40.detection.bright_rate"] == [5.4e4, 5.4e4]
    # truth() with no time: the simulation's now
    model._timeline.now = int(2.0e9)
    assert model.truth() == later


# ---- drift: the qubit's phase stays continuous across a change of its frequency

RABI_HZ = 250e3  # a pi pulse takes 2 us
RES = 200e6


class Bench:
    """A one-qubit model driven as the simulated drivers would, read without sampling."""

    def __init__(self, drift):
        model = {"qubits": 1, "beams": {
            "q0": {"kind": "rotation", "dds": "dds0", "switch": "sw0", "qubits": [0],
                   "resonance_hz": RES, "rabi_hz": RABI_HZ}}, "drift": drift}
        self.sim = Simulation(seed=1, slack={"enabled": False}, model=model)
        self.sw = self.sim.signal("sw0", "state", "bool", init=0)
        self.freq = self.sim.signal("dds0", "frequency")
        self.tl = self.sim.timeline
        self.sim.output(self.freq, RES)

    def at(self, seconds):
        self.tl.now = int(round(seconds * 1e9))

    def half_pi(self):
        self.sim.output(self.sw, 1)
        self.tl.now += 1000  # 1 us: pi/2
        self.sim.output(self.sw, 0)

    def p1(self):
        self.sim.settle(self.tl.now + 1)
        return self.sim.model.populations()[1]


@pytest.mark.parametrize("step_at, expected", [
    (1.00005, 0.0),   # mid-wait: 50 us at +10 kHz, a phase of pi: the fringe's dark side
    (0.5, 1.0),       # before both pulses: 100 us at +10 kHz, a phase of 2 pi
    (2.0, 1.0),       # after both: no detuning at all
])
def test_a_step_in_the_middle_of_a_ramsey_wait_shifts_the_phase_by_the_time_after_it(
        step_at, expected):
    b = Bench([{"beam": "q0", "param": "resonance_hz", "steps": [[step_at, 10e3]]}])
    b.at(1.0 - 1e-6)
    b.half_pi()            # 1.0 s − 1 us .. 1.0 s
    b.at(1.0001)
    b.half_pi()            # 100 us later, same phase: P(1) = 1 without detuning
    # (the detuned second pulse costs a few 1e-3: 10 kHz against a 250 kHz Rabi rate)
    assert b.p1() == pytest.approx(expected, abs=0.01)


# ---- drift: the seeded random walk

def walk_model(seed, rate=100.0, interval=1e-3):
    model = IonModel(qubits=1, beams={"q0": {
        "kind": "rotation", "dds": "dds0", "switch": "sw0", "qubits": [0],
        "resonance_hz": RES, "rabi_hz": RABI_HZ}},
        drift=[{"beam": "q0", "param": "resonance_hz", "walk": rate,
                "interval": interval}], seed=seed)
    return lambda t: model.physics(int(round(t * 1e9)))["beams"]["q0"]["resonance_hz"][0] - RES


def test_the_random_walk_is_reproducible_and_independent_of_when_it_is_read():
    a, b, c = walk_model(7), walk_model(7), walk_model(8)
    times = [0.0, 0.0104, 0.3, 0.0207, 1.5, 0.3]
    values = [a(t) for t in times]
    assert values[0] == 0.0
    assert values == [b(t) for t in reversed(times)][::-1]  # any order, same path
    assert values[2] == values[5]
    assert [c(t) for t in times][1:] != values[1:]


def test_the_random_walk_spreads_like_sqrt_t():
    rate = 100.0  # Hz/√s
    times = (0.01, 0.04, 0.16, 1.0)
    samples = np.array([[w(t) for t in times] for w in map(walk_model, range(300))])
    spread = samples.std(axis=0)
    expected = rate * np.sqrt(times)
    # 300 walks: each spread within ±4 % (1σ) of rate·√t; 15 % is about 4σ
    assert np.allclose(spread / expected, 1.0, atol=0.15), spread / expected
    assert np.allclose(samples.mean(axis=0) / expected, 0.0, atol=0.25)
    # independent increments: the move over [0.16, 1.0] does not follow the one before
    corr = np.corrcoef(samples[:, 2], samples[:, 3] - samples[:, 2])[0, 1]
    assert abs(corr) < 0.25


@pytest.mark.parametrize("system", systems.names())
def test_a_run_with_a_random_walk_is_reproducible_from_its_seed(system):
    drift = [{"param": "resonance_hz", "walk": 2e3}, {"param": "rabi_hz", "walk": 500.0},
             {"param": "ms_mode_hz", "walk": 100.0}, {"param": "dark_rate", "walk": 50.0}]

    def once(seed):
        r = run(RAMSEY, "Ramsey", system, seed=seed, shots=20, drift=drift)
        return np.asarray(r.datasets["ramsey.p1_final"]), r.sim.model.truth()
    (p1, truth), (p1_again, truth_again) = once(11), once(11)
    assert np.array_equal(p1, p1_again) and truth == truth_again
    p1_other, truth_other = once(12)
    assert truth_other != truth
    # the walk moved the truth away from the calibrations (about 2 kHz·√(run time))
    cal = systems.sim_config(system)["datasets"]
    key = system + (".drive.frequencies" if system == "yb171" else ".drive.beam0.frequency")
    assert np.max(np.abs(np.subtract(truth[key], cal[key]))) > 10.0


def test_no_drift_costs_nothing_on_the_model():
    model = Simulation(seed=1, model=systems.sim_config("yb171")["model"]).model
    assert model._drift_next == math.inf and model._drift_slots == []
    assert all(beam.frame is None for beam in model.beams.values())
