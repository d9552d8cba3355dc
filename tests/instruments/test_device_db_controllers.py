"""The lab instruments' entries in each trap's device database, checked with the
controllers' own command-line parsers and the drivers on pyvisa-sim (no ARTIQ, no sipyco).

The hardware entry runs the real instrument with the trap's safety limits; its ``sim_local``
and the simulated twin carry the same limits. The limits admit the trap's calibrated
operating point (``sim.py`` ``CALIBRATIONS``) and refuse anything just beyond them, with
nothing sent to the instrument.
"""
import importlib
import math
import os
import shlex
import sys

import pytest
from pyvisa import rname

from control.device_db import load_device_db
from control.managers import DeviceManager
from control.sim import enable
from drivers import systems
from drivers.instruments import CONTROLLERS, SafetyLimitError, _controller, controller_entry
from drivers.instruments.power_supply import PowerSupply

#: console script -> the controller's module (its parser, driver and limit mapping)
SCRIPTS = {spec["command"]: importlib.import_module("drivers.instruments." + spec["command"])
           for spec in CONTROLLERS.values()}

# "Just beyond" a limit: far below any setting's meaning, far above rounding.
BEYOND = {"Hz": 1.0, "dBm": 1e-3, "A": 1e-3, "V": 1e-3}


def hardware_ddb(trap):
    return load_device_db(systems.device_db_path(trap))


def twin_ddb(trap):
    return load_device_db(os.path.join(os.path.dirname(systems.device_db_path(trap)),
                                       "device_db_sim.py"))


def instrument_names(ddb):
    """Entries that start one of this project's controllers (not ARTIQ's own)."""
    return sorted(name for name, desc in ddb.items()
                  if isinstance(desc, dict) and desc.get("type") == "controller"
                  and shlex.split(desc.get("command") or "")[:1] in ([s] for s in SCRIPTS))


def parse(command, port=3999, bind="::1"):
    """``(controller module, args)``: the command line as ARTIQ's controller manager would
    start it ({port} and {bind} filled in), parsed and checked by the controller itself."""
    argv = shlex.split(command.format(port=port, bind=bind))
    script = SCRIPTS[argv[0]]
    parser = script.get_argparser()
    args = parser.parse_args(argv[1:])
    _controller.check_instrument_args(parser, args)
    return script, args


def operating_point(trap, name):
    """The calibrations of the trap's module that drives instrument ``name``,
    e.g. ``{"frequency": 20e6, "power": 5.0}``."""
    modules = [module for module, declared
               in systems.system_class(trap).declared_modules().items()
               if declared.kwargs.get("device") == name]
    assert len(modules) == 1, "{}: modules driving {!r}: {}".format(trap, name, modules)
    prefix = "{}.{}.".format(trap, modules[0])
    calibrations = importlib.import_module(systems.SYSTEMS[trap] + ".sim").CALIBRATIONS
    return {key[len(prefix):]: value for key, value in calibrations.items()
            if key.startswith(prefix)}


CASES = [(trap, name) for trap in systems.names() for name in instrument_names(hardware_ddb(trap))]


def test_every_trap_has_its_instruments():
    assert ("yb171", "mw_synth") in CASES
    for trap in systems.names():
        assert {"trap_rf", "oven"} <= {n for t, n in CASES if t == trap}


# ---- the entries


@pytest.mark.parametrize("trap, name", CASES)
def test_hardware_entry_runs_the_real_instrument_with_limits(trap, name):
    entry = hardware_ddb(trap)[name]
    assert "--simulation" not in shlex.split(entry["command"])
    script, args = parse(entry["command"])
    assert args.simulation is False and args.backend == ""
    rname.parse_resource_name(args.resource)  # a VISA address (the lab puts its own)
    assert entry["target_name"] == script.TARGET
    # The trap sets every limit but the lowest power (the model's own minimum is the floor
    # TrapRf.ramp_down goes to): none is left to a controller default that may not fit.
    given = {word for word in shlex.split(entry["command"]) if word.startswith("--")}
    options = next(spec["limits"] for spec in CONTROLLERS.values()
                   if spec["command"] == script.PROG)
    assert set(options.values()) - given <= {"--min-power"}
    local = entry["sim_local"]
    assert (local["module"], local["class"]) == (script.DRIVER.__module__,
                                                 script.DRIVER.__name__)
    sim_arguments = dict(local["arguments"])
    assert sim_arguments.pop("simulation") is True
    assert "resource" not in sim_arguments and "backend" not in sim_arguments
    limits = script.limit_kwargs(args)
    assert sim_arguments == {key: limits[key] for key in sim_arguments}
    # What the command line leaves at the controller's default is the driver's default too.
    with script.DRIVER(**local["arguments"]) as simulated, \
            script.DRIVER(**limits, simulation=True) as from_command:
        assert simulated.limits() == from_command.limits()


@pytest.mark.parametrize("trap, name", CASES)
def test_sim_twin_runs_the_same_limits_in_simulation(trap, name):
    hardware = hardware_ddb(trap)[name]
    twin = twin_ddb(trap)
    entry = twin[name]
    # In-process, as control run --sim and artiq_run on the twin use it.
    assert (entry["type"], entry["class"]) == ("local", "LocalController")
    assert entry["arguments"]["module"] == hardware["sim_local"]["module"]
    assert entry["arguments"]["cls"] == hardware["sim_local"]["class"]
    assert entry["arguments"]["arguments"] == hardware["sim_local"]["arguments"]
    # As a controller process on loopback: simulated, same limits, no real address.
    controller = entry["controller"]
    assert controller["type"] == "controller" and controller["host"] == "::1"
    assert (controller["port"], controller["target_name"]) == (hardware["port"],
                                                               hardware["target_name"])
    script, args = parse(controller["command"])
    assert args.simulation is True and args.resource is None and args.backend == ""
    assert args.bind == ["::1"]
    _, hardware_args = parse(hardware["command"])
    assert script.limit_kwargs(args) == script.limit_kwargs(hardware_args)
    # The twin's device builds the driver with those limits.
    dmgr = DeviceManager(twin)
    try:
        device = dmgr.get(name)
        with script.DRIVER(**script.limit_kwargs(hardware_args), simulation=True) as real:
            assert device.limits() == real.limits()
    finally:
        dmgr.close_devices()


# ---- the limits against the trap's operating point, on a simulated instrument


class Refusals:
    """Checks that an action is refused by the driver's limits with nothing sent."""

    def __init__(self, driver, recorder):
        self.driver = driver
        self.recorder = recorder

    def __call__(self, action, *args):
        before = self.driver.status()
        sent = len(self.recorder.writes)
        with pytest.raises(SafetyLimitError, match="refused.*nothing was sent"):
            action(*args)
        assert self.recorder.writes[sent:] == []
        assert self.driver.status() == before


@pytest.mark.parametrize("trap, name", CASES)
def test_limits_admit_the_operating_point_and_refuse_beyond(trap, name, open_driver,
                                                            record):
    script, args = parse(hardware_ddb(trap)[name]["command"])
    driver = open_driver(script.DRIVER, **script.limit_kwargs(args))
    refused = Refusals(driver, record(driver))
    point = operating_point(trap, name)
    if isinstance(driver, PowerSupply):
        _check_supply(driver, point, refused)
    else:
        _check_synthesizer(driver, point, refused)


def _check_synthesizer(synth, point, refused):
    frequency, power = point["frequency"], point["power"]
    limits = synth.limits()
    step = limits["max_power_step_db"]
    # Inside the limits, with at least one ramp step of headroom in power.
    assert limits["min_frequency_hz"] < frequency < limits["max_frequency_hz"]
    assert limits["max_power_dbm"] - power >= step - 1e-9
    # The operating point, set as the trap's module sets it (TrapRf, MicrowaveSource).
    synth.set_frequency(frequency)
    assert synth.ramp_power(power) == pytest.approx(power)
    synth.set_output(True)
    assert (synth.get_frequency(), synth.get_power(), synth.get_output()) == \
        (pytest.approx(frequency, abs=1.0), pytest.approx(power), True)
    # Each limit is admitted exactly, and a hair beyond it is refused.
    for bound, sign in (("min_frequency_hz", -1), ("max_frequency_hz", +1)):
        synth.set_frequency(limits[bound])
        refused(synth.set_frequency, limits[bound] + sign * BEYOND["Hz"])
    synth.set_frequency(frequency)
    refused(synth.set_power, power - step - BEYOND["dBm"])  # a jump just over one step
    synth.set_power(power - step)
    synth.set_power(power)
    assert synth.ramp_power(limits["max_power_dbm"]) == pytest.approx(limits["max_power_dbm"])
    refused(synth.set_power, limits["max_power_dbm"] + BEYOND["dBm"])
    synth.ramp_power(power)
    refused(synth.ramp_power, limits["max_power_dbm"] + BEYOND["dBm"])
    assert (synth.get_frequency(), synth.get_power(), synth.get_output()) == \
        (pytest.approx(frequency, abs=1.0), pytest.approx(power), True)


def _check_supply(supply, point, refused):
    current = point["current"]
    limits = supply.limits()
    step = limits["max_current_step_a"]
    assert 0 < current and limits["max_current_a"] - current >= step - 1e-9
    # The compliance voltage: admitted up to its limit.
    supply.set_voltage(limits["max_voltage_v"])
    refused(supply.set_voltage, limits["max_voltage_v"] + BEYOND["V"])
    # The operating point, set as the Oven module sets it: output on at 0 A, then ramp.
    supply.set_output(True)
    assert supply.ramp_current(current) == pytest.approx(current)
    refused(supply.set_current, current - step - BEYOND["A"])  # a jump just over one step
    supply.set_current(current - step)
    supply.set_current(current)
    assert supply.ramp_current(limits["max_current_a"]) == \
        pytest.approx(limits["max_current_a"])
    refused(supply.set_current, limits["max_current_a"] + BEYOND["A"])
    supply.ramp_current(current)
    refused(supply.ramp_current, limits["max_current_a"] + BEYOND["A"])
    assert (supply.get_current(), supply.get_output()) == (pytest.approx(current), True)


# ---- the pieces: controller_entry, the parsers without sipyco, the simulator's rewrite


@pytest.mark.parametrize("controller", sorted(CONTROLLERS))
def test_every_limit_option_parses_back_to_the_same_value(controller):
    spec = CONTROLLERS[controller]
    # Distinct, awkward values: a mix-up of two options or a lossy format shows.
    limits = {key: 1.0 + i / 7 + (1e9 if "frequency" in key else 0)
              for i, key in enumerate(spec["limits"])}
    entry = controller_entry(controller, "TCPIP0::192.0.2.1::inst0::INSTR", limits)
    script, args = parse(entry["command"])
    assert script.PROG == spec["command"]
    assert script.limit_kwargs(args) == limits
    assert entry["sim_local"]["arguments"] == dict(limits, simulation=True)
    # A ramp limit may be switched off, on the command line as in the driver.
    step = next(key for key in spec["limits"] if "step" in key)
    entry = controller_entry(controller, "ASRL1::INSTR", {step: None})
    assert script.limit_kwargs(parse(entry["command"])[1])[step] is None
    assert entry["sim_local"]["arguments"][step] is None


def test_controller_entry_refuses_what_would_not_start():
    resource = "TCPIP0::192.0.2.1::inst0::INSTR"
    with pytest.raises(ValueError, match="no limit.*max_current.*takes min_frequency"):
        controller_entry("rf_generator", resource, {"max_current": 1.0})
    with pytest.raises(ValueError, match="unknown controller 'oven'"):
        controller_entry("oven", resource, {})
    for bad in (True, math.nan, math.inf, "5", None):
        with pytest.raises(ValueError, match="max_power_dbm=.* must be a finite number"):
            controller_entry("rf_generator", resource, {"max_power_dbm": bad})
    for bad in ("", "TCPIP0::10.0.0.5 ::INSTR", None):
        with pytest.raises(ValueError, match="resource must be a VISA address"):
            controller_entry("rf_generator", bad, {})


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_parser_builds_without_sipyco(monkeypatch, script):
    for module in ("sipyco", "sipyco.common_args", "sipyco.pc_rpc"):
        monkeypatch.setitem(sys.modules, module, None)  # makes the import fail
    assert _controller.parser_common_args() is _controller.STAND_IN_COMMON_ARGS
    args = SCRIPTS[script].get_argparser().parse_args(
        ["-p", "3300", "--bind", "::1", "--bind", "10.0.0.2", "--no-localhost-bind", "-vv",
         "-q", "--simulation"])
    assert (args.port, args.bind, args.no_localhost_bind, args.verbose, args.quiet) == \
        (3300, ["::1", "10.0.0.2"], True, 2, 1)
    defaults = SCRIPTS[script].get_argparser().parse_args(["--simulation"])
    assert (defaults.port, defaults.bind, defaults.no_localhost_bind) == \
        (SCRIPTS[script].DEFAULT_PORT, [], False)


def test_simulator_drops_the_real_instrument_from_a_controller_command():
    entry = {"type": "controller", "host": "10.0.0.2", "port": 3271,
             "target_name": "power_supply",
             "command": "aqctl_power_supply -p {port} --bind {bind} "
                        "--resource=TCPIP0::10.0.0.6::inst0::INSTR --backend @py "
                        "--max-current 3.0 --max-current-step 0.25"}
    rewritten = enable({"oven": entry})["oven"]
    assert rewritten["host"] == "::1"
    assert rewritten["command"] == ("aqctl_power_supply -p {port} --bind ::1 "
                                    "--max-current 3.0 --max-current-step 0.25 --simulation")
    script, args = parse(rewritten["command"])
    assert args.simulation and args.resource is None and args.backend == ""
    assert script.limit_kwargs(args)["max_current"] == 3.0
