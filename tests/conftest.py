"""Shared fixtures: a minimal simulated crate (core only) to build experiments on."""
import pytest

from control.environment import DatasetManager, DeviceManager, ArgumentManager
from control.sim import enable

CORE_ONLY_DDB = {
    "core": {"type": "local", "module": "artiq.coredevice.core", "class": "Core",
             "arguments": {"host": None, "ref_period": 1e-9}},
}


@pytest.fixture
def sim_managers():
    """``(device_mgr, dataset_mgr, argument_mgr, {})`` over a simulated core-only crate;
    build an experiment with ``Cls(sim_managers)``."""
    def make(ddb=None, datasets=None, arguments=None):
        dmgr = DeviceManager(enable(ddb or CORE_ONLY_DDB))
        return (dmgr, DatasetManager(dict(datasets or {})), ArgumentManager(arguments or {}),
                {})
    return make


@pytest.fixture(autouse=True)
def _run_in_tmp(tmp_path, monkeypatch):
    """Experiments write figures and results to the working folder, as under ARTIQ's
    master: keep every test's out of the source tree."""
    monkeypatch.chdir(tmp_path)
