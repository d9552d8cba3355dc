"""Calibrate a trap: maintain its calibration graph (``kernels.calibration``).

Run by the master (submit it from the dashboard; with "repeat every" it resubmits itself
at that interval, so a trap is kept calibrated) or by ``control calibrate``. A node is
checked when it is stale, recalibrated when out of spec, and a fit that fails its checks
writes nothing: the run then ends in an error that says which node and why, after the
summary table.
"""
import time

from control.calgraph import EnvironmentStore, Maintainer
from control.hal import OperationInterface
from control.lang import BooleanValue, EnumerationValue, EnvExperiment, NumberValue
from control.sim.simulation import SIM_DEVICE
from drivers import systems
from kernels.calibration.graph import CalibrationFailed, node_names, trap_graph
from kernels.calibration.measure import Measurement

__all__ = ["TrapMeasurements", "Calibrate"]


class TrapMeasurements:
    """What the calibration experiments share: the trap built afresh per measurement
    (``build_ops``) and the clock. Not an experiment itself (the master lists none)."""

    def build_ops(self, overrides):
        """The trap built afresh, ``overrides`` in place of its datasets, initialized;
        returns its operations."""
        trap = systems.build(self, self.system)
        trap.calibration_overrides = dict(overrides)
        ops = trap.find(OperationInterface)
        trap.prepare()
        return ops

    def clock(self, latest=0.0):
        """Seconds for freshness and provenance: the wall clock, or on a simulated crate
        simulated time (the simulated trap drifts in simulated time), which runs faster
        than the wall clock; it starts at the wall clock, or at ``latest`` (the last time
        the graph wrote) if that is later, so that time never runs backwards from one run
        to the next."""
        if SIM_DEVICE not in self.get_device_db():
            return time.time
        sim = self.get_device(SIM_DEVICE)
        start = max(time.time(), latest) - sim.timeline.cpu * sim.ref_period
        return lambda: start + sim.timeline.cpu * sim.ref_period


class Calibrate(TrapMeasurements, EnvExperiment):
    """Calibrate the trap"""

    def build(self):
        systems.setattr_system(self)
        self.setattr_argument("node", EnumerationValue(["all"] + node_names(), "all"),
                              group="Calibration",
                              tooltip="the calibration to maintain, with all it depends "
                                      "on (all: the whole graph)")
        self.setattr_argument("force", BooleanValue(False), group="Calibration",
                              tooltip="recalibrate the node (or every node) whatever its "
                                      "state; what it depends on is maintained as usual")
        self.setattr_argument("repeat_every", NumberValue(
            0.0, unit="min", scale=60, step=60, min=0.0, max=7 * 24 * 3600.0, precision=0),
            group="Calibration",
            tooltip="resubmit this experiment that long after it starts (0: run once)")
        self.setattr_device("scheduler")
        if self.trap is None:
            return  # the master's repository scan: arguments are None, no trap to build
        self.nominal = systems.nominal_calibrations(self.system)

    def make_maintainer(self, store=None, settings=None):
        """The trap's graph over ``store`` (default: this run's datasets), and its
        maintainer; ``settings`` as ``trap_graph`` takes them."""
        store = EnvironmentStore(self) if store is None else store
        clock = self.clock(_latest_write(store))
        self.measurement = Measurement(self, self.build_ops, self.system,
                                       self.trap.calibration_roles, store, self.nominal,
                                       clock=clock, on_scan=self.on_scan)
        if isinstance(store, EnvironmentStore):
            # Written with the unit the modules declare (the dashboard shows it).
            ops = self.measurement.ops()
            store.units = {key: spec.unit
                           for key, spec in ops.system.registry.calibrations.items()
                           if spec.unit}
        graph = trap_graph(self.measurement, settings)
        return Maintainer(graph, store, clock=clock, rid=self.scheduler.rid,
                          progress=self.on_progress)

    def on_progress(self, event):
        """A line per check and calibration (the master logs it), and the progress as a
        dataset for the dashboard."""
        self.set_dataset("calibration.progress", [event.done, event.total], broadcast=True,
                         archive=False)
        if event.action is not None and event.step != "done":
            action = event.action
            print("[{}/{}] {}: {}{}".format(event.done + 1, event.total, event.node,
                                            action.state,
                                            " ({})".format(action.detail) if action.detail
                                            else ""))

    def on_scan(self, node, what, done, total):
        """Each point of a parameter scan, as a dataset for the dashboard."""
        self.set_dataset("calibration.scan", [done, total], broadcast=True, archive=False)

    def run(self):
        if self.repeat_every > 0:
            # Resubmitted first: a failed calibration must not stop the maintenance.
            self.scheduler.submit(self.scheduler.pipeline_name, self.scheduler.expid,
                                  self.scheduler.priority,
                                  time.time() + self.repeat_every, False)
        self.maintainer = self.make_maintainer()
        target = None if self.node == "all" else self.node
        if target is not None and target not in self.maintainer.graph:
            raise CalibrationFailed("{} has no calibration node {!r}; it has {}".format(
                self.system, target, ", ".join(self.maintainer.graph.names)))
        self.report = self.maintainer.maintain(target, force=self.force)
        table = self.report.summary_table()
        self.set_dataset("calibration.report", table.splitlines(), broadcast=True)
        print(table)
        if not self.report.ok:
            blocked = {a.node for a in self.report.actions if a.state == "blocked"}
            refused = ["{}: {}".format(node, why) for node, why in self.report.failed.items()
                       if node not in blocked]
            raise CalibrationFailed("; ".join(refused) + (
                "; not maintained behind it: {}".format(", ".join(sorted(blocked)))
                if blocked else ""))


def _latest_write(store):
    """The latest time the calibration graph recorded in ``store`` (0 if none)."""
    from control.calgraph import STATE_PREFIX, NodeState
    latest = 0.0
    for name in node_names():
        state = NodeState.from_dataset(store.get(STATE_PREFIX + name))
        for t in (state.calibrated, state.checked):
            if t is not None:
                latest = max(latest, t)
    return latest
