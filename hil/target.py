"""Where the HIL checks run: a real crate or a trap's simulated twin.

The environment chooses. ``CONTROL_HIL_DEVICE_DB`` (or ARTIQ's convention, ``ARTIQ_ROOT``
naming a folder with ``device_db.py``) points at a real crate's device database, and
``CONTROL_HIL_SYSTEM`` names the trap it holds; calibrations come from the PYON/JSON file
in ``CONTROL_HIL_DATASET_DB``. Without them, every installed system's simulated twin is
checked.
"""
import os

from control import pyon
from control.device_db import load_device_db
from control.hal import OperationInterface
from control.lang import EnvExperiment
from control.managers import ArgumentManager, DatasetManager, DeviceManager
from control.virtual_devices import CCB, Scheduler
from drivers import systems

__all__ = ["targets", "HilTarget", "MissingDevice", "HilEnv"]

DDB_ENV = "CONTROL_HIL_DEVICE_DB"
SYSTEM_ENV = "CONTROL_HIL_SYSTEM"
DATASETS_ENV = "CONTROL_HIL_DATASET_DB"


class MissingDevice(LookupError):
    """A check needs a device the crate does not have (the check is skipped)."""


def hardware_device_db():
    path = os.environ.get(DDB_ENV)
    if not path and os.environ.get("ARTIQ_ROOT"):
        path = os.path.join(os.environ["ARTIQ_ROOT"], "device_db.py")
    return path or None


def targets():
    """``[(system, device_db_path or None), ...]``: the real crate, or every simulated
    system."""
    path = hardware_device_db()
    if path is None:
        return [(name, None) for name in systems.names()]
    system = os.environ.get(SYSTEM_ENV)
    if system not in systems.names():
        raise RuntimeError("{} points at a crate: set {} to the trap it holds ({})".format(
            DDB_ENV, SYSTEM_ENV, ", ".join(systems.names())))
    return [(system, path)]


class HilEnv(EnvExperiment):
    """The experiment the checks run in: the trap, its operations, and the core."""

    def build(self, system):
        self.trap = systems.build(self, system)
        self.ops = self.trap.find(OperationInterface)
        self.core = self.ops.core

    def run(self):
        pass


class HilTarget:
    """One trap to check: builds it over the real or simulated crate."""

    def __init__(self, system, device_db=None, sim_options=None, calibrations=None):
        self.system = system
        self.hardware = device_db is not None
        if self.hardware:
            ddb = load_device_db(device_db)
            datasets = {}
            if os.environ.get(DATASETS_ENV):
                with open(os.environ[DATASETS_ENV]) as f:
                    datasets = pyon.decode(f.read())
            self.label = "crate {}".format(device_db)
        else:
            from control.sim import enable
            sim_options = dict(sim_options or {})
            faults = sim_options.pop("faults", None)
            options = systems.sim_config(system, **sim_options)
            ddb = enable(load_device_db(systems.device_db_path(system)), faults=faults,
                         **options)
            datasets = options["datasets"]
            self.label = "simulator"
        datasets = dict(datasets, **(calibrations or {}))
        self.ddb = ddb
        self.dmgr = DeviceManager(ddb, {"scheduler": Scheduler(), "ccb": CCB()},
                                  source=self.label)
        self.datasets = DatasetManager(datasets)
        self.env = HilEnv((self.dmgr, self.datasets, ArgumentManager({}), {}), system)
        self.env.prepare()
        self.trap = self.env.trap
        self.ops = self.env.ops
        self.core = self.env.core

    @property
    def sim(self):
        return None if self.hardware else self.dmgr.get("control_sim")

    def require(self, device):
        """The resolved name of ``device``, or ``MissingDevice`` naming it."""
        name = device
        seen = set()
        while isinstance(self.ddb.get(name), str) and name not in seen:
            seen.add(name)
            name = self.ddb[name]
        if name not in self.ddb:
            raise MissingDevice("device {!r} is not in the {}".format(device, self.label))
        return name

    def versions(self):
        from control import lang
        from control.results import project_version
        out = {"control": project_version(), "target": self.label}
        if lang.ARTIQ:
            from importlib.metadata import version
            out["artiq"] = version("artiq")
        return out

    def close(self):
        self.dmgr.close_devices()
