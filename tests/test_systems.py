"""The two trap systems behind one HAL: both validate, and every portable kernel runs on
both, unchanged, and recovers the physics each system's ion model was given."""
import os
import re

import pytest
from scipy.stats import poisson

from control.hal import OperationInterface, validate
from control.lang import EnvExperiment
from control.runner import run_experiment
from drivers import systems

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPERIMENTS = os.path.join(ROOT, "experiments")
SYSTEMS = systems.names()


def run(name, system, errors=None, calibrations=None, **arguments):
    arguments["system"] = system
    return run_experiment(os.path.join(EXPERIMENTS, name), None, arguments,
                          systems.device_db_path(system), sim=True,
                          sim_options=systems.sim_config(system, errors=errors or {},
                                                         calibrations=calibrations, seed=11),
                          write=False)


def sim_module(system):
    import importlib
    return importlib.import_module(systems.SYSTEMS[system] + ".sim")


class BuildOnly(EnvExperiment):
    def build(self, system):
        self.trap = systems.build(self, system)

    def run(self):
        pass


@pytest.mark.parametrize("system", SYSTEMS)
def test_both_systems_implement_the_hal_and_validate(system, sim_managers):
    from control.sim import enable
    from control.device_db import load_device_db
    ddb = enable(load_device_db(systems.device_db_path(system)),
                 **systems.sim_config(system))
    managers = sim_managers(ddb, datasets=systems.sim_config(system)["datasets"])
    exp = BuildOnly(managers, system)
    exp.prepare()
    checked = validate(exp.trap)
    assert [ops.module_key for ops in checked] == ["{}.ops".format(system)]
    ops = exp.trap.find(OperationInterface)
    assert ops.num_qubits == 2
    assert ops.supports("rxx") and ops.supports("get_counts")
    gates = ops.native_gates()
    assert gates["rphi"].duration > 0 and gates["rxx"].duration > gates["rphi"].duration


def test_the_systems_publish_different_native_gates(sim_managers):
    published = {}
    for system in SYSTEMS:
        from control.sim import enable
        from control.device_db import load_device_db
        ddb = enable(load_device_db(systems.device_db_path(system)),
                     **systems.sim_config(system))
        exp = BuildOnly(sim_managers(ddb, datasets=systems.sim_config(system)["datasets"]),
                        system)
        exp.prepare()
        published[system] = exp.trap.find(OperationInterface).native_gates()
    assert ("rz" in published["yb171"]) != ("rz" in published["ca40"])
    assert published["yb171"]["rphi"].duration != published["ca40"]["rphi"].duration


@pytest.mark.parametrize("system", SYSTEMS)
def test_rabi_recovers_the_models_rabi_frequency(system):
    # The ions see the Rabi frequency of the model, while the lab's calibration claims
    # a pi time 10 % too long: the scan must find the model's frequency.
    pi_key = "{}.drive.pi_time".format(system)
    options = systems.sim_config(system, errors={}, seed=5)
    true_pi_time = options["datasets"][pi_key]
    options["datasets"] = dict(options["datasets"], **{pi_key: 1.1 * true_pi_time})
    r = run_experiment(os.path.join(EXPERIMENTS, "rabi.py"), None,
                       {"system": system, "shots": 150}, systems.device_db_path(system),
                       sim=True, sim_options=options, write=False)
    expected = 1 / (2 * true_pi_time)
    f, err = r.datasets["rabi.fit.f"], r.datasets["rabi.fit.f_err"]
    assert abs(f - expected) < 3 * err, (f, err, expected)
    assert abs(f - 1 / (2 * 1.1 * true_pi_time)) > 10 * err  # not what the lab assumed


@pytest.mark.parametrize("system", SYSTEMS)
def test_ramsey_recovers_the_configured_detuning(system):
    r = run("ramsey.py", system, errors={"detuning_hz": 12e3}, shots=150)
    detuning, err = r.datasets["ramsey.detuning"], r.datasets["ramsey.detuning_err"]
    assert abs(detuning - 12e3) < 3 * err + 50, (detuning, err)


def _expected_readout(system, prep_error, depolarizing):
    sim = sim_module(system)
    cal = sim.CALIBRATIONS
    window = cal["{}.detection.window".format(system)]
    threshold = cal["{}.detection.threshold".format(system)]
    bright = sim.BRIGHT_RATE * window + sim.DARK_RATE * window
    dark = sim.DARK_RATE * window
    bright_state = 1 if system == "yb171" else 0
    # probability that a qubit in |s> reads as bit 1
    p_bright_high = poisson.sf(threshold, bright)  # counts > threshold
    p_dark_high = poisson.sf(threshold, dark)
    read1 = {s: (p_bright_high if s == bright_state else p_dark_high) if bright_state == 1
             else (1 - p_bright_high if s == bright_state else 1 - p_dark_high)
             for s in (0, 1)}
    # prepared |0>: pumped wrongly with prep_error
    p1_given_0 = (1 - prep_error) * read1[0] + prep_error * read1[1]
    # prepared |1>: an X pulse after preparation, depolarized with probability p
    in_one = (1 - prep_error) * (1 - depolarizing / 2) + prep_error * depolarizing / 2
    p0_given_1 = in_one * (1 - read1[1]) + (1 - in_one) * (1 - read1[0])
    return 1 - (p1_given_0 + p0_given_1) / 2


@pytest.mark.parametrize("system", SYSTEMS)
def test_readout_fidelity_matches_the_model(system):
    errors = {"prep_error": 0.03, "depolarizing": 0.02}
    r = run("readout.py", system, errors=errors, shots=1500)
    expected = _expected_readout(system, 0.03, 0.02)
    fid, err = r.datasets["readout.fidelity"], r.datasets["readout.fidelity_err"]
    for q in range(2):
        assert abs(fid[q] - expected) < 3.5 * err[q], (q, fid[q], err[q], expected)
    counts = r.datasets["readout.counts"]
    bright_prep = 0 if system == "ca40" else 1
    assert counts[bright_prep].mean() > 5 * counts[1 - bright_prep].mean()


def _source_files(folder):
    for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
        for name in files:
            if name.endswith(".py"):
                yield os.path.join(dirpath, name)


def test_kernels_name_no_device_trap_or_driver():
    forbidden = set(systems.names())
    for system in systems.names():
        from control.device_db import load_device_db
        # every device name but the core device's, which every ARTIQ kernel has
        forbidden |= {k for k in load_device_db(systems.device_db_path(system))
                      if not k.startswith(("_", "core"))}
    forbidden |= {"AD9910", "AD9912", "TTLOut", "TTLInOut", "EdgeCounter", "CPLD",
                  "Yb171", "Ca40", "drivers", "urukul", "Yb", "Ca"}
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, forbidden))) + r")\b")
    offenders = []
    for path in _source_files("kernels"):
        with open(path) as f:
            for n, line in enumerate(f, 1):
                m = pattern.search(line)
                if m:
                    offenders.append("{}:{}: {}".format(os.path.relpath(path, ROOT), n,
                                                        m.group(1)))
    assert offenders == []


def test_no_branching_on_the_system_in_kernels_or_experiments():
    names = "|".join(map(re.escape, systems.names()))
    pattern = re.compile(r"\b(system|trap)\w*\s*(==|!=)|(==|!=)\s*[\"'](" + names + r")[\"']"
                         r"|isinstance\(.*\b(Yb171|Ca40)\b")
    offenders = [
        "{}:{}".format(os.path.relpath(path, ROOT), n)
        for folder in ("kernels", "experiments") for path in _source_files(folder)
        for n, line in enumerate(open(path), 1) if pattern.search(line)]
    assert offenders == []


@pytest.mark.parametrize("system", SYSTEMS)
def test_trap_rf_check_refuses_while_the_rf_is_off(system, sim_managers):
    from control.sim import enable
    from control.device_db import load_device_db
    from drivers.modules.instruments import TrapNotReady
    ddb = enable(load_device_db(systems.device_db_path(system)), **systems.sim_config(system))
    exp = BuildOnly(sim_managers(ddb, datasets=systems.sim_config(system)["datasets"]),
                    system)
    exp.prepare()
    rf = exp.trap.trap_rf
    with pytest.raises(TrapNotReady, match="trap RF on"):
        rf.require_on("RB")
    rf.ramp_up()
    rf.require_on("RB")
    assert rf.status()
    report = exp.trap.link_report()
    assert "{}.trap_rf".format(system) in [m["module"] for m in report["modules"]]
    assert "{}.oven".format(system) in report["not_linked"]
