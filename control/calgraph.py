"""The calibration graph: calibrations with dependencies, kept in spec by ``maintain``.

After Kelly et al., "Physical qubit calibration on a directed acyclic graph"
(arXiv:1803.03226). A :class:`Node` is one calibration: the dataset key(s) it owns, the
nodes it ``depends_on``, a ``timeout`` (seconds its value is trusted), a cheap ``check``
(a few points; returns :data:`IN_SPEC`, :data:`OUT_OF_SPEC` or :data:`BAD_DATA`) and a
full ``calibrate`` (returns :class:`Calibrated` with the new value(s) and their
uncertainty, or a :class:`Refusal` -- or raises :class:`CalibrationRefused` -- when the
fit fails its checks). A :class:`Graph` holds nodes and refuses cycles. A
:class:`Maintainer` walks a graph over a :class:`Store` (the datasets):

``maintain(node)``
    maintain the node's dependencies first; then, unless ``force``:

    - *fresh* (verified -- calibrated, or checked in spec -- within ``timeout``, no
      dependency recalibrated since, its values as the graph left them): nothing;
    - no value yet, or no ``check``: ``calibrate``;
    - else ``check``: in spec -> record the check; out of spec -> ``calibrate``; bad data
      -> ``diagnose``: each dependency (upstream first) is checked again, whatever its
      freshness, and recalibrated when out of spec, or diagnosed in turn and recalibrated
      when its data is bad; then the node is calibrated.

    A refused calibration writes nothing (no value, no provenance, no graph state for that
    node) and stops there: nothing downstream of it is checked or calibrated in that run,
    and the report says why. Independent branches are still maintained.

Nodes measure and return; only the maintainer writes, through the store. Nothing here
knows a trap: nodes are written per trap kind, in the layers above.

Persistence format (every dataset persistent)
---------------------------------------------

``<key>``
    the calibration value, as modules read it (a number, or a list of numbers).
``<key>.provenance``
    a dict: ``time`` (the maintainer's clock at the end of the calibration, seconds),
    ``rid`` (the run that calibrated it), ``node`` (the node's name), ``uncertainty`` (the
    fit's one-standard-deviation error, same shape as the value), ``previous`` (the value
    before, None if there was none), ``shots``, ``quality`` (the goodness-of-fit numbers
    the node returned, a dict, possibly empty).
``calgraph.<node name>``
    the graph's own state of a node (:class:`NodeState`): ``calibrated`` (time), ``rid``,
    ``checked`` and ``check`` (the last check kept, and its result), ``changed`` (when its
    values last changed as the graph saw them), ``values``, ``uncertainty`` and
    ``previous`` (key -> value dicts). A node the graph never saw has none.

Dict-valued datasets are not representable in HDF5: :class:`EnvironmentStore` persists
them without archiving them in the run's results (values themselves are archived).

Times come from the injectable ``clock`` (default :func:`time.time`); a simulated clock
gives simulated time throughout (freshness, provenance, durations in the report).
"""
from dataclasses import dataclass, field
import math
import numbers
import time

import numpy as np

from control.errors import closest_hint

__all__ = [
    "IN_SPEC", "OUT_OF_SPEC", "BAD_DATA", "CHECK_STATES",
    "FRESH", "CALIBRATED", "REFUSED", "BLOCKED", "ERROR",
    "Node", "CheckResult", "Calibrated", "Refusal", "CalibrationRefused",
    "Graph", "GraphError", "CycleError",
    "Store", "MemoryStore", "EnvironmentStore", "NodeState", "STATE_PREFIX",
    "PROVENANCE_SUFFIX", "Maintainer", "Action", "Report", "Progress",
]

# What a check finds.
IN_SPEC = "in spec"
OUT_OF_SPEC = "out of spec"
BAD_DATA = "bad data"
CHECK_STATES = (IN_SPEC, OUT_OF_SPEC, BAD_DATA)

# What else a report says of a node.
FRESH = "fresh"             # trusted: neither checked nor calibrated
CALIBRATED = "calibrated"   # new value(s) written
REFUSED = "refused"         # the calibration failed its checks: nothing written
BLOCKED = "blocked"         # not maintained: something it depends on failed
ERROR = "error"             # check or calibrate raised (the exception propagates)

STATE_PREFIX = "calgraph."
PROVENANCE_SUFFIX = ".provenance"


# ---- nodes and what they return

@dataclass
class CheckResult:
    """What a check found: ``state`` (one of :data:`CHECK_STATES`), the ``shots`` it
    took and a ``detail`` for the report. A check may also return the bare state."""
    state: str
    shots: int = 0
    detail: str = ""


@dataclass
class Calibrated:
    """A calibration that passed its checks: ``value`` and ``uncertainty`` (one standard
    deviation) -- bare for a node with one key, else dicts key -> value -- the ``shots``
    it took, ``quality`` (goodness of fit, kept in the provenance) and a ``detail``."""
    value: object
    uncertainty: object
    shots: int = 0
    quality: dict = field(default_factory=dict)
    detail: str = ""


@dataclass
class Refusal:
    """A calibration that failed its checks: why, and the shots it spent. Nothing is
    written."""
    reason: str
    shots: int = 0


class CalibrationRefused(Exception):
    """Raised by a calibration whose fit fails its checks (same as returning a
    :class:`Refusal`)."""

    def __init__(self, reason, shots=0):
        super().__init__(reason)
        self.reason = reason
        self.shots = shots


class Node:
    """One calibration.

    ``name``: the node's name, also its dataset key unless ``keys`` (a group of keys) is
    given. ``depends_on``: nodes or node names. ``timeout``: seconds a verified value is
    trusted (default: forever, until a dependency changes).

    ``check(values)`` and ``calibrate(values)`` receive the node's current values (a dict
    key -> value, None where there is none yet). Pass them as callables, or subclass and
    define them as methods. ``check`` returns a state of :data:`CHECK_STATES` or a
    :class:`CheckResult`; a node without one is calibrated whenever it is not fresh.
    ``calibrate`` returns :class:`Calibrated` or :class:`Refusal` (or raises
    :class:`CalibrationRefused`).
    """
    check = None
    calibrate = None

    def __init__(self, name, *, keys=None, depends_on=(), timeout=math.inf, check=None,
                 calibrate=None):
        if not isinstance(name, str) or not name:
            raise TypeError("a node's name is a non-empty string, not {!r}".format(name))
        self.name = name
        if keys is None:
            keys = (name,)
        elif isinstance(keys, str):
            keys = (keys,)
        self.keys = tuple(keys)
        if isinstance(depends_on, (str, Node)):
            depends_on = (depends_on,)
        self.depends_on = tuple(depends_on)
        if not isinstance(timeout, numbers.Real) or not timeout > 0:
            raise ValueError("node {!r}: timeout must be a positive number of seconds, not "
                             "{!r}".format(name, timeout))
        self.timeout = timeout
        if check is not None:
            self.check = check
        if calibrate is not None:
            self.calibrate = calibrate
        if not callable(self.calibrate):
            raise TypeError("node {!r} has no calibrate (pass calibrate= or define the "
                            "method)".format(name))
        if self.check is not None and not callable(self.check):
            raise TypeError("node {!r}: check must be callable".format(name))

    def __repr__(self):
        return "<{} {}>".format(type(self).__name__, self.name)


# ---- the graph

class GraphError(Exception):
    """A calibration graph that cannot be used as it is."""


class CycleError(GraphError):
    """Nodes that depend on each other in a circle; ``cycle`` names them, the first again
    at the end."""

    def __init__(self, cycle):
        self.cycle = list(cycle)
        super().__init__("the calibration graph has a cycle: {} (each depends on the "
                         "next)".format(" → ".join(self.cycle)))


class Graph:
    """Calibration nodes and their dependencies, checked to form a DAG.

    Nodes named in ``depends_on`` as :class:`Node` objects join the graph with the node
    that names them; names must be of nodes in the graph. Two nodes may not own the same
    dataset key. Iterating gives the nodes in topological order (dependencies first, else
    in the order given).
    """

    def __init__(self, nodes):
        self._nodes = {}
        pending = list(nodes)
        while pending:
            node = pending.pop(0)
            if not isinstance(node, Node):
                raise TypeError("a calibration graph holds Node objects, not {!r}".format(
                    node))
            known = self._nodes.get(node.name)
            if known is node:
                continue
            if known is not None:
                raise GraphError("two different nodes are named {!r}".format(node.name))
            self._nodes[node.name] = node
            pending.extend(d for d in node.depends_on if isinstance(d, Node))
        self._deps = {}
        for name, node in self._nodes.items():
            deps = []
            for dep in node.depends_on:
                dep_name = dep.name if isinstance(dep, Node) else dep
                if dep_name not in self._nodes:
                    raise GraphError("node {!r} depends on {!r}, which is not in the "
                                     "graph{}".format(name, dep_name,
                                                      closest_hint(str(dep_name),
                                                                   self._nodes)))
                if dep_name not in deps:
                    deps.append(dep_name)
            self._deps[name] = tuple(deps)
        owner = {}
        for name, node in self._nodes.items():
            for key in node.keys:
                if key in owner:
                    raise GraphError("nodes {!r} and {!r} both own dataset {!r}".format(
                        owner[key], name, key))
                owner[key] = name
        self._order = self._topological_order()
        self._index = {name: i for i, name in enumerate(self._order)}
        self._dependents = {name: [] for name in self._order}
        for name in self._order:
            for dep in self._deps[name]:
                self._dependents[dep].append(name)

    def _topological_order(self):
        order, state = [], {}

        def visit(name, path):
            if state.get(name) == "done":
                return
            if state.get(name) == "visiting":
                raise CycleError(path[path.index(name):] + [name])
            state[name] = "visiting"
            path.append(name)
            for dep in self._deps[name]:
                visit(dep, path)
            path.pop()
            state[name] = "done"
            order.append(name)

        for name in self._nodes:
            visit(name, [])
        return order

    def __contains__(self, name):
        return _name(name) in self._nodes

    def __getitem__(self, name):
        name = _name(name)
        try:
            return self._nodes[name]
        except KeyError:
            raise GraphError("no calibration node {!r}{}".format(
                name, closest_hint(str(name), self._nodes))) from None

    def __iter__(self):
        return (self._nodes[name] for name in self._order)

    def __len__(self):
        return len(self._order)

    @property
    def names(self):
        """Node names in topological order."""
        return list(self._order)

    def dependencies(self, name):
        """The names ``name`` depends on directly, in topological order."""
        return self.sorted(self._deps[self[name].name])

    def dependents(self, name):
        """The names that depend on ``name`` directly, in topological order."""
        return list(self._dependents[self[name].name])

    def upstream(self, name):
        """Every node ``name`` depends on, directly or not, in topological order."""
        return self.sorted(self._closure(self[name].name, self._deps))

    def downstream(self, name):
        """Every node that depends on ``name``, directly or not, in topological order."""
        return self.sorted(self._closure(self[name].name, self._dependents))

    def plan(self, targets=None):
        """The nodes maintaining ``targets`` (names or nodes; all when None) visits:
        the targets and all they depend on, in topological order."""
        if targets is None:
            return list(self._order)
        names = set()
        for target in _as_list(targets):
            name = self[target].name
            names.add(name)
            names.update(self._closure(name, self._deps))
        return self.sorted(names)

    def sorted(self, names):
        """``names`` (node names of this graph) in topological order."""
        return sorted(names, key=self._index.__getitem__)

    @staticmethod
    def _closure(name, edges):
        seen, todo = set(), list(edges[name])
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(edges[n])
        return seen


def _name(node):
    return node.name if isinstance(node, Node) else node


def _as_list(targets):
    return [targets] if isinstance(targets, (str, Node)) else list(targets)


# ---- persistence

class Store:
    """Where calibrations and the graph's state persist: ``get(key, default=None)`` and
    ``set(key, value)`` of persistent datasets. Subclass or duck-type."""

    def get(self, key, default=None):
        """The value of dataset ``key``, or ``default`` if there is none."""
        raise NotImplementedError

    def set(self, key, value):
        """Write ``value`` to dataset ``key``, persistently."""
        raise NotImplementedError


class MemoryStore(Store):
    """Datasets in a dict (``data``), for tests and for tools that save it themselves.
    ``writes`` counts every ``set``."""

    def __init__(self, data=None):
        self.data = {} if data is None else data
        self.writes = 0

    def get(self, key, default=None):
        return self.data.get(key, default)

    def set(self, key, value):
        self.writes += 1
        self.data[key] = value


class EnvironmentStore(Store):
    """The datasets of an ARTIQ-style ``HasEnvironment`` (``get_dataset``/``set_dataset``),
    written with the unit ``units`` gives a key (key -> unit, may be set later).

    Writes are persistent (``persist=True``, hence broadcast: the dashboard sees them) and
    archived in the run's results unless HDF5 cannot hold them (dicts: provenance and graph
    state). Reads do not archive. What this store wrote is read back from here, since a
    persistent dataset that is not archived is not read back by the run before the master
    has it.
    """

    def __init__(self, environment, units=None):
        self.environment = environment
        self.units = dict(units or {})  # key -> unit, the datasets' display metadata
        self._written = {}

    def get(self, key, default=None):
        if key in self._written:
            return self._written[key]
        return self.environment.get_dataset(key, default, archive=False)

    def set(self, key, value):
        self._written[key] = value
        self.environment.set_dataset(key, value, unit=self.units.get(key), persist=True,
                                     archive=_hdf5_friendly(value))


def _hdf5_friendly(value):
    """Whether HDF5 (so an ARTIQ results file) can hold ``value``."""
    if isinstance(value, (list, tuple)):
        return all(isinstance(v, (numbers.Number, str)) for v in value)
    return value is not None and not isinstance(value, dict)


@dataclass
class NodeState:
    """What the graph keeps of a node between runs (dataset ``calgraph.<name>``)."""
    calibrated: float | None = None   # clock time the last calibration ended
    rid: object = None                # the run that made it
    checked: float | None = None      # clock time the last kept check ended
    check: str | None = None          # its result
    changed: float | None = None      # when the node's values last changed, as the graph saw
    values: dict | None = None        # key -> value when last calibrated or checked in spec
    uncertainty: dict | None = None   # key -> uncertainty of the last calibration
    previous: dict | None = None      # key -> the value before the last calibration

    @property
    def verified(self):
        """When the values were last known good: calibrated, or checked in spec."""
        times = [self.calibrated]
        if self.check == IN_SPEC:
            times.append(self.checked)
        times = [t for t in times if t is not None]
        return max(times) if times else None

    def to_dataset(self):
        """The state as a dict of its fields, the value of dataset ``calgraph.<name>``."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dataset(cls, value):
        """The state a dataset holds; a fresh state if it holds no dict. Unknown fields
        are dropped, so a state written by another version still loads."""
        if not isinstance(value, dict):
            return cls()
        return cls(**{k: v for k, v in value.items() if k in cls.__dataclass_fields__})


# ---- reporting

@dataclass
class Action:
    """One thing the maintainer did (or decided) for a node."""
    node: str
    state: str            # a check state, FRESH, CALIBRATED, REFUSED, BLOCKED or ERROR
    old: dict | None = None      # key -> value before (calibrations)
    new: dict | None = None      # key -> value written (calibrations)
    uncertainty: dict | None = None
    shots: int = 0
    time: float | None = None    # clock time it started
    duration: float = 0.0
    detail: str = ""      # why it was done, what was found, why it failed


@dataclass
class Progress:
    """What the progress callback receives: before each check or calibration
    (``step`` "check" or "calibrate", ``action`` None), after each action (``step`` the
    action's state, ``action`` it) and when a node is finished (``step`` "done",
    ``action`` its last). ``done`` of the run's ``total`` nodes are finished."""
    node: str
    step: str
    done: int
    total: int
    action: Action | None = None


class Report:
    """What one ``maintain`` or ``diagnose`` did: ``actions`` in order, ``failed``
    (node -> why, for refused and blocked nodes)."""

    def __init__(self):
        self.actions = []
        self.failed = {}

    @property
    def ok(self):
        """True if no node was refused or blocked."""
        return not self.failed

    @property
    def calibrated(self):
        """Names of the nodes calibrated, in the order they were."""
        return [a.node for a in self.actions if a.state == CALIBRATED]

    @property
    def checked(self):
        """Names of the nodes checked, in the order they were (repeats kept)."""
        return [a.node for a in self.actions if a.state in CHECK_STATES]

    @property
    def shots(self):
        """Shots taken by all the actions."""
        return sum(a.shots for a in self.actions)

    @property
    def duration(self):
        """Seconds spent in all the actions."""
        return sum(a.duration for a in self.actions)

    def states(self, node):
        """The states recorded for ``node``, in order."""
        name = _name(node)
        return [a.state for a in self.actions if a.node == name]

    def why(self):
        """One line per failed node: why."""
        return "\n".join("{}: {}".format(n, r) for n, r in self.failed.items())

    def summary_table(self):
        """A text table: node, state, old → new, uncertainty, shots, time (and a note:
        why it was done, or why it failed), one row per action, then the totals."""
        header = ("node", "state", "old → new", "uncertainty", "shots", "time", "note")
        rows = [(a.node, a.state, _change_text(a), _uncertainty_text(a.uncertainty),
                 str(a.shots), _seconds(a.duration), a.detail) for a in self.actions]
        blocked = [n for n in self.failed if BLOCKED in self.states(n)]
        stopped = [n for n in self.failed if n not in blocked]
        note = "; ".join(part for part in (
            "failed: " + ", ".join(stopped) if stopped else "",
            "blocked: " + ", ".join(blocked) if blocked else "") if part)
        rows.append(("total", "ok" if self.ok else "FAILED", "", "", str(self.shots),
                     _seconds(self.duration), note))
        widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
        right = {4, 5}
        lines = []
        for row in [header] + rows:
            cells = [c.rjust(w) if i in right else c.ljust(w)
                     for i, (c, w) in enumerate(zip(row, widths))]
            lines.append("  ".join(cells).rstrip())
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.insert(len(lines) - 1, lines[1])
        return "\n".join(lines)


def _value_text(value):
    if value is None:
        return "none"
    if isinstance(value, float):
        return "{:.6g}".format(value)
    if isinstance(value, (list, tuple)):
        text = "[" + ", ".join(_value_text(v) for v in value) + "]"
        return text if len(text) <= 40 else text[:37] + "..."
    return str(value)


def _short(key, keys):
    return key.rsplit(".", 1)[-1] if len(keys) > 1 else ""


def _change_text(action):
    if action.new is None:
        return ""
    old = action.old or {}
    parts = []
    for key, new in action.new.items():
        label = _short(key, action.new)
        text = "{} → {}".format(_value_text(old.get(key)), _value_text(new))
        parts.append(label + ": " + text if label else text)
    return "; ".join(parts)


def _uncertainty_text(uncertainty):
    if not uncertainty:
        return ""
    parts = []
    for key, u in uncertainty.items():
        label = _short(key, uncertainty)
        text = "±" + _value_text(u)
        parts.append(label + ": " + text if label else text)
    return "; ".join(parts)


def _seconds(t):
    if not t:
        return "0 s"
    return "{:.0f} s".format(t) if abs(t) >= 100 else "{:.3g} s".format(t)


# ---- values

def _plain(value):
    """numpy scalars and arrays, tuples, as the plain Python a dataset DB keeps."""
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _non_finite(value):
    """Whether a numeric value (or any element) is NaN or infinite."""
    if isinstance(value, (list, tuple)):
        return any(_non_finite(v) for v in value)
    return isinstance(value, numbers.Real) and not math.isfinite(value)


def _per_key(node, what, value):
    if len(node.keys) == 1 and not (isinstance(value, dict) and set(value) == set(node.keys)):
        return {node.keys[0]: value}
    if not isinstance(value, dict) or set(value) != set(node.keys):
        got = sorted(value) if isinstance(value, dict) else type(value).__name__
        raise ValueError("node {!r}: calibrate returned {} for {}, expected a dict of its "
                         "keys {}".format(node.name, what, got, list(node.keys)))
    return {key: value[key] for key in node.keys}


# ---- maintenance

class Maintainer:
    """Maintains the nodes of ``graph`` over ``store``.

    ``clock()`` gives the time in seconds (default :func:`time.time`; a fake or simulated
    clock for tests). ``rid`` is written in the provenance. ``progress(event)`` receives a
    :class:`Progress` before and after each step. ``report`` is the last run's
    :class:`Report` (also when a check or calibration raised).
    """

    def __init__(self, graph, store, *, clock=time.time, rid=None, progress=None):
        self.graph = graph
        self.store = store
        self.clock = clock
        self.rid = rid
        self.progress = progress
        self.report = None

    # -- what the store holds

    def state(self, node):
        """The graph's :class:`NodeState` of ``node`` (empty if it has none)."""
        return NodeState.from_dataset(self.store.get(STATE_PREFIX + self.graph[node].name))

    def values(self, node):
        """``node``'s current values: key -> value (None where there is none)."""
        return {key: self.store.get(key) for key in self.graph[node].keys}

    def provenance(self, key):
        """The provenance dict of dataset ``key`` (None if it has none)."""
        return self.store.get(key + PROVENANCE_SUFFIX)

    def stale(self, node):
        """Why ``node`` is not fresh now (a phrase), or None when it is."""
        return self._stale(self.graph[node].name, _Run(self, []))

    def _stale(self, name, run):
        node = self.graph[name]
        values = self.values(name)
        missing = [k for k, v in values.items() if v is None]
        if missing:
            return "no value"
        state = self.state(name)
        verified = state.verified
        if verified is None:
            return "never verified"
        if state.values is None or any(_plain(values[k]) != state.values.get(k)
                                       for k in node.keys):
            return "value changed outside the graph"
        for dep in self.graph.dependencies(name):
            if run.recalibrated_after(dep, name):
                return "{} recalibrated".format(dep)
            changed = self.state(dep).changed
            if changed is not None and changed > verified:
                return "{} recalibrated".format(dep)
        age = self.clock() - verified
        if age > node.timeout:
            return "timed out ({} since verified, trusted {})".format(
                _seconds(age), _seconds(node.timeout))
        return None

    # -- the walks

    def maintain(self, targets=None, *, force=False):
        """Maintain ``targets`` (a node, a name, a list of them; all nodes when None) and
        all they depend on; return the :class:`Report`. ``force`` recalibrates the
        targets whatever their state (what they depend on is maintained as usual)."""
        plan = self.graph.plan(targets)
        names = plan if targets is None else [self.graph[t].name for t in _as_list(targets)]
        run = _Run(self, plan, force=set(names) if force else set())
        self.report = run.report
        for name in names:
            run.maintain(name)
        run.revisit()
        return run.report

    def diagnose(self, node):
        """Check ``node`` now, fresh or not, and fix it as ``maintain`` fixes bad data:
        out of spec -> calibrate; bad data -> diagnose what it depends on, then
        calibrate. Return the :class:`Report`."""
        name = self.graph[node].name
        run = _Run(self, self.graph.plan(name))
        self.report = run.report
        ok = run.diagnose(name, "diagnosis asked")
        run.finish(name, ok)
        run.revisit()
        return run.report


class _Run:
    """One maintain or diagnose: its report and what it did so far."""

    def __init__(self, maintainer, plan, force=()):
        self.m = maintainer
        self.graph = maintainer.graph
        self.plan = plan
        self.force = set(force)
        self.report = Report()
        self.outcome = {}        # name -> True (good) / False (failed or blocked)
        self.diagnosed = {}      # name -> True / False
        self.cause = {}          # failed name -> the refused nodes at the root of it
        self.seq = 0             # orders events within the run
        self.calibrated_at = {}  # name -> seq of its calibration in this run
        self.verified_at = {}    # name -> seq when it was last verified in this run
        self.finished_at = {}    # name -> seq when its maintenance finished

    def _tick(self):
        self.seq += 1
        return self.seq

    def recalibrated_after(self, dep, name):
        """Whether ``dep`` was calibrated in this run after ``name`` was verified."""
        return self.calibrated_at.get(dep, -1) > self.verified_at.get(name, -1)

    # -- maintain

    def maintain(self, name):
        if name in self.outcome:
            return self.outcome[name]
        failed = [d for d in self.graph.dependencies(name) if not self.maintain(d)]
        if failed:
            ok = self._block(name, failed)
        else:
            ok = self._maintain_node(name)
        self.finish(name, ok)
        return ok

    def finish(self, name, ok):
        self.outcome[name] = ok
        self.finished_at[name] = self._tick()
        last = [a for a in self.report.actions if a.node == name]
        self._progress(name, "done", last[-1] if last else None)

    def revisit(self):
        """Maintain again what a diagnosis made stale after it was maintained (a
        dependency recalibrated later in the run)."""
        self.force = set()
        for _ in range(len(self.plan)):
            again = [n for n in self.plan if self.outcome.get(n) and any(
                self.calibrated_at.get(d, -1) > self.finished_at[n]
                for d in self.graph.dependencies(n))]
            if not again:
                return
            for name in again:
                del self.outcome[name]
            for name in again:
                self.maintain(name)

    def _maintain_node(self, name):
        node = self.graph[name]
        if name in self.force:
            return self._calibrate(name, "forced")
        why = self.m._stale(name, self)
        if why is None:
            now = self.m.clock()
            self._record(Action(name, FRESH, time=now, detail="verified {} ago".format(
                _seconds(now - self.m.state(name).verified))))
            self.verified_at[name] = self._tick()
            return True
        if why == "no value" or node.check is None:
            return self._calibrate(name, why if node.check is not None else
                                   why + "; no check")
        result, end = self._check(name, why)
        if result.state == IN_SPEC:
            self._keep_check(name, result.state, end)
            return True
        if result.state == OUT_OF_SPEC:
            return self._calibrate(name, OUT_OF_SPEC, check=(result.state, end))
        if not self._diagnose_dependencies(name):
            return self._block(name, [d for d in self.graph.dependencies(name)
                                      if self.diagnosed.get(d) is False], "diagnosis: ")
        return self._calibrate(name, BAD_DATA, check=(result.state, end))

    # -- diagnose

    def diagnose(self, name, why):
        if name in self.diagnosed:
            return self.diagnosed[name]
        if name in self.calibrated_at:
            ok = True  # calibrated in this run already
        elif self.outcome.get(name) is False:
            ok = False
        elif self.graph[name].check is None or any(
                v is None for v in self.m.values(name).values()):
            ok = self._calibrate(name, why + "; no check")
        else:
            result, end = self._check(name, why)
            if result.state == IN_SPEC:
                self._keep_check(name, result.state, end)
                ok = True
            elif result.state == OUT_OF_SPEC:
                ok = self._calibrate(name, "out of spec; " + why, check=(result.state, end))
            elif self._diagnose_dependencies(name):
                ok = self._calibrate(name, "bad data; " + why, check=(result.state, end))
            else:
                ok = self._block(name, [d for d in self.graph.dependencies(name)
                                        if self.diagnosed.get(d) is False], "diagnosis: ")
        self.diagnosed[name] = ok
        return ok

    def _diagnose_dependencies(self, name):
        ok = True
        for dep in self.graph.dependencies(name):  # upstream first
            if not self.diagnose(dep, "diagnosing " + name):
                ok = False
        return ok

    # -- steps

    def _call(self, name, step, function, values):
        self._progress(name, step)
        start = self.m.clock()
        try:
            result = function(values)
        except CalibrationRefused as exc:
            result = Refusal(exc.reason, exc.shots)
        except BaseException as exc:
            end = self.m.clock()
            self._record(Action(name, ERROR, time=start, duration=end - start,
                                detail="{} raised {}: {}".format(step, type(exc).__name__,
                                                                 exc)))
            self.report.failed[name] = "{} raised {}: {}".format(step, type(exc).__name__,
                                                                  exc)
            raise
        return result, start, self.m.clock()

    def _check(self, name, why):
        node = self.graph[name]
        result, start, end = self._call(name, "check", node.check, self.m.values(name))
        if isinstance(result, str):
            result = CheckResult(result)
        if not isinstance(result, CheckResult) or result.state not in CHECK_STATES:
            raise TypeError("node {!r}: check returned {!r}, not one of {} or a "
                            "CheckResult".format(name, result, CHECK_STATES))
        detail = why + ("; " + result.detail if result.detail else "")
        self._record(Action(name, result.state, shots=result.shots, time=start,
                            duration=end - start, detail=detail))
        return result, end

    def _keep_check(self, name, state, end):
        """A check in spec: the node's values are verified now."""
        st = self.m.state(name)
        values = {k: _plain(v) for k, v in self.m.values(name).items()}
        if st.values != values:
            st.changed = end  # changed outside the graph: what depends on it must know
        st.values = values
        st.checked, st.check = end, state
        self.m.store.set(STATE_PREFIX + name, st.to_dataset())
        self.verified_at[name] = self._tick()

    def _calibrate(self, name, why, check=None):
        node = self.graph[name]
        old = self.m.values(name)
        result, start, end = self._call(name, "calibrate", node.calibrate, dict(old))
        if isinstance(result, Calibrated):
            new = _plain(_per_key(node, "values", result.value))
            uncertainty = _plain(_per_key(node, "uncertainties", result.uncertainty))
            bad = [k for k in node.keys if _non_finite(new[k]) or _non_finite(uncertainty[k])
                   or uncertainty[k] is None]
            if bad:
                result = Refusal("the fit gave a non-finite or no value or uncertainty "
                                 "for {}".format(", ".join(bad)), result.shots)
        elif not isinstance(result, Refusal):
            raise TypeError("node {!r}: calibrate returned {!r}, not Calibrated or "
                            "Refusal".format(name, result))
        if isinstance(result, Refusal):
            self._record(Action(name, REFUSED, old=None, shots=result.shots, time=start,
                                duration=end - start,
                                detail="{}: {}".format(why, result.reason)))
            self.report.failed[name] = "calibration refused: {}".format(result.reason)
            self.cause[name] = [name]
            return False
        self._write(node, old, new, uncertainty, result, end, check)
        self.calibrated_at[name] = self.verified_at[name] = self._tick()
        detail = why + ("; " + result.detail if result.detail else "")
        self._record(Action(name, CALIBRATED, old=_plain(old), new=new,
                            uncertainty=uncertainty, shots=result.shots, time=start,
                            duration=end - start, detail=detail))
        return True

    def _write(self, node, old, new, uncertainty, result, end, check):
        store, rid = self.m.store, self.m.rid
        for key in node.keys:
            store.set(key, new[key])
            store.set(key + PROVENANCE_SUFFIX, {
                "time": end, "rid": rid, "node": node.name, "uncertainty": uncertainty[key],
                "previous": _plain(old[key]), "shots": result.shots,
                "quality": _plain(dict(result.quality))})
        st = self.m.state(node.name)
        st.calibrated = st.changed = end
        st.rid = rid
        st.values, st.uncertainty, st.previous = new, uncertainty, _plain(old)
        if check is not None:
            st.check, st.checked = check
        store.set(STATE_PREFIX + node.name, st.to_dataset())

    def _block(self, name, failed, prefix=""):
        """``name`` is not maintained: the nodes ``failed`` it depends on failed."""
        roots = []
        for dep in failed:
            for root in self.cause.get(dep, [dep]):
                if root not in roots:
                    roots.append(root)
        reason = "{}depends on {}, which failed: {}".format(
            prefix, ", ".join(roots), "; ".join(
                self.report.failed.get(r, "failed") for r in roots))
        self._record(Action(name, BLOCKED, time=self.m.clock(), detail=reason))
        self.report.failed[name] = reason
        self.cause[name] = roots
        return False

    def _record(self, action):
        self.report.actions.append(action)
        self._progress(action.node, action.state, action)

    def _progress(self, name, step, action=None):
        if self.m.progress is not None:
            done = sum(1 for n in self.plan if n in self.outcome)
            self.m.progress(Progress(name, step, done, len(self.plan), action))
