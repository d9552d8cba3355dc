"""A trap's calibration graph, from the roles its system declares.

::

    detection ──> qubit_frequencies ──> pi_time
        └──────> ms_detuning ──> ms_gate_time

Detection comes first (every other node reads bits); it needs no calibrated drive, since
its histograms are fitted as a mixture. The π time is measured on resonance, so after the
frequencies; the MS gate time after the detuning that closes the gate's loop. A trap
without a role has no node for it (and nothing downstream of it that needs it).
"""
from control.calgraph import Graph

from kernels.calibration.measure import NODE_NAMES
from kernels.calibration.nodes import (
    DetectionThreshold, MsDetuning, MsGateTime, PiTime, QubitFrequencies)

__all__ = ["NODE_CLASSES", "CalibrationFailed", "trap_graph", "node_names"]

class CalibrationFailed(Exception):
    """A run of the graph ended with nodes refused or blocked: nothing of them was
    written (what was calibrated before stays)."""


#: The node classes, in the order the graph lists them.
NODE_CLASSES = (DetectionThreshold, QubitFrequencies, PiTime, MsDetuning, MsGateTime)


def node_names():
    """The names every trap's graph may have, in order (``measure.NODE_NAMES``)."""
    names = [cls.name for cls in NODE_CLASSES]
    assert tuple(names) == NODE_NAMES, "NODE_NAMES is out of date"
    return names


def trap_graph(measurement, settings=None):
    """The calibration graph of the trap ``measurement`` measures: a node for each role it
    declares whose dependencies it has too. ``settings`` maps a node name to keyword
    arguments of its class (shots, tolerances, ``timeout``)."""
    settings = dict(settings or {})
    unknown = set(settings) - set(node_names())
    if unknown:
        raise ValueError("no calibration node(s) {}; known: {}".format(
            ", ".join(sorted(unknown)), ", ".join(node_names())))
    nodes = []
    for cls in NODE_CLASSES:
        if not measurement.has(cls.role):
            continue
        if any(dep not in [n.name for n in nodes] for dep in cls.depends):
            continue
        nodes.append(cls(measurement, **settings.get(cls.name, {})))
    return Graph(nodes)
