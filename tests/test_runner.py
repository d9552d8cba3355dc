"""``control run`` / ``control link``: building, running, results, and clear errors."""
import os

import h5py
import numpy as np
import pytest

from control import lang, pyon
from control.cli import main
from control.device_db import load_device_db
from control.errors import DeviceDBError, DeviceError
from control.managers import DeviceManager
from control.results import read_datasets
from control.runner import ExperimentFileError, run_experiment

HERE = os.path.dirname(__file__)
ROOT = os.path.dirname(HERE)
DATA = os.path.join(HERE, "data")
CORE_DDB = os.path.join(DATA, "device_db_core.py")
HELLO = os.path.join(ROOT, "experiments", "hello_modules.py")


def test_run_writes_hdf5_in_artiq_layout(tmp_path):
    run = run_experiment(HELLO, arguments={"steps": 3}, device_db=CORE_DDB, sim=True,
                         results_dir=str(tmp_path))
    assert run.completed
    rel = os.path.relpath(run.path, tmp_path).split(os.sep)
    assert len(rel) == 3 and len(rel[0]) == 10 and len(rel[1]) == 2
    assert rel[2] == "000000000-HelloModules.h5"
    with h5py.File(run.path, "r") as f:
        assert set(f) >= {"datasets", "archive", "expid", "rid", "start_time", "run_time",
                          "control_version", "completed"}
        assert list(f["datasets/stamps_mu"][()]) == [2000, 4000, 6000]
        assert f["rid"][()] == 0 and bool(f["completed"][()])
        expid = pyon.decode(f["expid"][()].decode())
        assert expid["class_name"] == "HelloModules" and expid["arguments"] == {"steps": 3}
        assert f["run_time"][()] >= f["start_time"][()]
    # run ids count up
    again = run_experiment(HELLO, device_db=CORE_DDB, sim=True, results_dir=str(tmp_path))
    assert again.rid == 1


def test_calibration_from_dataset_db_is_archived(tmp_path):
    run = run_experiment(HELLO, arguments={"steps": 2}, device_db=CORE_DDB, sim=True,
                         dataset_db={"toy.clock.tick": 5e-6}, results_dir=str(tmp_path))
    assert list(run.datasets["stamps_mu"]) == [5000, 10000]
    with h5py.File(run.path, "r") as f:
        assert f["archive/toy.clock.tick"][()] == 5e-6


@pytest.mark.parametrize("how, exc", [(0, RuntimeError), (1, KeyboardInterrupt)])
def test_failed_run_keeps_its_data_marked_incomplete(tmp_path, how, exc):
    with pytest.raises(exc) as info:
        run_experiment(os.path.join(DATA, "failing.py"), arguments={"how": how},
                       device_db=CORE_DDB, sim=True, results_dir=str(tmp_path))
    run = info.value.control_run
    assert read_datasets(run.path)["before_failure"].tolist() == [1, 2, 3]
    with h5py.File(run.path, "r") as f:
        assert not f["completed"][()]
        if how == 0:
            assert "the laser unlocked" in f["error"][()].decode()
    assert not [p for p in os.listdir(os.path.dirname(run.path)) if p.endswith(".tmp")]


def test_cli_run_and_exit_codes(tmp_path, capsys):
    results = str(tmp_path)
    assert main(["run", HELLO, "steps=2", "--device-db", CORE_DDB, "--sim",
                 "--results", results]) == 0
    assert "stamps_mu" in capsys.readouterr().out
    failing = os.path.join(DATA, "failing.py")
    assert main(["run", failing, "how=0", "--device-db", CORE_DDB, "--sim",
                 "--results", results]) == 1
    err = capsys.readouterr().err
    assert "laser unlocked" in err and "partial results" in err
    assert main(["run", failing, "how=1", "--device-db", CORE_DDB, "--sim",
                 "--results", results]) == 130
    assert main(["run", failing, "how=2", "--device-db", CORE_DDB, "--sim",
                 "--results", results]) == 1
    assert "TerminationRequested" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["steps=0"], "outside the allowed range [1, 1000]"),
    (["steps=many"], "'many' is not a valid NumberValue"),
    (["stesp=3"], "does not take argument(s) stesp; it takes: steps; closest: steps"),
    (["Nope"], "has no experiment class 'Nope'; it has: HelloModules"),
    (["HelloModules", "steps"], "arguments are name=value"),
])
def test_cli_input_errors_are_one_clear_line(tmp_path, capsys, argv, message):
    code = main(["run", HELLO] + argv + ["--device-db", CORE_DDB, "--sim",
                                         "--results", str(tmp_path)])
    assert code == 2
    assert message in capsys.readouterr().err


def test_experiment_file_errors(tmp_path):
    with pytest.raises(ExperimentFileError, match="holds no experiment"):
        run_experiment(os.path.join(DATA, "no_experiment.py"), device_db=CORE_DDB,
                       sim=True, write=False)
    with pytest.raises(ExperimentFileError, match=r"several experiments \(First, Second\)"):
        run_experiment(os.path.join(DATA, "two_experiments.py"), device_db=CORE_DDB,
                       sim=True, write=False)
    run = run_experiment(os.path.join(DATA, "two_experiments.py"), "Second",
                         device_db=CORE_DDB, sim=True, write=False)
    assert run.datasets["which"] == 2


def test_missing_device_names_the_closest():
    dmgr = DeviceManager({"core": {"type": "dummy"}, "ttl0": {"type": "dummy"},
                          "ttl1": {"type": "dummy"}}, source="lab.py")
    with pytest.raises(DeviceError) as info:
        dmgr.get("ttl9")
    assert "'ttl9' is not in the lab.py" in str(info.value)
    assert "closest: " in str(info.value)
    assert "ttl0" in str(info.value) and "ttl1" in str(info.value)


@pytest.mark.skipif(lang.ARTIQ, reason="with ARTIQ installed its drivers import")
def test_hardware_driver_without_artiq_points_to_the_simulator():
    dmgr = DeviceManager(load_device_db(CORE_DDB))
    with pytest.raises(DeviceError, match="--sim"):
        dmgr.get("core")


def test_malformed_device_db_lists_every_problem(tmp_path):
    bad = tmp_path / "device_db.py"
    bad.write_text("device_db = {'a': {'type': 'local', 'module': 'x'},"
                   " 'b': 'nowhere', 'c': {'type': 'laser'}, 'd': 3}\n")
    with pytest.raises(DeviceDBError) as info:
        load_device_db(str(bad))
    text = str(info.value)
    assert "local entry 'a' has no 'class'" in text
    assert "alias 'b' points to 'nowhere'" in text
    assert "type 'laser'" in text and "entry 'd'" in text
    (tmp_path / "empty.py").write_text("x = 1\n")
    with pytest.raises(DeviceDBError, match="defines no 'device_db'"):
        load_device_db(str(tmp_path / "empty.py"))
    (tmp_path / "broken.py").write_text("device_db = {\n")
    with pytest.raises(DeviceDBError, match="does not load: SyntaxError"):
        load_device_db(str(tmp_path / "broken.py"))
    with pytest.raises(DeviceDBError, match="not found"):
        load_device_db(str(tmp_path / "missing.py"))


def test_unset_dataset_a_module_needs_fails_clearly(tmp_path, capsys):
    # hello_modules' clock has a default; a module with no default must name the dataset.
    exp = tmp_path / "needs_cal.py"
    exp.write_text(
        "from control.lang import EnvExperiment\n"
        "from control.modules import Module, System, module\n"
        "class Lamp(Module):\n"
        "    def init(self):\n"
        "        self.setattr_calibration('power')\n"
        "class S(System):\n"
        "    system_name = 's'\n"
        "    lamp = module(Lamp)\n"
        "class NeedsCal(EnvExperiment):\n"
        "    def build(self):\n"
        "        self.s = S(self)\n"
        "        self.s.lamp\n"
        "    def run(self):\n"
        "        pass\n")
    code = main(["run", str(exp), "--device-db", CORE_DDB, "--sim", "--results",
                 str(tmp_path / "r")])
    assert code == 2
    assert "needs calibration dataset 's.lamp.power'" in capsys.readouterr().err


def test_link_report_lists_linked_and_unlinked(capsys):
    assert main(["link", HELLO, "--device-db", CORE_DDB, "--sim"]) == 0
    out = capsys.readouterr().out
    assert "linked  toy.clock" in out and "invariants: core, tick" in out
    assert "not linked  toy.shutter" in out and "not linked  toy.spare_clock" in out


def test_broadcast_reaches_a_listener(tmp_path):
    seen = {}
    run_experiment(HELLO, arguments={"steps": 2}, device_db=CORE_DDB, sim=True,
                   write=False, on_broadcast=lambda k, v: seen.setdefault(k, np.array(v)))
    assert seen["stamps_mu"].tolist() == [2000, 4000]


def test_a_run_that_writes_nothing_leaves_no_figure_behind(tmp_path, monkeypatch):
    from drivers import systems
    monkeypatch.chdir(tmp_path)
    run = run_experiment(os.path.join(ROOT, "experiments", "rb.py"), "RB",
                         {"system": "yb171", "n_qubits": 1, "lengths": pyon.encode([1, 2, 3]),
                          "samples": 1, "shots": 1}, systems.device_db_path("yb171"),
                         sim=True, write=False)
    figure = run.datasets["rb.plot"]
    assert os.path.exists(figure) and not figure.startswith(str(tmp_path))
    assert os.listdir(tmp_path) == []


def test_run_takes_artiq_runs_class_output_and_verbosity_options(tmp_path, capsys):
    """``-c``, ``-o`` and ``-q`` as ``artiq_run`` has them."""
    out = tmp_path / "sub" / "two.h5"
    assert main(["run", os.path.join(DATA, "two_experiments.py"), "-c", "Second",
                 "--device-db", CORE_DDB, "--sim", "-o", str(out), "-q"]) == 0
    assert read_datasets(str(out))["which"] == 2
    assert not (tmp_path / "results").exists()  # -o replaces the results folder
    with h5py.File(out, "r") as f:
        assert f["rid"][()] == 0
    assert main(["run", os.path.join(DATA, "two_experiments.py"), "Second", "-c", "First",
                 "--device-db", CORE_DDB, "--sim"]) == 2
    assert "not both" in capsys.readouterr().err
