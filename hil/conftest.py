"""The HIL suite's target (a crate, or every simulated trap) and its record: each check's
measured value against its limit, printed at the end and kept as JSON under
``results/hil/``."""
import datetime
import json
import os
from typing import Any

import pytest

from hil.target import HilTarget, MissingDevice, targets

RECORD: list[dict[str, Any]] = []


def pytest_generate_tests(metafunc):
    if "target" in metafunc.fixturenames:
        found = targets()
        metafunc.parametrize("target", found, indirect=True,
                             ids=["{}-{}".format(s, "crate" if d else "sim") for s, d in found],
                             scope="module")


@pytest.fixture(scope="module")
def target(request):
    system, device_db = request.param
    t = HilTarget(system, device_db)
    yield t
    t.close()


@pytest.fixture
def run_check(target, request):
    """Run a check, skip it (naming the device) when the crate lacks one, record the
    measurement."""
    def run(check, *args, **kwargs):
        try:
            m = check(target, *args, **kwargs)
        except MissingDevice as exc:
            pytest.skip(str(exc))
        RECORD.append({"system": target.system, "target": target.label,
                       "versions": target.versions(), "check": m.check, "value": m.value,
                       "limit": m.limit, "unit": m.unit, "detail": m.detail,
                       "test": request.node.name})
        return m
    return run


def pytest_terminal_summary(terminalreporter):
    if not RECORD:
        return
    tr = terminalreporter
    tr.section("hardware-in-the-loop record")
    versions = {}
    for row in RECORD:
        versions.setdefault((row["system"], row["target"]), row["versions"])
    for (system, target), v in versions.items():
        tr.write_line("{} on {}: {}".format(system, target, ", ".join(
            "{} {}".format(k, val) for k, val in sorted(v.items()) if k != "target")))
    for row in RECORD:
        tr.write_line("{:<6s} {:<10s} {:<24s} {:>12s} {:<7s} limit {}".format(
            row["system"], row["target"][:10], row["check"], "{:.6g}".format(row["value"]),
            row["unit"], row["limit"]))
    folder = os.path.join("results", "hil")
    try:
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "hil-{}.json".format(
            datetime.datetime.now().strftime("%Y%m%d-%H%M%S")))
        with open(path, "w") as f:
            json.dump(RECORD, f, indent=1, default=str)
        tr.write_line("record: {}".format(path))
    except OSError as exc:
        tr.write_line("record not written: {}".format(exc))
