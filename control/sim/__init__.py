"""The simulated backend: the same experiments, no hardware, no ARTIQ.

``enable(device_db)`` rewrites a real device database so that every ``local`` ARTIQ driver
is replaced by its simulated twin (same arguments, plus per-device ``sim_args``),
controllers move to loopback with ``--simulation`` and without the real instrument's
``--resource``/``--backend`` (or, when their entry has ``sim_local``, run in-process as that
local driver in simulation, the command kept under ``controller``), and a ``control_sim``
entry carries the sim config (seed, VCD path, slack costs, ion model). ``control run --sim``
uses it; each trap's ``device_db_sim.py`` is such a database, written for ``artiq_run`` and
``artiq_master`` (their calibrations come from the dataset DB: ``control calibrations``).
"""
import copy
import logging
import re

from control.device_db import resolve_alias
from control.errors import DeviceDBError
from control.sim.simulation import SIM_DEVICE, Simulation

logger = logging.getLogger(__name__)

__all__ = ["enable", "current", "resolve", "sim_datasets", "DRIVER_MAP", "SIM_DEVICE", "Simulation"]

_DEV = "control.sim.devices."

# ARTIQ driver (module, class) -> simulated twin (module, class).
DRIVER_MAP = {
    ("artiq.coredevice.core", "Core"): (_DEV + "core", "Core"),
    ("artiq.coredevice.ttl", "TTLOut"): (_DEV + "ttl", "TTLOut"),
    ("artiq.coredevice.ttl", "TTLInOut"): (_DEV + "ttl", "TTLInOut"),
    ("artiq.coredevice.ttl", "TTLClockGen"): (_DEV + "ttl", "TTLClockGen"),
    ("artiq.coredevice.edge_counter", "EdgeCounter"): (_DEV + "edge_counter", "EdgeCounter"),
    ("artiq.coredevice.urukul", "CPLD"): (_DEV + "urukul", "CPLD"),
    ("artiq.coredevice.ad9910", "AD9910"): (_DEV + "ad9910", "AD9910"),
    ("artiq.coredevice.ad9912", "AD9912"): (_DEV + "ad9912", "AD9912"),
    ("artiq.coredevice.dma", "CoreDMA"): (_DEV + "dma", "CoreDMA"),
    ("artiq.coredevice.cache", "CoreCache"): (_DEV + "cache", "CoreCache"),
}
GENERIC = (_DEV + "generic", "Generic")


# Options that point a controller at a real instrument: its address and VISA library.
_REAL_INSTRUMENT_OPTIONS = re.compile(r"\s+--(resource|backend)(=|\s+)\S+")


#: ARTIQ's proxies of the core device's own ports (log, monitoring/injection, analyzer): a
#: simulated crate has no core device behind them, so its twin drops them (the dashboard
#: would otherwise try their ports, and log an error every few seconds).
CORE_DEVICE_PROXIES = ("aqctl_corelog", "aqctl_moninj_proxy", "aqctl_coreanalyzer_proxy")


def _is_core_device_proxy(desc):
    command = desc.get("command") or ""
    return command.split()[:1] and command.split()[0] in CORE_DEVICE_PROXIES


def _rewrite_controller(name, desc):
    desc = dict(desc)
    desc["host"] = "::1"
    command = desc.get("command")
    if command:
        # A simulated instrument has its own address and library: the lab's address
        # would not be found in the simulation, and --backend refuses --simulation.
        command = _REAL_INSTRUMENT_OPTIONS.sub("", command)
        if "--simulation" not in command:
            command += " --simulation"
        # Bind to loopback only, whatever the lab's entry says.
        desc["command"] = re.sub(r"--bind\s+\S+", "--bind ::1", command)
    return desc


def resolve(device_db, name):
    """The device-database entry name behind an alias chain
    (:func:`control.device_db.resolve_alias`), for the simulator's configuration: a
    ``KeyError`` when the entry is missing, a ``ValueError`` for an alias loop."""
    try:
        name = resolve_alias(device_db, name)
    except DeviceDBError as exc:
        raise ValueError(str(exc)) from None
    if name not in device_db:
        raise KeyError("device {!r} is not in the device database".format(name))
    return name


def enable(device_db, *, seed=None, vcd=None, slack=None, model=None, history_limit=None,
           ref_period=None, datasets=None, faults=None):
    """A simulated copy of ``device_db`` (the original is not changed).

    Keyword arguments fill the ``control_sim`` config entry; a ``control_sim`` entry
    already in the database (a system's sim config) provides the defaults and these
    override it where given. ``datasets`` are the calibrations a simulated run reads when
    no dataset database gives them (``control run --sim`` uses them).
    """
    ddb = copy.deepcopy(device_db)
    config = {}
    existing = ddb.get(SIM_DEVICE)
    if isinstance(existing, dict):
        config.update(existing.get("arguments", {}))
    for key, value in (("seed", seed), ("vcd", vcd), ("slack", slack), ("model", model),
                       ("history_limit", history_limit), ("datasets", datasets),
                       ("faults", faults)):
        if value is not None:
            config[key] = value
    for name, desc in list(ddb.items()):
        if name == SIM_DEVICE or not isinstance(desc, dict):
            continue  # aliases resolve to rewritten entries
        ty = desc.get("type")
        if ty == "local":
            twin = DRIVER_MAP.get((desc.get("module"), desc.get("class")))
            if twin is None:
                if str(desc.get("module", "")).startswith("control.sim."):
                    continue  # already simulated
                twin = GENERIC
                logger.info("device %r (%s.%s) has no simulated twin; using the generic "
                            "logging device", name, desc.get("module"), desc.get("class"))
            arguments = dict(desc.get("arguments", {}))
            arguments.update(desc.get("sim_args", {}))
            arguments["_key"] = name
            if twin == GENERIC:
                arguments["_driver"] = "{}.{}".format(desc.get("module"), desc.get("class"))
            new = {"type": "local", "module": twin[0], "class": twin[1],
                   "arguments": arguments}
            if name == "core" or twin[1] == "Core":
                arguments.pop("analyzer_proxy", None)  # dropped with the proxies below
                ref = arguments.get("ref_period")
                if ref is not None and ref_period is None:
                    config.setdefault("ref_period", ref)
            ddb[name] = new
        elif ty == "controller":
            if _is_core_device_proxy(desc):
                del ddb[name]
            elif "sim_local" in desc:
                # Run the instrument's driver in-process, in simulation, no sipyco needed.
                local = dict(desc["sim_local"])
                ddb[name] = {"type": "local", "module": _DEV + "local_controller",
                             "class": "LocalController",
                             "arguments": {"module": local["module"],
                                           "cls": local["class"],
                                           "arguments": dict(local.get("arguments", {})),
                                           "_key": name}}
                if desc.get("command"):
                    # The same instrument as a simulated controller process, for a lab
                    # that starts it (the controller manager skips local entries).
                    ddb[name]["controller"] = _rewrite_controller(
                        name, {k: v for k, v in desc.items() if k != "sim_local"})
            else:
                ddb[name] = _rewrite_controller(name, desc)
    if ref_period is not None:
        config["ref_period"] = ref_period
    ddb[SIM_DEVICE] = {"type": "local", "module": "control.sim.simulation",
                       "class": "Simulation", "arguments": config}
    return ddb


def current(device_mgr):
    """The :class:`Simulation` of a device manager built over a simulated database."""
    return device_mgr.get(SIM_DEVICE)


def sim_datasets(device_db):
    """The default datasets (calibrations) a simulated device database carries."""
    entry = device_db.get(SIM_DEVICE)
    if not isinstance(entry, dict):
        return {}
    return dict(entry.get("arguments", {}).get("datasets") or {})
