"""``control calibrations``: what each trap's modules read, whether a dataset DB holds it,
and writing a trap's starting set into a lab's DB without overwriting what is there."""
import os
import subprocess
import sys

import pytest

from control import pyon
from control.calibrations import CalibrationSpec, check, needed_calibrations
from control.cli import main
from control.device_db import load_device_db
from control.sim import enable
from drivers import systems

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _needs(system):
    config = systems.sim_config(system)
    return needed_calibrations(systems.system_class(system),
                               enable(load_device_db(systems.device_db_path(system)),
                                      **config), config["datasets"])


@pytest.mark.parametrize("system", systems.names())
def test_the_starting_set_covers_everything_the_modules_read(system):
    specs = _needs(system)
    starting = systems.sim_config(system)["datasets"]
    # every calibration of the trap's key space, with its reader and its limits
    assert all(key.startswith(system + ".") for key in specs)
    assert {"{}.detection.window".format(system), "{}.detection.threshold".format(system),
            "{}.ms.gate_time".format(system)} <= set(specs)
    statuses = check(specs, starting)
    assert [s.spec.key for s in statuses if not s.usable] == []
    # and nothing in the starting set is read by no module
    assert set(starting) <= set(specs)


def test_check_names_missing_defaulted_and_out_of_range_values():
    specs = {"t.a": CalibrationSpec("t.a", "t", min=0.0, max=1.0),
             "t.b": CalibrationSpec("t.b", "t", default=3),
             "t.c": CalibrationSpec("t.c", "t", duration=True),
             "t.d": CalibrationSpec("t.d", "t", min=0.0, max=1.0)}
    states = {s.spec.key: s for s in check(specs, {"t.a": 1.5, "t.c": -1e-6,
                                                   "t.d": [0.2, float("nan")]})}
    assert states["t.a"].state == "out of range" and "outside [0, 1]" in states["t.a"].detail
    assert states["t.b"].state == "default" and states["t.b"].value == 3
    assert states["t.c"].state == "out of range" and "negative" in states["t.c"].detail
    assert states["t.d"].state == "out of range" and "not finite" in states["t.d"].detail
    assert check(specs, {})[0].state == "missing"


def test_command_writes_the_starting_set_and_never_overwrites_without_force(tmp_path, capsys):
    db = str(tmp_path / "datasets.pyon")
    assert main(["calibrations", "--system", "yb171", "--dataset-db", db, "--show"]) == 1
    assert "missing" in capsys.readouterr().out
    assert main(["calibrations", "--system", "yb171", "--dataset-db", db,
                 "--from", "sim"]) == 0
    out = capsys.readouterr().out
    assert "calibrations of yb171 are set" in out
    with open(db) as f:
        written = pyon.decode(f.read())
    assert written["yb171.detection.window"] == 300e-6

    # a lab's own value stays unless --force
    lab_values = tmp_path / "lab.pyon"
    lab_values.write_text(pyon.encode({"yb171.detection.window": 250e-6}))
    assert main(["calibrations", "--system", "yb171", "--dataset-db", db,
                 "--from", str(lab_values)]) == 0
    assert "kept     yb171.detection.window" in capsys.readouterr().out
    with open(db) as f:
        assert pyon.decode(f.read())["yb171.detection.window"] == 300e-6
    assert main(["calibrations", "--system", "yb171", "--dataset-db", db,
                 "--from", str(lab_values), "--force"]) == 0
    assert "(was 0.0003)" in capsys.readouterr().out
    with open(db) as f:
        assert pyon.decode(f.read())["yb171.detection.window"] == 250e-6


def test_command_refuses_an_out_of_range_source_and_writes_nothing(tmp_path, capsys):
    db = tmp_path / "datasets.pyon"
    source = tmp_path / "bad.pyon"
    source.write_text(pyon.encode({"ca40.detection.window": 5.0,
                                   "ca40.cooling.duration": 1e-3}))
    assert main(["calibrations", "--system", "ca40", "--dataset-db", str(db),
                 "--from", str(source)]) == 2
    err = capsys.readouterr().err
    assert "ca40.detection.window" in err and "nothing written" in err
    assert not db.exists()


def test_a_trap_runs_on_its_twin_from_the_written_db_alone(tmp_path, capsys):
    """As under a master: the simulated twin's device DB, calibrations only from the DB."""
    db = str(tmp_path / "datasets.pyon")
    twin = os.path.join(os.path.dirname(systems.device_db_path("ca40")), "device_db_sim.py")
    readout = os.path.join(ROOT, "experiments", "readout.py")
    args = ["run", readout, "system=ca40", "shots=20", "--device-db", twin,
            "--results", str(tmp_path / "results")]
    empty = tmp_path / "empty.pyon"
    empty.write_text("{}")
    assert main(args + ["--dataset-db", str(empty)]) == 2
    assert "ca40." in capsys.readouterr().err  # names the missing calibration
    assert main(["calibrations", "--system", "ca40", "--dataset-db", db, "--from", "sim"]) == 0
    assert main(args + ["--dataset-db", db]) == 0
    assert "readout.fidelity" in capsys.readouterr().out


@pytest.mark.parametrize("system", systems.names())
def test_nominal_values_are_the_starting_set_without_the_simulator(system, tmp_path, capsys):
    nominal = systems.nominal_calibrations(system)
    # the simulated twin starts from the trap's nominal values, and they are a full set
    assert nominal == systems.sim_config(system)["datasets"]
    assert [s.spec.key for s in check(_needs(system), nominal) if not s.usable] == []
    db = str(tmp_path / "datasets.pyon")
    assert main(["calibrations", "--system", system, "--dataset-db", db,
                 "--from", "nominal"]) == 0
    assert "calibrations of {} are set".format(system) in capsys.readouterr().out
    with open(db) as f:
        assert pyon.decode(f.read()) == nominal
    # a lab's set-up reads them without loading the simulator
    probe = ("import sys; from drivers import systems; systems.nominal_calibrations({!r}); "
             "print(sorted(m for m in sys.modules if m.startswith('control.sim') or "
             "m.endswith('.sim') or m.endswith('simkit')))").format(system)
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "[]"
