"""Shared fixtures: a minimal simulated crate (core only) to build experiments on."""
import pytest

from control.managers import DatasetManager, DeviceManager, ArgumentManager
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


# ---- the ARTIQ lane (`make test-artiq`): tests marked `artiq` need a real ARTIQ and
# sipyco and skip without them. There, CONTROL_REQUIRE_ARTIQ=1 turns any skip of such a
# test into a failure: a lane that silently skips checks nothing.

def pytest_runtest_makereport(item, call):
    import os
    if os.environ.get("CONTROL_REQUIRE_ARTIQ") != "1" or item.get_closest_marker("artiq") \
            is None:
        return None
    from _pytest.reports import TestReport
    report = TestReport.from_item_and_call(item, call)
    if report.skipped:
        reason = call.excinfo.value.msg if call.excinfo is not None and hasattr(
            call.excinfo.value, "msg") else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = "the ARTIQ lane requires this test, but it skipped: {}".format(
            reason)
    return report


def pytest_collectreport(report):
    """In the lane, a test file that skips as a whole (``importorskip`` at its top) fails."""
    import os
    if os.environ.get("CONTROL_REQUIRE_ARTIQ") == "1" and report.skipped:
        report.outcome = "failed"
