"""Drivers of the slow lab instruments beside the real-time crate, over VISA.

One driver a module, as in ``artiq.coredevice``:

- ``rf_generator.RFGenerator``: SCPI RF signal generator (trap RF, microwaves);
- ``ascii_synth.AsciiSynth``: synthesizer with a Windfreak/Valon-style ASCII
  protocol, behind the same ``synthesizer.Synthesizer`` interface;
- ``power_supply.PowerSupply``: SCPI DC supply (atomic oven current).

Each has safety limits from its configuration, a pyvisa-sim model in ``sim/``
(``simulation=True``) and an ARTIQ controller ``aqctl_<name>``. This module
imports neither pyvisa nor sipyco, so a device database can use
``controller_entries()`` anywhere.
"""
from .errors import (InstrumentConnectionError, InstrumentDriverError, InstrumentError,
                     InstrumentReplyError, InstrumentTimeout, SafetyLimitError)

#: Device-database name -> console script, default port and RPC target of each controller.
CONTROLLERS = {
    "rf_generator": {"command": "aqctl_rf_generator", "port": 3270, "target": "rf_generator"},
    "power_supply": {"command": "aqctl_power_supply", "port": 3271, "target": "power_supply"},
    "ascii_synth": {"command": "aqctl_ascii_synth", "port": 3272, "target": "ascii_synth"},
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


__all__ = ["CONTROLLERS", "controller_entries", "InstrumentConnectionError",
           "InstrumentDriverError", "InstrumentError", "InstrumentReplyError",
           "InstrumentTimeout", "SafetyLimitError"]
