"""What the master's repository scan sees: every experiment of a file or folder, with the
arguments it declares, found the way ``artiq_master`` finds them.

The master lists an experiment in the dashboard only if it can be built with nothing
real: it imports each ``.py`` file of the repository (folders recursively, names starting
with ``.`` skipped), and builds each public experiment class with every argument None,
every device a dummy object and the master's datasets. An experiment whose ``build`` needs
an argument's value raises there, and the master skips the whole file (its log says
"Skipping file"). :func:`examine_path` does the same on the host, so ``control list`` and
the tests see what a lab's dashboard will show, with or without ARTIQ installed.

An experiment's listed name is the first line of its docstring without a final full
stop, or its class name when it has no docstring: the master's rule.
"""
import inspect
import os
from dataclasses import dataclass, field

from control import lang
from control.file_import import import_file

__all__ = ["ExaminedExperiment", "ExaminedFile", "examine_file", "examine_path",
           "argument_rows", "format_listing", "to_json", "listed_name"]


class _RecordedArguments:
    """Argument manager of the examine phase: records what is asked for, gives None."""

    def __init__(self):
        self.requested = {}

    def get(self, key, processor, group=None, tooltip=None):
        self.requested[key] = (processor, group, tooltip)
        return None

    def get_interactive(self, arglist, title):
        raise NotImplementedError("interactive arguments are not asked during examine")


class _PlaceholderDevice:
    """What every device is during examine: an object with nothing behind it."""


class _ExamineDevices:
    def __init__(self, device_db):
        self._ddb = device_db

    def get_device_db(self):
        return self._ddb

    def get(self, name):
        return _PlaceholderDevice()


class _ExamineDatasets:
    """Reads the dataset DB (as the master's scan does); writes are not expected."""

    def __init__(self, dataset_db):
        self._db = dataset_db

    def get(self, key, archive=False):
        return self._db[key]

    def set(self, *args, **kwargs):
        pass


@dataclass
class ExaminedExperiment:
    """One experiment as the master registers it."""
    file: str
    class_name: str
    name: str
    #: argument name -> (processor description, group, tooltip), in declaration order
    arguments: dict
    scheduler_defaults: dict = field(default_factory=dict)


@dataclass
class ExaminedFile:
    """A file's experiments, or the error that makes the master skip the file."""
    file: str
    experiments: list
    error: BaseException | None = None


def listed_name(cls):
    """The experiment's name in the dashboard's explorer."""
    if cls.__doc__ is None:
        return cls.__name__
    name = cls.__doc__.strip().splitlines()[0].strip()
    return name[:-1] if name.endswith(".") else name


def examine_file(path, dataset_db=None, device_db=None, relative_to=None):
    """Build every public experiment of ``path`` as the master's scan does.

    Returns an :class:`ExaminedFile`; an exception on import or in any ``build`` is kept
    as its ``error`` and none of the file's experiments is listed, as the master does.
    """
    shown = os.path.relpath(path, relative_to) if relative_to else path
    try:
        module = import_file(path, prefix="control_examine_")
        found = []
        # Every public experiment class the module holds, imported ones included: the
        # master lists those too.
        for class_name, cls in inspect.getmembers(module, lang.is_public_experiment):
            arguments = _RecordedArguments()
            defaults = {}
            cls((_ExamineDevices(device_db or {}), _ExamineDatasets(dataset_db or {}),
                 arguments, defaults))
            described = {key: (processor.describe(), group, tooltip)
                         for key, (processor, group, tooltip)
                         in arguments.requested.items()}
            found.append(ExaminedExperiment(shown, class_name, listed_name(cls),
                                            described, defaults))
    except Exception as exc:
        return ExaminedFile(shown, [], exc)
    return ExaminedFile(shown, found)


def _python_files(folder):
    """The ``.py`` files the master's scan visits, in its order (names starting with
    ``.`` skipped, folders recursively)."""
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.name.endswith(".py"):
            yield entry.path
        elif entry.is_dir():
            yield from _python_files(entry.path)


def examine_path(path, dataset_db=None, device_db=None):
    """Examine one file, or every file of a folder as the master's repository scan does;
    returns a list of :class:`ExaminedFile`."""
    if os.path.isdir(path):
        return [examine_file(f, dataset_db, device_db, relative_to=path)
                for f in _python_files(path)]
    if not os.path.isfile(path):
        raise FileNotFoundError("no such file or folder: {}".format(path))
    return [examine_file(path, dataset_db, device_db)]


def _range(desc):
    lo = desc.get("min", desc.get("global_min"))
    hi = desc.get("max", desc.get("global_max"))
    scale = desc.get("scale") or 1.0
    if "choices" in desc:
        return "{" + ", ".join(map(str, desc["choices"])) + "}"
    if lo is None and hi is None:
        return ""
    show = (lambda v: "{:g}".format(v / scale)) if desc.get("unit") else \
        (lambda v: "{:g}".format(v) if isinstance(v, float) else str(v))
    return "[{}, {}]".format("-inf" if lo is None else show(lo),
                             "inf" if hi is None else show(hi))


def _default(desc, width=40):
    text = _default_text(desc)
    return text if len(text) <= width else text[:width - 3] + "..."


def _default_text(desc):
    if "default" not in desc:
        return "(none)"
    value = desc["default"]
    scale = desc.get("scale") or 1.0
    if desc["ty"] == "NumberValue" and desc.get("unit"):
        return "{:g}".format(value / scale)
    if desc["ty"] == "Scannable":
        scans = value if isinstance(value, list) else [value]
        return "; ".join(_scan_text(s, scale) for s in scans)
    return repr(value)


def _scan_text(scan, scale):
    ty = scan.get("ty")
    if ty == "RangeScan":
        return "RangeScan({:g}, {:g}, {})".format(scan["start"] / scale,
                                                  scan["stop"] / scale, scan["npoints"])
    if ty == "CenterScan":
        return "CenterScan({:g}, {:g}, {:g})".format(scan["center"] / scale,
                                                     scan["span"] / scale,
                                                     scan["step"] / scale)
    if ty == "NoScan":
        return "NoScan({:g}, {})".format(scan["value"] / scale, scan.get("repetitions", 1))
    if ty == "ExplicitScan":
        return "ExplicitScan([{}])".format(", ".join("{:g}".format(v / scale)
                                                     for v in scan["sequence"]))
    return repr(scan)


def argument_rows(experiment):
    """One row per argument: name, type, default, unit, range, group, tooltip."""
    rows = []
    for key, (desc, group, tooltip) in experiment.arguments.items():
        rows.append((key, desc["ty"], _default(desc), desc.get("unit") or "",
                     _range(desc), group or "", tooltip or ""))
    return rows


def format_listing(examined):
    """The listing ``control list`` prints."""
    lines = []
    header = ("argument", "type", "default", "unit", "range", "group")
    for f in examined:
        if f.error is not None:
            lines.append("{}: SKIPPED by the master's scan: {}: {}".format(
                f.file, type(f.error).__name__, f.error))
            continue
        for e in f.experiments:
            lines.append("{} ({}, {})".format(e.name, e.file, e.class_name))
            rows = [r[:6] for r in argument_rows(e)]
            if not rows:
                lines.append("  no arguments")
                continue
            widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(6)]
            for row in [header] + rows:
                lines.append("  " + "  ".join(str(c).ljust(w)
                                              for c, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


def to_json(examined):
    """The listing as plain data: per file, its experiments and their arguments (the
    processors' descriptions as the master sends them to the dashboard), or its error."""
    out = []
    for f in examined:
        entry = {"file": f.file}
        if f.error is not None:
            entry["error"] = "{}: {}".format(type(f.error).__name__, f.error)
        entry["experiments"] = [
            {"class_name": e.class_name, "name": e.name,
             "arguments": {k: {"description": d, "group": g, "tooltip": t}
                           for k, (d, g, t) in e.arguments.items()}}
            for e in f.experiments]
        out.append(entry)
    return out
