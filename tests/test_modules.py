"""The module system: keys, lazy building, device ownership, calibrations, lookup."""
import pytest

from control.lang import EnvExperiment, kernel, delay_mu
from control.modules import (CalibrationError, DeviceClaimError, Module, ModuleError,
                             Service, System, module)

DDB = {
    "core": {"type": "local", "module": "artiq.coredevice.core", "class": "Core",
             "arguments": {"host": None, "ref_period": 1e-9}},
    "pmt": {"type": "dummy"},
    "laser_sw": {"type": "dummy"},
    "detector": "pmt",  # an alias
}

BUILT: list[str] = []


class Counter:
    """A made-up interface."""


class Detection(Service, Counter):
    def build(self, pmt):
        BUILT.append(self.module_key)
        self.setattr_device(pmt, "pmt")

    def init(self):
        self.setattr_calibration("threshold", 2, min=0)
        self.setattr_calibration("window", to_mu=True)

    @kernel
    def detect(self):
        delay_mu(self.window)


class Cooling(Module):
    def build(self, switch):
        BUILT.append(self.module_key)
        self.setattr_device(switch, "switch")


class Greedy(Module):
    def build(self):
        BUILT.append(self.module_key)
        self.pmt = self.get_device("detector")  # alias of a device Detection owns


class Trap(System):
    system_name = "trap"
    detection = module(Detection, pmt="pmt")
    cooling = module(Cooling, switch="laser_sw")
    greedy = module(Greedy)


class Exp(EnvExperiment):
    def build(self):
        self.trap = Trap(self)

    def run(self):
        pass


@pytest.fixture(autouse=True)
def _clear():
    BUILT.clear()


def test_declared_modules_are_built_only_when_asked(sim_managers):
    exp = Exp(sim_managers(DDB))
    assert BUILT == []
    assert not exp.trap.is_built("detection")
    det = exp.trap.detection
    assert BUILT == ["trap.detection"]
    assert exp.trap.detection is det  # built once
    assert det.module_key == "trap.detection" and det.parent is exp.trap
    assert det.system is exp.trap
    report = exp.trap.link_report()
    assert [r["module"] for r in report["modules"]] == ["trap", "trap.detection"]
    assert report["not_linked"] == ["trap.cooling", "trap.greedy"]
    det_row = report["modules"][1]
    assert det_row["devices"] == ["pmt"]
    assert "pmt" in det_row["invariants"] and "core" in det_row["invariants"]


def test_find_by_interface_builds_the_service(sim_managers):
    exp = Exp(sim_managers(DDB))
    found = exp.trap.find(Counter)
    assert found is exp.trap.detection
    assert exp.trap.find_all(Counter) == [found]
    assert BUILT == ["trap.detection"]  # cooling not built for the search
    with pytest.raises(ModuleError, match="0 module"):
        exp.trap.find(dict)


def test_second_claim_on_a_device_names_both(sim_managers):
    exp = Exp(sim_managers(DDB))
    exp.trap.detection
    with pytest.raises(DeviceClaimError) as info:
        exp.trap.greedy
    msg = str(info.value)
    assert "'detector'" in msg and "alias of 'pmt'" in msg
    assert "trap.detection" in msg and "trap.greedy" in msg


def test_calibrations_read_at_prepare_and_folded(sim_managers):
    exp = Exp(sim_managers(DDB, datasets={"trap.detection.window": 100e-6}))
    det = exp.trap.detection
    assert not hasattr(det, "window")  # build reads no datasets
    exp.prepare()
    assert det.window == 100_000 and det.threshold == 2  # seconds -> mu once; default
    assert {"window", "threshold", "pmt", "core"} <= det.kernel_invariants
    det.detect()  # the kernel reads the folded value
    assert exp.trap.core.tm.now >= 100_000


def test_module_built_after_prepare_initializes_at_once(sim_managers):
    exp = Exp(sim_managers(DDB, datasets={"trap.detection.window": 1e-6}))
    exp.prepare()
    assert exp.trap.detection.window == 1000


def test_missing_calibration_is_a_clear_error(sim_managers):
    exp = Exp(sim_managers(DDB))
    exp.trap.detection
    with pytest.raises(CalibrationError) as info:
        exp.prepare()
    assert "trap.detection.window" in str(info.value) and "nobody set it" in str(info.value)


def test_calibration_out_of_range_and_negative_duration(sim_managers):
    exp = Exp(sim_managers(DDB, datasets={"trap.detection.window": -1e-6}))
    exp.trap.detection
    with pytest.raises(CalibrationError, match="cannot be negative"):
        exp.prepare()
    exp = Exp(sim_managers(DDB, datasets={"trap.detection.window": 1e-6,
                                          "trap.detection.threshold": -3}))
    exp.trap.detection
    with pytest.raises(CalibrationError, match=r"outside \[0, None\]"):
        exp.prepare()


def test_get_module_by_key_with_suggestions(sim_managers):
    exp = Exp(sim_managers(DDB))
    assert exp.trap.get_module("trap.cooling") is exp.trap.cooling
    assert exp.trap.get_module("detection") is exp.trap.detection
    with pytest.raises(ModuleError, match="closest: trap.cooling"):
        exp.trap.get_module("trap.colling")


def test_module_names_must_be_identifiers(sim_managers):
    exp = Exp(sim_managers(DDB))
    with pytest.raises(ModuleError):
        Cooling(exp.trap, "not a name", switch="laser_sw")
    with pytest.raises(TypeError):
        module(dict)


def test_nested_modules_get_dotted_keys(sim_managers):
    class Inner(Module):
        def build(self):
            pass

    class Outer(Module):
        def build(self):
            self.inner = Inner(self, "inner")

    exp = Exp(sim_managers(DDB))
    outer = Outer(exp.trap, "outer")
    assert outer.inner.module_key == "trap.outer.inner"
    assert exp.trap.get_module("trap.outer.inner") is outer.inner
    assert outer.inner.calibration_key("x") == "trap.outer.inner.x"
