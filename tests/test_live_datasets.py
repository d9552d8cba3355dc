"""What the dashboard shows while and after an experiment runs: every applet an experiment
asks for plots datasets that exist, are broadcast, and have one y value per x (ARTIQ's
``plot_xy`` takes 1-D data); live datasets start in the run stage, not in prepare (the
master prepares the next experiment while one runs); fits are broadcast."""
import os
import shlex

import numpy as np
import pytest

from control.runner import build_experiment, run_experiment
from drivers import systems

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JOBS = {
    "rb.py": ({"n_qubits": 1, "lengths": "[1, 10, 40]", "samples": 2, "shots": 10},
              ["rb.fit.epc", "rb.fit.p", "rb.plot"]),
    "rabi.py": ({"shots": 10, "qubit": 1}, ["rabi.fit.f"]),
    "ramsey.py": ({"shots": 10}, ["ramsey.fit.f", "ramsey.detuning"]),
}


def _applets(ccb):
    for service, args, _ in ccb.issued:
        if service == "create_applet":
            name, command = args[0], args[1]
            words = shlex.split(command.replace("${artiq_applet}", ""))
            assert words[0] == "plot_xy", command
            yield name, words[1], words[words.index("--x") + 1]


@pytest.mark.parametrize("system", systems.names())
@pytest.mark.parametrize("file", sorted(JOBS))
def test_applets_plot_broadcast_one_dimensional_data(tmp_path, system, file):
    arguments, results = JOBS[file]
    path = os.path.join(ROOT, "experiments", file)
    args = dict(arguments, system=system)
    seen = []
    run = build_experiment(path, None, args, systems.device_db_path(system), sim=True,
                           sim_options={"seed": 1},
                           on_broadcast=lambda key, value: seen.append(key))
    run.experiment.prepare()
    assert seen == [] and run.ccb.issued == [], "prepare must not touch live datasets"
    run.device_mgr.close_devices()

    run = run_experiment(path, None, args, systems.device_db_path(system), sim=True,
                         sim_options={"seed": 1}, results_dir=str(tmp_path))
    broadcast = run.dataset_mgr.broadcast
    applets = list(_applets(run.ccb))
    assert applets, "{} asks for no applet".format(file)
    for name, y, x in applets:
        assert y in broadcast and x in broadcast, (name, sorted(broadcast))
        ys, xs = np.asarray(broadcast[y]), np.asarray(broadcast[x])
        assert ys.ndim == 1 and xs.ndim == 1 and len(ys) == len(xs), (name, ys.shape,
                                                                       xs.shape)
        assert np.all(np.isfinite(ys)) and np.all((ys >= 0) & (ys <= 1))
    for key in results:
        assert key in broadcast, "{} is not shown in the dashboard".format(key)


def test_rabi_live_dataset_follows_the_driven_qubit(tmp_path):
    path = os.path.join(ROOT, "experiments", "rabi.py")
    run = run_experiment(path, None, {"system": "yb171", "shots": 20, "qubit": 1},
                         systems.device_db_path("yb171"), sim=True,
                         sim_options={"seed": 2}, results_dir=str(tmp_path))
    everything = np.asarray(run.dataset_mgr.broadcast["rabi.p1_all"])
    assert everything.shape == (21, 2)
    assert np.array_equal(run.dataset_mgr.broadcast["rabi.p1"], everything[:, 1])
    # the undriven qubit stays dark, the driven one flops
    assert everything[:, 0].max() < 0.2 and everything[:, 1].max() > 0.8
