"""How a calibration node measures a trap: the trap built afresh for each measurement,
with the values under test standing in for its datasets.

A trap's modules fold their calibrations into kernel constants when they are built, so a
scan of a calibration (a drive frequency, the MS detuning) builds the trap once per point
with that value as an override (``System.calibration_overrides``) and plays one kernel
there; a scan of a kernel argument (pulse lengths, waits) plays all its points in one
kernel on one build. On a crate every build means a compile: a parameter scan of N points
costs N compiles (about a second each), which a calibration can afford.

:class:`Measurement` knows the trap's calibration roles (``System.calibration_roles``),
its current values (the store the calibration graph writes), the nominal values that
stand in for a value nobody has measured yet, and counts the shots it plays.
"""
from dataclasses import dataclass
import re
import time

from control.calgraph import PROVENANCE_SUFFIX

__all__ = ["KeyRef", "Measurement", "ROLES", "NODE_NAMES"]

#: The roles a trap may declare, in the order the graph measures them.
ROLES = ("detection.threshold", "qubit_frequency", "pi_time", "ms.detuning",
         "ms.gate_time")
#: The calibration graph's node names, one per role (``kernels.calibration.graph``
#: builds the nodes; named here so that a command line can offer them without
#: importing the fits).
NODE_NAMES = ("detection", "qubit_frequencies", "pi_time", "ms_detuning", "ms_gate_time")

_INDEXED = re.compile(r"^(?P<key>[\w.]+)\[(?P<index>\d+)\]$")


@dataclass(frozen=True)
class KeyRef:
    """A calibration value: dataset ``key``, or element ``index`` of its list."""
    key: str
    index: int | None = None

    @classmethod
    def parse(cls, system_name, text):
        """``"drive.frequencies[0]"`` under system ``trap`` -> ``trap.drive.frequencies``,
        element 0."""
        match = _INDEXED.match(text)
        if match:
            return cls(system_name + "." + match["key"], int(match["index"]))
        if not re.match(r"^[\w.]+$", text):
            raise ValueError("{!r} is not a calibration key (key or key[i])".format(text))
        return cls(system_name + "." + text)

    def get(self, value):
        """This reference's value out of its dataset's ``value``."""
        if self.index is None or value is None:
            return value
        return value[self.index]

    def put(self, value, element):
        """The dataset's value with this reference's value replaced by ``element``."""
        if self.index is None:
            return element
        out = list(value)
        out[self.index] = element
        return out

    def __str__(self):
        return self.key if self.index is None else "{}[{}]".format(self.key, self.index)


class Measurement:
    """What calibration nodes measure with.

    ``build_ops(overrides)`` builds the trap afresh with the given calibration values in
    place of its datasets and returns its ``OperationInterface`` (the experiment's job:
    only it knows the trap). ``roles`` is the trap's ``calibration_roles`` and
    ``system_name`` its name; ``store`` holds the current values (the graph's store);
    ``nominal`` the values used until one is measured (the lab's design values).
    ``parent`` is the environment the programs are built under. ``clock`` says the time
    (seconds) in provenance and progress; ``on_scan(node, what, done, total)`` hears of
    each point.
    """

    def __init__(self, parent, build_ops, system_name, roles, store, nominal, *,
                 clock=time.time, on_scan=None):
        self.parent = parent
        self.build_ops = build_ops
        self.system_name = system_name
        self.store = store
        self.nominal = dict(nominal)
        self.clock = clock
        self.on_scan = on_scan
        self.shots = 0
        self.roles = {}
        for role, refs in roles.items():
            if role not in ROLES:
                raise ValueError("unknown calibration role {!r}; known: {}".format(
                    role, ", ".join(ROLES)))
            if isinstance(refs, str):
                self.roles[role] = KeyRef.parse(system_name, refs)
            else:
                self.roles[role] = [KeyRef.parse(system_name, r) for r in refs]

    # ---- values

    def has(self, role):
        """True if the trap declares ``role``."""
        return role in self.roles

    def keys(self, role):
        """The dataset keys of ``role`` (each once, in order)."""
        refs = self.roles[role]
        refs = refs if isinstance(refs, list) else [refs]
        return list(dict.fromkeys(r.key for r in refs))

    def current(self, key):
        """Dataset ``key`` as the store holds it, else its nominal value, else None."""
        value = self.store.get(key)
        return self.nominal.get(key) if value is None else value

    def value(self, ref):
        """The value behind a :class:`KeyRef` (current, else nominal)."""
        return ref.get(self.current(ref.key))

    def provenance(self, key):
        """The provenance the graph wrote with ``key`` (None if none)."""
        return self.store.get(key + PROVENANCE_SUFFIX)

    def overrides(self, changes=None):
        """Calibration overrides for a build: every role's key the store lacks, at its
        nominal value (so a trap can be built before it is calibrated), then ``changes``
        (``KeyRef`` or key -> value)."""
        out = {}
        for role in self.roles:
            for key in self.keys(role):
                if self.store.get(key) is None and key in self.nominal:
                    out[key] = self.nominal[key]
        for ref, value in (changes or {}).items():
            if isinstance(ref, KeyRef):
                value = ref.put(out.get(ref.key, self.current(ref.key)), value)
                ref = ref.key
            out[ref] = value
        return out

    # ---- playing

    def ops(self, changes=None):
        """The trap's operations, built afresh with :meth:`overrides` of ``changes``."""
        return self.build_ops(self.overrides(changes))

    def play(self, program):
        """Run a program (``OutcomeCounts``, ``ShotScan``, ``ReadoutHistogram``...) and
        count its shots; returns the program."""
        program.run()
        self.shots += _shots_of(program)
        return program


def _shots_of(program):
    """Shots a program played: points (or prepared states) × shots per point."""
    if hasattr(program, "total_shots"):
        return int(program.total_shots())
    if hasattr(program, "n_points"):
        return int(program.n_points * program.shots)
    return int(2 * program.shots)  # ReadoutHistogram: |0> and |1>, shots each
