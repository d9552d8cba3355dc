"""The HIL suite: every check on the target (a crate, or each simulated trap)."""
from hil import checks


def test_core(run_check):
    run_check(checks.check_core)


def test_ttl_timing(run_check, target):
    run_check(checks.check_ttl_timing, target.trap.HIL_DEVICES["ttl"])


def test_dds_readback(run_check, target):
    run_check(checks.check_dds_readback, target.trap.HIL_DEVICES["dds"])


def test_dark_counts(run_check):
    run_check(checks.check_dark_counts)


def test_detection_fidelity(run_check):
    run_check(checks.check_detection_fidelity)


def test_rb(run_check):
    run_check(checks.check_rb)


def test_controllers(run_check):
    run_check(checks.check_controllers)


def test_underflow(run_check, target):
    run_check(checks.check_underflow, target.trap.HIL_DEVICES["ttl"])
