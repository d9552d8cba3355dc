"""Each HIL check fails when the thing it checks is broken: a simulated crate broken on
purpose makes the right check fail, saying what it measured and what it expected."""
import pytest

from control.sim import resolve
from hil import checks
from hil.target import HilTarget


def broken(system, errors=None, faults=None, calibrations=None, slack=None):
    t = HilTarget(system, sim_options={"errors": errors or {}, "faults": faults},
                  calibrations=calibrations)
    if slack is not None:
        from control.sim.timeline import SlackModel
        t.sim.timeline.set_costs(SlackModel(**slack))
    return t


def device(t, role):
    return resolve(t.ddb, role)


@pytest.mark.parametrize("system", ["yb171", "ca40"])
def test_stuck_dds_fails_the_readback_check(system):
    t = HilTarget(system)
    dds = device(t, t.trap.HIL_DEVICES["dds"])
    t.close()
    t = broken(system, faults={dds: {"stuck": True}})
    with pytest.raises(checks.CheckFailed) as info:
        checks.check_dds_readback(t, t.trap.HIL_DEVICES["dds"])
    assert info.value.check == "DDS readback"
    assert "measured 0.0 Hz" in str(info.value) and "expected 80000000.0 Hz" in str(info.value)
    checks.check_core(t)  # the rest of the crate is fine


@pytest.mark.parametrize("system", ["yb171", "ca40"])
def test_disconnected_pmt_fails_detection_fidelity(system):
    t = HilTarget(system)
    pmt = device(t, "pmt1")
    t.close()
    t = broken(system, faults={pmt: {"disconnected": True}})
    with pytest.raises(checks.CheckFailed) as info:
        checks.check_detection_fidelity(t, shots=100)
    text = str(info.value)
    assert info.value.check == "detection fidelity" and "expected >= 0.98" in text
    fid = info.value.measured
    assert "0.5" in fid  # the disconnected channel reads one state whatever it was
    checks.check_dark_counts(t, shots=20)  # a dead PMT is dark: that check cannot see it


def test_light_leak_fails_the_dark_count_check():
    t = HilTarget("yb171")
    light = device(t, "detect_369")
    t.close()
    t = broken("yb171", faults={light: {"stuck_on": True}})
    # with |1> bright ions under the leaking light the counters see fluorescence
    t.ops.core.break_realtime()
    with pytest.raises(checks.CheckFailed, match="dark counts: measured"):
        _bright_then(t, checks.check_dark_counts)


def _bright_then(t, check):
    # prepare the ions bright (|1> for 171Yb+) so a leak of detection light shows
    from control.lang import kernel

    class Prep:
        def __init__(self, ops):
            self.ops = ops
            self.core = ops.core

        @kernel
        def go(self):
            self.core.break_realtime()
            self.ops.prep_0_all()
            self.ops.x(0)
            self.ops.x(1)

    Prep(t.ops).go()
    return check(t, shots=20)


@pytest.mark.parametrize("system", ["yb171", "ca40"])
def test_over_rotation_fails_rb(system):
    t = broken(system, errors={"over_rotation": 0.15})
    with pytest.raises(checks.CheckFailed) as info:
        checks.check_rb(t)
    assert info.value.check == "RB" and "expected p >= 0.99" in str(info.value)


def test_wrong_dds_frequency_fails_detection_fidelity():
    # the lab's calibration of the qubit drive is 300 kHz off resonance
    cal = {"ca40.drive.beam0.frequency": 80.3e6}
    t = broken("ca40", calibrations=cal)
    with pytest.raises(checks.CheckFailed, match="detection fidelity: measured"):
        checks.check_detection_fidelity(t, shots=100)


def test_missing_slack_model_fails_the_underflow_check():
    t = broken("ca40", slack={"enabled": False})
    with pytest.raises(checks.CheckFailed, match="expected RTIOUnderflow"):
        checks.check_underflow(t, t.trap.HIL_DEVICES["ttl"])
