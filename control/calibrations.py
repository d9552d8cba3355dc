"""A trap's calibrations as a lab sees them: what its modules read, and whether a dataset
DB holds it.

Modules read calibrations in ``init`` (``Module.setattr_calibration``); each read is
declared in the system's registry as a :class:`CalibrationSpec` (dataset key, module,
unit, allowed range, default). :func:`needed_calibrations` builds every declared module of
a system over a device database (a simulated twin will do: nothing is played) and runs
their ``init``, so the registry ends up listing everything the trap can read.
:func:`check` then holds a dataset DB's values against those specs.
"""
from dataclasses import dataclass
import math
import numbers

from control.lang import NoDefault

__all__ = ["CalibrationSpec", "CalibrationStatus", "needed_calibrations", "check",
           "format_status"]


@dataclass
class CalibrationSpec:
    """One calibration a module reads: dataset ``key``, read by ``module``."""
    key: str
    module: str
    default: object = NoDefault
    unit: str = ""
    min: float | None = None
    max: float | None = None
    duration: bool = False  # a time in seconds, converted to machine units

    @property
    def required(self):
        """True if the module has no default: the dataset DB must hold the value."""
        return self.default is NoDefault

    def range_text(self):
        """The allowed range as text (``[0.5, 2]``, ``[0, inf)`` for a duration), or ""
        if any value goes."""
        if self.min is None and self.max is None:
            return "[0, inf)" if self.duration else ""
        lo = "-inf" if self.min is None else "{:g}".format(self.min)
        hi = "inf" if self.max is None else "{:g}".format(self.max)
        return "[{}, {}]".format(lo, hi)

    def problem(self, value):
        """Why ``value`` cannot be used for this calibration, or None."""
        if self.min is None and self.max is None and not self.duration:
            return None
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if not isinstance(v, numbers.Real) or isinstance(v, bool):
                return "{!r} is not a number".format(v)
            if not math.isfinite(v):
                return "{} is not finite".format(v)
            if self.min is not None and v < self.min or self.max is not None and v > self.max:
                return "{:g} is outside {}".format(v, self.range_text())  # type: ignore[str-format]
            if self.duration and v < 0:
                return "a duration cannot be negative ({:g} s)".format(v)  # type: ignore[str-format]
        return None


@dataclass
class CalibrationStatus:
    """What a dataset DB holds for one calibration: its ``state``, the ``value`` found
    and, when it is not usable, why (``detail``)."""
    spec: CalibrationSpec
    state: str       # "ok", "default", "missing" or "out of range"
    value: object = None
    detail: str = ""

    @property
    def usable(self):
        """True if a run can start with it: the DB's value is in range, or the module's
        default applies."""
        return self.state in ("ok", "default")


def needed_calibrations(system_class, device_db, datasets):
    """Every calibration the modules of ``system_class`` read, as ``{key: spec}``.

    The system is built over ``device_db`` (checked like a run's) with every declared
    module, and initialized from ``datasets``, which must hold each required value (a
    trap's complete starting set): a missing one raises ``CalibrationError`` naming it.
    """
    from control.managers import ArgumentManager, DatasetManager, DeviceManager
    from control.lang import HasEnvironment

    device_mgr = DeviceManager(device_db)
    parent = HasEnvironment((device_mgr, DatasetManager(dict(datasets)),
                             ArgumentManager({}), {}))
    try:
        system = system_class(parent)
        for name in system.declared_modules():
            getattr(system, name)
        system.prepare()
        return dict(system.registry.calibrations)
    finally:
        device_mgr.close_devices()


def check(specs, values):
    """The state of each needed calibration in ``values`` (a dataset key -> value dict),
    in key order."""
    out = []
    for key in sorted(specs):
        spec = specs[key]
        if key not in values:
            if spec.required:
                out.append(CalibrationStatus(spec, "missing"))
            else:
                out.append(CalibrationStatus(spec, "default", spec.default,
                                             "the module's default"))
            continue
        value = values[key]
        problem = spec.problem(value)
        out.append(CalibrationStatus(spec, "out of range" if problem else "ok", value,
                                     problem or ""))
    return out


def _value_text(value, width=32):
    if value is None:
        return ""
    text = "{:g}".format(value) if isinstance(value, float) else repr(value)
    if isinstance(value, list) and all(isinstance(v, float) for v in value):
        text = "[" + ", ".join("{:g}".format(v) for v in value) + "]"
    return text if len(text) <= width else text[:width - 3] + "..."


def format_status(statuses):
    """A table: calibration, value, unit, range, state (with why)."""
    header = ("calibration", "value", "unit", "range", "state")
    rows = [(s.spec.key, _value_text(s.value), s.spec.unit or ("s" if s.spec.duration
                                                              else ""),
             s.spec.range_text(), s.state + (": " + s.detail if s.detail and
                                             s.state != "default" else ""))
            for s in statuses]
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
                     for row in [header] + rows)
