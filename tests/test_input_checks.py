"""Every input checked before any work starts (issue 18): a bad value exits 2 with one
line naming the argument, the value and what is allowed, and nothing runs.

``control rb`` / ``control circuit`` check their values before they make a results folder;
the experiments check theirs in ``build``/``prepare`` (the dashboard's path too), before
the run stage.
"""
import glob
import os
import re

import pytest

from control import pyon
from control.cli import main
from control.errors import ArgumentError, DeviceError
from control.lang import EnvExperiment
from control.modules import CalibrationError, Module, System, module
from drivers import systems

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EXPERIMENTS = os.path.join(ROOT, "experiments")


def h5_files(folder):
    return glob.glob(os.path.join(str(folder), "**", "*.h5"), recursive=True)


def error_line(capsys):
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines and lines[0].startswith("error: "), err
    return lines[0]


@pytest.fixture
def never_runs(monkeypatch):
    """Replace what would do the work (RB's chunks, a scan's shots, the runner) with
    stand-ins that record a call: a check that lets bad input through fails the test."""
    calls = []

    def record(name):
        def stand_in(*args, **kwargs):
            calls.append(name)
            raise AssertionError("{} ran: the input should have been refused".format(name))
        return stand_in

    import control.runner
    import kernels.rb
    import kernels.shots
    monkeypatch.setattr(kernels.rb.RandomizedBenchmarking, "run", record("RB run"))
    monkeypatch.setattr(kernels.shots.ShotScan, "run", record("scan run"))
    monkeypatch.setattr(kernels.rb, "compile_program", record("RB compile"))
    return calls, record, monkeypatch, control.runner


# ---- control rb: every value before any work (no results folder, no run ID)

@pytest.mark.parametrize("argv, expected", [
    (["--depolarizing", "-0.1"], "--depolarizing: -0.1 is outside the allowed range [0, 1]"),
    (["--depolarizing", "nan"], "--depolarizing: nan is not a finite number; allowed range "
                                "[0, 1]"),
    (["--depolarizing", "inf"], "--depolarizing: inf is not a finite number"),
    (["--depolarizing", "1.5"], "--depolarizing: 1.5 is outside the allowed range [0, 1]"),
    (["--qubits", "2", "--depolarizing-2q", "2"],
     "--depolarizing-2q: 2.0 is outside the allowed range [0, 1]"),
    (["--lengths", "5,5,5"], "--lengths: [5, 5, 5] repeats 5; each length must appear once"),
    (["--lengths", "1,20"], "--lengths: [1, 20] has 2 length(s); the decay fit A p^m + B "
                            "needs at least 3 distinct lengths"),
    (["--lengths", "0,20,50"], "--lengths: 0 in [0, 20, 50] is outside the allowed range "
                               "[1, inf)"),
    (["--lengths=-5,20,50"], "--lengths: -5 in [-5, 20, 50] is outside the allowed range"),
    (["--lengths", "1,x,3"], "--lengths: '1,x,3' is not a list of integers"),
    (["--samples", "0"], "--samples: 0 is outside the allowed range [1, inf)"),
    (["--shots", "0"], "--shots: 0 is outside the allowed range [1, inf)"),
    (["--seed", "-1"], "--seed: -1 is outside the allowed range [0, 2147483647]"),
    (["--interleave", "foo"], "--interleave: unknown gate 'foo' to interleave"),
    (["--interleave", "ms"], "--interleave: ms is a 2-qubit gate; this is 1-qubit RB"),
    (["--depolarizing", "0.1", "--device-db", "lab_db.py"],
     "--depolarizing: 0.1 sets the simulator, and --device-db lab_db.py runs on a crate"),
    (["--lengths", "1,2,1000000000000"],
     "--lengths and --samples: [1, 2, 1000000000000] with 10 samples is "
     "10,000,000,000,060 Cliffords; drawing and compiling them takes about 640.0 TB"),
])
def test_rb_command_refuses_bad_values_before_any_work(tmp_path, capsys, never_runs, argv,
                                                       expected):
    calls, record, monkeypatch, runner = never_runs
    monkeypatch.setattr(runner, "run_experiment", record("run_experiment"))
    results = tmp_path / "results"
    assert main(["rb", "--system", "yb171", "--quiet", "--results", str(results)]
                + argv) == 2
    assert expected in error_line(capsys)
    assert calls == [] and not results.exists()  # no run ID, no file, no trap built


def test_rb_memory_estimate_scales_with_available_memory(tmp_path, capsys, never_runs):
    """The issue's ``--lengths 1,2,100000000`` exhausted 3.5 GB: with 4 GB available it is
    refused up front, naming the estimate and the limit."""
    calls, record, monkeypatch, runner = never_runs
    import kernels.rb
    monkeypatch.setattr(runner, "run_experiment", record("run_experiment"))
    monkeypatch.setattr(kernels.rb, "available_memory", lambda: 4 * 10 ** 9)
    results = tmp_path / "results"
    assert main(["rb", "--system", "yb171", "--quiet", "--results", str(results),
                 "--lengths", "1,2,100000000"]) == 2
    line = error_line(capsys)
    assert "--lengths and --samples: [1, 2, 100000000] with 10 samples" in line
    assert "about 64.0 GB of memory" in line
    assert "over the limit of 2.0 GB (50% of the 4.0 GB available)" in line
    assert calls == [] and not results.exists()
    # the same sizes fit a machine with the memory for them
    assert kernels.rb.check_rb_arguments(1, [1, 2, 100000000], 10, 50,
                                         memory=200 * 10 ** 9) == [1, 2, 100000000]
    # a two-qubit program takes more per Clifford than a one-qubit one
    assert (kernels.rb.estimate_program_bytes(2, [1, 2, 3], 10)
            > kernels.rb.estimate_program_bytes(1, [1, 2, 3], 10))
    assert (kernels.rb.estimate_program_bytes(1, [1, 2, 3], 10, interleaved=True)
            > kernels.rb.estimate_program_bytes(1, [1, 2, 3], 10))


def test_available_memory_is_a_positive_number_of_bytes():
    from control.memory import available_memory, bytes_text
    assert available_memory() > 0
    assert bytes_text(64 * 10 ** 9) == "64.0 GB" and bytes_text(512) == "512 bytes"


# ---- the dashboard's path: RB's build checks the same values, named as arguments

def rb_run(tmp_path, *arguments):
    return main(["run", os.path.join(EXPERIMENTS, "rb.py"), "system=yb171"]
                + list(arguments) + ["--device-db", systems.device_db_path("yb171"),
                                     "--sim", "--results", str(tmp_path / "results")])


@pytest.mark.parametrize("lengths, expected", [
    ("[5, 5, 5]", "lengths: [5, 5, 5] repeats 5; each length must appear once"),
    ("[1, 20]", "lengths: [1, 20] has 2 length(s); the decay fit A p^m + B needs at least 3"),
    ("[0, 20, 50]", "lengths: 0 in [0, 20, 50] is outside the allowed range [1, inf)"),
    ("[1, 2.5, 50]", "lengths: 2.5 in [1, 2.5, 50] is not an integer; allowed: integers in "
                     "[1, inf)"),
    ("'1,2,3'", "lengths: '1,2,3' is not a list of sequence lengths"),
    ("[1, 2, 10000000000000]", "lengths and samples: [1, 2, 10000000000000] with 10 "
                               "samples"),
])
def test_rb_build_refuses_bad_lengths(tmp_path, capsys, never_runs, lengths, expected):
    calls = never_runs[0]
    assert rb_run(tmp_path, "lengths=" + pyon.encode(lengths)) == 2
    assert expected in error_line(capsys)
    assert calls == [] and h5_files(tmp_path) == []  # refused in build: nothing drawn


def test_rb_build_checks_without_the_cli(sim_managers):
    """``RandomizedBenchmarking.build`` itself refuses (what the master's worker runs)."""
    from kernels.rb import RandomizedBenchmarking
    exp = EnvExperiment(sim_managers())
    for kwargs, expected in [({"samples": 0}, "samples: 0 is outside the allowed range"),
                             ({"shots": 0}, "shots: 0 is outside the allowed range"),
                             ({"lengths": [3, 3, 4]}, "lengths: [3, 3, 4] repeats 3")]:
        with pytest.raises(ArgumentError, match=re.escape(expected)):
            RandomizedBenchmarking(exp, ops=None, **kwargs)


def test_rb_sequence_over_one_kernel_call_is_refused_in_prepare(tmp_path, capsys,
                                                                monkeypatch):
    """A length whose sequence cannot be played in one kernel call is refused before the
    run stage, naming it (it used to fail when its chunk came): two-qubit Cliffords on
    ca40 take about 9 opcodes each, so 25000 of them are over the 200000 of one call."""
    import kernels.rb
    calls = []
    monkeypatch.setattr(kernels.rb.RandomizedBenchmarking, "run",
                        lambda *a, **k: calls.append("run"))
    assert main(["run", os.path.join(EXPERIMENTS, "rb.py"), "system=ca40", "n_qubits=2",
                 "lengths=" + pyon.encode("[1, 2, 25000]"), "samples=1", "shots=1",
                 "--device-db", systems.device_db_path("ca40"), "--sim",
                 "--results", str(tmp_path / "results")]) == 2
    line = error_line(capsys)
    assert re.search(r"lengths: a sequence of 25000 Cliffords compiles to \d+ opcodes on "
                     r"this trap, over the 200000 one kernel call takes; the longest "
                     r"length that fits is about \d+", line), line
    assert calls == []


# ---- scans: as many distinct points as the fit has parameters, plus one

def scan_run(tmp_path, experiment, argument, scan):
    return main(["run", os.path.join(EXPERIMENTS, experiment), "system=yb171",
                 "{}={}".format(argument, pyon.encode(scan)), "shots=1",
                 "--device-db", systems.device_db_path("yb171"), "--sim",
                 "--results", str(tmp_path / "results")])


def range_scan(npoints, stop=20e-6):
    return {"ty": "RangeScan", "start": 0.0, "stop": stop, "npoints": npoints}


@pytest.mark.parametrize("experiment, argument, scan, expected", [
    ("rabi.py", "durations", range_scan(0),
     "durations: 0 point(s) [] (0 distinct); the Rabi fit of f, a, b needs at least 4 "
     "distinct points"),
    ("rabi.py", "durations", range_scan(3),
     "durations: 3 point(s) [0, 1e-05, 2e-05] (3 distinct); the Rabi fit of f, a, b needs "
     "at least 4"),
    ("rabi.py", "durations", {"ty": "ExplicitScan", "sequence": [1e-6] * 6},
     "durations: 6 point(s) [1e-06, 1e-06, 1e-06, 1e-06, 1e-06, 1e-06] (1 distinct)"),
    ("rabi.py", "durations", {"ty": "ExplicitScan", "sequence": [0, 1e-6, 2e-6, 3e-6,
                                                                 float("nan")]},
     "argument 'durations' of Rabi: nan is not a number; allowed range [0.0, 10000.0] us"),
    ("rabi.py", "durations", range_scan(-3), "argument 'durations' of Rabi: a RangeScan of "
                                             "-3 points; allowed: 0 or more points"),
    ("rabi.py", "durations", range_scan(10 ** 15),
     "argument 'durations' of Rabi: a RangeScan of 1,000,000,000,000,000 points would take "
     "about 32000.0 TB of memory to list, over the limit of"),
    ("ramsey.py", "waits", range_scan(0),
     "waits: 0 point(s) [] (0 distinct); the Ramsey fit of f, a, t2, phi needs at least 5 "
     "distinct points"),
    ("ramsey.py", "waits", range_scan(4),
     "waits: 4 point(s) [0, 6.66667e-06, 1.33333e-05, 2e-05] (4 distinct); the Ramsey fit "
     "of f, a, t2, phi needs at least 5"),
])
def test_scan_with_fewer_points_than_the_fit_needs_is_refused(tmp_path, capsys, never_runs,
                                                              experiment, argument, scan,
                                                              expected):
    calls = never_runs[0]
    assert scan_run(tmp_path, experiment, argument, scan) == 2
    assert expected in error_line(capsys)
    assert calls == []  # the shots never ran


def test_scan_points_check_directly():
    from kernels.rabi import MIN_POINTS as RABI
    from kernels.ramsey import MIN_POINTS as RAMSEY
    from kernels.shots import check_scan_points
    assert (RABI, RAMSEY) == (4, 5)  # the fits' parameters (3 and 4), plus one
    assert list(check_scan_points("durations", [0, 1, 2, 3], RABI, "fit")) == [0, 1, 2, 3]
    with pytest.raises(ArgumentError, match=r"durations: -1 in \[0, -1, 2, 3\] is outside "
                                            r"the allowed range \[0, inf\)"):
        check_scan_points("durations", [0, -1, 2, 3], RABI, "fit")
    with pytest.raises(ArgumentError, match=r"waits: inf in .* is not a finite number"):
        check_scan_points("waits", [0, 1, 2, 3, float("inf")], RAMSEY, "fit")
    with pytest.raises(ArgumentError, match=r"waits: 1,000 points would take about"):
        check_scan_points("waits", range(1000), RAMSEY, "fit", memory=1000)


# ---- a missing trap device: exit 2 naming the device, the module and the device DB

@pytest.mark.parametrize("system", systems.names())
def test_missing_trap_device_names_device_module_and_device_db(tmp_path, capsys, system,
                                                               never_runs):
    with open(systems.device_db_path(system)) as f:
        text = f.read()
    lab = re.sub(r'\n    "pmt0": "\w+",', "\n", text)
    assert lab != text
    ddb = tmp_path / "device_db.py"  # no sim.py beside it: the simulator's defaults
    ddb.write_text(lab)
    assert main(["run", os.path.join(EXPERIMENTS, "rb.py"), "system=" + system,
                 "--device-db", str(ddb), "--sim", "--results",
                 str(tmp_path / "results")]) == 2
    line = error_line(capsys)
    assert "module '{}.detection' needs device 'pmt0'".format(system) in line
    assert "not in the {}".format(ddb) in line and "closest: pmt1" in line
    assert never_runs[0] == [] and h5_files(tmp_path) == []


def test_run_sim_with_a_sim_py_whose_model_lacks_a_device_names_it(tmp_path, capsys,
                                                                   never_runs):
    """``control run --sim`` on a lab's copy of a trap folder (device DB, crate.json and
    sim.py) whose device DB lost a device the ion model reads."""
    folder = os.path.dirname(systems.device_db_path("yb171"))
    for name in ("device_db.py", "crate.json", "sim.py"):
        text = open(os.path.join(folder, name)).read()
        if name == "device_db.py":
            text = re.sub(r'\n    "pmt0": "\w+",', "\n", text)
        (tmp_path / name).write_text(text)
    assert main(["run", os.path.join(EXPERIMENTS, "readout.py"), "system=yb171",
                 "--device-db", str(tmp_path / "device_db.py"), "--sim", "--results",
                 str(tmp_path / "results")]) == 2
    line = error_line(capsys)
    assert "ion model of {}".format(tmp_path / "sim.py") in line and "'pmt0'" in line
    assert h5_files(tmp_path) == []


@pytest.mark.parametrize("command", ["rb", "circuit"])
def test_sim_model_missing_a_device_names_it(tmp_path, capsys, never_runs, command):
    """``control rb``/``circuit`` on a trap whose shipped device DB lost a device its
    simulated ion model reads (a KeyError traceback before)."""
    calls, record, monkeypatch, runner = never_runs
    monkeypatch.setattr(runner, "run_experiment", record("run_experiment"))
    from control.device_db import load_device_db
    from drivers.systems import simkit

    def without_pmt0(path):
        ddb = dict(load_device_db(path))
        del ddb["pmt0"]
        return ddb

    monkeypatch.setattr(simkit, "load_device_db", without_pmt0)
    qasm = tmp_path / "bell.qasm"
    qasm.write_text(BELL)
    argv = ["rb", "--quiet"] if command == "rb" else ["circuit", str(qasm)]
    results = tmp_path / "results"
    assert main(argv + ["--system", "yb171", "--results", str(results)]) == 2
    line = error_line(capsys)
    assert "the simulated yb171 trap's ion model (" in line and "sim.py" in line
    assert systems.device_db_path("yb171") in line and "'pmt0'" in line
    assert calls == [] and not results.exists()


DDB = {
    "core": {"type": "local", "module": "artiq.coredevice.core", "class": "Core",
             "arguments": {"host": None, "ref_period": 1e-9}},
    "pmt": {"type": "dummy"},
    "detector": "pmt",
}


class _Reads(Module):
    def build(self, device, describe=False):
        if describe:
            self.desc = self.device_description(device)
        else:
            self.setattr_device(device, "dev")


class _Trap(System):
    system_name = "toy"
    good = module(_Reads, device="detector", describe=True)
    missing = module(_Reads, device="pmt9")
    missing_desc = module(_Reads, device="pmt7", describe=True)


class _Exp(EnvExperiment):
    def build(self):
        self.trap = _Trap(self)


def test_module_device_errors_name_module_device_and_database(sim_managers):
    exp = _Exp(sim_managers(DDB))
    assert exp.trap.good.desc == {"type": "dummy"}  # through the alias
    with pytest.raises(DeviceError) as info:
        exp.trap.missing
    assert "module 'toy.missing' needs device 'pmt9'" in str(info.value)
    assert "is not in the device database" in str(info.value)
    with pytest.raises(DeviceError) as info:
        exp.trap.missing_desc
    assert ("module 'toy.missing_desc' needs device 'pmt7', which is not in the device "
            "database; closest: pmt") in str(info.value)


def test_artiq_device_manager_keyerror_becomes_a_device_error(sim_managers):
    """ARTIQ's own device manager raises KeyError for a missing name."""
    dmgr, datasets, arguments, defaults = sim_managers(DDB)

    class ArtiqLike:
        def get_device_db(self):
            return dmgr.get_device_db()

        def get(self, name):
            if name not in dmgr.get_device_db():
                raise KeyError(name)
            return dmgr.get(name)

    exp = _Exp((ArtiqLike(), datasets, arguments, defaults))
    with pytest.raises(DeviceError, match="module 'toy.missing' needs device 'pmt9', "
                                          "which is not in the device database"):
        exp.trap.missing


# ---- a dataset-DB value of the wrong type

def test_calibration_of_the_wrong_type_exits_2_naming_it(tmp_path, capsys, never_runs):
    db = tmp_path / "datasets.pyon"
    db.write_text(pyon.encode({"yb171.detection.window": "300us"}))
    assert main(["run", os.path.join(EXPERIMENTS, "rabi.py"), "system=yb171",
                 "--device-db", systems.device_db_path("yb171"), "--sim",
                 "--dataset-db", str(db), "--results", str(tmp_path / "results")]) == 2
    line = error_line(capsys)
    assert ("calibration 'yb171.detection.window' = '300us' (str) is not usable: expected "
            "a finite number in [1e-06, 0.1] s") in line
    assert never_runs[0] == []


@pytest.mark.parametrize("key, value", [("yb171.ms.carrier", "205 MHz"),
                                        ("yb171.drive.frequencies", "ab")])
def test_calibration_without_default_or_range_named_when_init_fails_on_it(
        tmp_path, capsys, never_runs, key, value):
    """A calibration a module reads with nothing to check it against (no default, no
    range) and then computes with: the TypeError becomes a CalibrationError naming it."""
    db = tmp_path / "datasets.pyon"
    db.write_text(pyon.encode({key: value}))
    assert main(["run", os.path.join(EXPERIMENTS, "rb.py"), "system=yb171",
                 "--device-db", systems.device_db_path("yb171"), "--sim",
                 "--dataset-db", str(db), "--results", str(tmp_path / "results")]) == 2
    line = error_line(capsys)
    assert "cannot use its calibrations (init failed: TypeError: " in line
    assert "not numbers: {!r} = {!r} (str)".format(key, value) in line
    assert never_runs[0] == []


class _Calibrated(Module):
    def build(self):
        pass

    def init(self):
        self.setattr_calibration("window", to_mu=True, min=1e-6, max=0.1, unit="s")
        self.setattr_calibration("gain", 1.5)
        self.setattr_calibration("enabled", True)
        self.names = self.get_calibration("names", ["a", "b"])


class _CalTrap(System):
    system_name = "cal"
    mod = module(_Calibrated)


class _CalExp(EnvExperiment):
    def build(self):
        self.trap = _CalTrap(self)
        self.trap.mod


GOOD = {"cal.mod.window": 1e-5}


@pytest.mark.parametrize("bad, expected", [
    ({"cal.mod.window": "1e-5"}, "calibration 'cal.mod.window' = '1e-5' (str) is not "
                                 "usable: expected a finite number in [1e-06, 0.1] s"),
    ({"cal.mod.window": float("nan")}, "calibration 'cal.mod.window' = nan (float) is not "
                                       "usable: expected a finite number"),
    ({"cal.mod.window": [1e-5]}, "calibration 'cal.mod.window' = [1e-05] (list) is not "
                                 "usable"),
    ({"cal.mod.window": True}, "calibration 'cal.mod.window' = True (bool) is not usable"),
    ({"cal.mod.gain": "high"}, "calibration 'cal.mod.gain' = 'high' (str) is not usable: "
                               "expected a number"),
    ({"cal.mod.enabled": 1}, "calibration 'cal.mod.enabled' = 1 (int) is not usable: "
                             "expected a bool (True or False), like the module's default "
                             "True"),
    ({"cal.mod.names": "ab"}, "calibration 'cal.mod.names' = 'ab' (str) is not usable: "
                              "expected a list, like the module's default ['a', 'b']"),
])
def test_calibration_type_checked_against_range_and_default(sim_managers, bad, expected):
    exp = _CalExp(sim_managers(datasets=dict(GOOD, **bad)))
    with pytest.raises(CalibrationError) as info:
        exp.prepare()
    assert expected in str(info.value)


class _Buggy(Module):
    def build(self):
        pass

    def init(self):
        self.label = self.get_calibration("label")
        self.gain = self.get_calibration("gain")
        self.twice = self.gain * 2.5


class _BuggyTrap(System):
    system_name = "bug"
    mod = module(_Buggy)


class _BuggyExp(EnvExperiment):
    def build(self):
        self.trap = _BuggyTrap(self)
        self.trap.mod


def test_init_type_error_named_only_when_a_calibration_is_not_a_number(sim_managers):
    exp = _BuggyExp(sim_managers(datasets={"bug.mod.label": "ion A",
                                           "bug.mod.gain": [1, 2]}))
    with pytest.raises(CalibrationError, match=re.escape(
            "module 'bug.mod' cannot use its calibrations (init failed: TypeError: ")) as info:
        exp.prepare()
    assert "not numbers: 'bug.mod.label' = 'ion A' (str)" in str(info.value)
    # every calibration a number: a TypeError is the module's own, and stays one
    class Worse(_Buggy):
        def init(self):
            self.gain = self.get_calibration("gain")
            None + self.gain
    exp = _BuggyExp(sim_managers(datasets={"bug.mod.label": 1, "bug.mod.gain": 2.0,
                                           "bug.worse.gain": 2.0}))
    Worse(exp.trap, "worse")
    with pytest.raises(TypeError):
        exp.prepare()


def test_calibrations_of_the_right_type_still_read(sim_managers):
    exp = _CalExp(sim_managers(datasets=dict(GOOD, **{"cal.mod.gain": 2,
                                                      "cal.mod.names": ("x",)})))
    exp.prepare()
    mod = exp.trap.mod
    assert (mod.window, mod.gain, mod.enabled, mod.names) == (10_000, 2, True, ("x",))
    assert {"cal.mod.window", "cal.mod.gain"} <= set(exp.trap.registry.calibrations)


# ---- control circuit: the file

BELL = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q -> c;
"""


@pytest.mark.parametrize("make, extra, expected", [
    (lambda d: d.mkdir() or d, [], "file: {}: is a directory, not an OpenQASM file"),
    (lambda d: d, [], "file: {}: no such file (give an OpenQASM 2 or 3 file)"),
    (lambda d: d.write_bytes(b"\xff\xfe\x00qasm") and d, [], "file: {}: is not text"),
    (lambda d: d.write_text(BELL) and d, ["--shots", "0"],
     "--shots: 0 is outside the allowed range [1, inf)"),
])
def test_circuit_command_checks_its_file_and_values_first(tmp_path, capsys, never_runs,
                                                          make, extra, expected):
    calls, record, monkeypatch, runner = never_runs
    monkeypatch.setattr(runner, "run_experiment", record("run_experiment"))
    path = make(tmp_path / "bell.qasm")
    results = tmp_path / "results"
    assert main(["circuit", str(path), "--system", "yb171", "--results", str(results)]
                + extra) == 2
    assert expected.format(path) in error_line(capsys)
    assert calls == [] and not results.exists()
