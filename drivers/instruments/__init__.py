"""Drivers of the slow lab instruments beside the real-time crate, over VISA.

One driver a module, as in ``artiq.coredevice``:

- ``rf_generator.RFGenerator``: SCPI RF signal generator (trap RF, microwaves);
- ``ascii_synth.AsciiSynth``: synthesizer with a Windfreak/Valon-style ASCII
  protocol, behind the same ``synthesizer.Synthesizer`` interface;
- ``power_supply.PowerSupply``: SCPI DC supply (atomic oven current).

Each has safety limits from its configuration, a pyvisa-sim model in ``sim/``
(``simulation=True``) and an ARTIQ controller ``aqctl_<name>``. This module
imports neither pyvisa nor sipyco, so a device database can use
``controller_entry()`` and ``controller_entries()`` anywhere.
"""
import math
import numbers
from typing import Any

from .errors import (InstrumentConnectionError, InstrumentDriverError, InstrumentError,
                     InstrumentReplyError, InstrumentTimeout, SafetyLimitError)

# Safety-limit keyword argument of a driver -> the controller's option that sets it.
# Written out rather than read from the parsers, which would import pyvisa; a test
# parses every option back with the controller's own parser.
_SYNTHESIZER_LIMITS = {
    "min_frequency": "--min-frequency",
    "max_frequency": "--max-frequency",
    "min_power_dbm": "--min-power",
    "max_power_dbm": "--max-power",
    "max_power_step_db": "--max-power-step",
}
_SUPPLY_LIMITS = {
    "max_voltage": "--max-voltage",
    "max_current": "--max-current",
    "max_current_step": "--max-current-step",
}
# Ramp limits may be None (no ramp limit), which their options take as 'none'.
_MAY_BE_NONE = {"max_power_step_db", "max_current_step"}

#: Device-database name -> console script, default port, RPC target, driver (module,
#: class) and safety limits (driver keyword -> option) of each controller.
CONTROLLERS: dict[str, dict[str, Any]] = {
    "rf_generator": {"command": "aqctl_rf_generator", "port": 3270, "target": "rf_generator",
                     "driver": ("drivers.instruments.rf_generator", "RFGenerator"),
                     "limits": _SYNTHESIZER_LIMITS},
    "power_supply": {"command": "aqctl_power_supply", "port": 3271, "target": "power_supply",
                     "driver": ("drivers.instruments.power_supply", "PowerSupply"),
                     "limits": _SUPPLY_LIMITS},
    "ascii_synth": {"command": "aqctl_ascii_synth", "port": 3272, "target": "ascii_synth",
                    "driver": ("drivers.instruments.ascii_synth", "AsciiSynth"),
                    "limits": _SYNTHESIZER_LIMITS},
}


def _limit_text(controller, key, value):
    if value is None and key in _MAY_BE_NONE:
        return "none"
    if (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value)):
        return repr(float(value))  # repr: parses back to the very same float
    raise ValueError("controller {!r}: limit {}={!r} must be a finite number{}".format(
        controller, key, value, " or None" if key in _MAY_BE_NONE else ""))


def controller_entry(controller, resource, limits, port=None, host="::1"):
    """Device-database entry of one lab instrument served by a controller.

    :param controller: a key of ``CONTROLLERS``, e.g. ``"rf_generator"``.
    :param resource: the real instrument's VISA address, e.g.
        ``"TCPIP0::10.0.0.5::inst0::INSTR"``.
    :param limits: the safety limits, as the driver's keyword arguments, e.g.
        ``{"max_power_dbm": 7.0, "max_power_step_db": 1.0}``; limits not given keep
        the controller's defaults.
    :param port: TCP port of the controller (default: the controller's own).
    :param host: host the controller runs on (and ARTIQ's controller manager).

    The command runs the real instrument (no ``--simulation``) with ``limits`` as its
    options; ``sim_local`` gives the simulator (``control.sim.enable``) the driver with
    the same ``limits`` in simulation, so both refuse the same settings. ``{port}`` and
    ``{bind}`` are left for ARTIQ's controller manager to fill in.
    """
    try:
        spec = CONTROLLERS[controller]
    except KeyError:
        raise ValueError("unknown controller {!r}; known: {}".format(
            controller, ", ".join(CONTROLLERS))) from None
    unknown = sorted(set(limits) - set(spec["limits"]))
    if unknown:
        raise ValueError("controller {!r} has no limit(s) {}; it takes {}".format(
            controller, ", ".join(unknown), ", ".join(spec["limits"])))
    if not isinstance(resource, str) or not resource or resource != "".join(resource.split()):
        raise ValueError("controller {!r}: resource must be a VISA address without "
                         "spaces, not {!r}".format(controller, resource))
    words = [spec["command"], "-p {port} --bind {bind}", "--resource", resource]
    for key, value in limits.items():
        words += [spec["limits"][key], _limit_text(controller, key, value)]
    module, cls = spec["driver"]
    return {
        "type": "controller",
        "host": host,
        "port": spec["port"] if port is None else port,
        "target_name": spec["target"],
        "command": " ".join(words),
        "sim_local": {"module": module, "class": cls,
                      "arguments": dict(limits, simulation=True)},
    }


def controller_entries(names=None, host="::1", simulation=True, arguments=None):
    """Device-database entries of the controllers, for a system's device_db.

    :param names: which controllers (default: all of ``CONTROLLERS``).
    :param host: host the controllers run on (and ARTIQ's controller manager).
    :param simulation: add ``--simulation`` to the commands.
    :param arguments: dict name -> extra command-line text, e.g.
        ``{"power_supply": "--resource TCPIP0::10.0.0.6::inst0::INSTR --max-current 3"}``;
        required for each controller when ``simulation`` is False.

    ``{port}`` and ``{bind}`` are left for ARTIQ's controller manager to fill in.
    """
    arguments = dict(arguments or {})
    names = list(CONTROLLERS) if names is None else list(names)
    unknown = sorted(set(names) - set(CONTROLLERS)) + sorted(set(arguments) - set(names))
    if unknown:
        raise ValueError("unknown or unselected controller(s) {}; known: {}".format(
            ", ".join(unknown), ", ".join(CONTROLLERS)))
    entries = {}
    for name in names:
        spec = CONTROLLERS[name]
        command = "{} -p {{port}} --bind {{bind}}".format(spec["command"])
        if simulation:
            command += " --simulation"
        elif "--resource" not in arguments.get(name, ""):
            raise ValueError("controller {!r}: give its --resource in arguments when "
                             "simulation is False".format(name))
        if arguments.get(name):
            command += " " + arguments[name]
        entries[name] = {
            "type": "controller",
            "host": host,
            "port": spec["port"],
            "target_name": spec["target"],
            "command": command,
        }
    return entries


__all__ = ["CONTROLLERS", "controller_entry", "controller_entries",
           "InstrumentConnectionError", "InstrumentDriverError", "InstrumentError",
           "InstrumentReplyError", "InstrumentTimeout", "SafetyLimitError"]
