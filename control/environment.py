"""The managers an experiment is built with: devices, datasets and arguments.

They have the interface ARTIQ's worker gives ``HasEnvironment`` (``(device_mgr,
dataset_mgr, argument_mgr, scheduler_defaults)``), so ``control run`` builds experiments
written against ARTIQ or against the host language alike. On top of ARTIQ's behaviour they
turn bad input into errors that say what was wrong and where: a device name that is not in
the device database (with the closest names), a malformed entry, an argument the
experiment does not take, a value of the wrong type or outside the processor's min/max.
"""
import difflib
import importlib
import importlib.util
import logging
import os
import sys

from control import pyon

logger = logging.getLogger(__name__)

__all__ = ["DeviceDBError", "DeviceError", "ArgumentError", "DatasetError",
           "load_device_db", "check_device_db", "DeviceManager", "DatasetManager",
           "ArgumentManager", "Scheduler", "CCB", "import_file", "available_memory",
           "bytes_text", "MEMORY_SHARE"]


class DeviceDBError(Exception):
    """A device database that cannot be used as it is."""


class DeviceError(Exception):
    """A device that cannot be had: missing from the database, or failing to build."""


class ArgumentError(Exception):
    """An argument the experiment does not take, or a value it cannot accept."""


class DatasetError(Exception):
    """A dataset that cannot be read or written as asked."""


#: The share of the memory available at build/prepare that one run's inputs may take
#: (RB's program, a scan's points): more is refused before any work starts.
MEMORY_SHARE = 0.5


def _read_int(path, field=None):
    """An integer from a file (the first of line ``field:`` when given), or None."""
    try:
        with open(path) as f:
            if field is None:
                return int(f.read().strip())
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024  # kB
    except (OSError, ValueError, IndexError):
        pass
    return None


def available_memory():
    """Bytes of memory this process can still take: the least of the system's available
    memory, a cgroup's (a container's) limit less its use, and the address-space limit
    (``ulimit -v``) less this process's size."""
    found = [_read_int("/proc/meminfo", "MemAvailable")]
    if found[0] is None:
        try:
            found = [os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")]
        except (AttributeError, ValueError, OSError):
            found = []
    for limit, used in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                        ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                         "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        limit, used = _read_int(limit), _read_int(used)  # v2 "max" reads as None
        if limit is not None and used is not None and limit < 2 ** 60:
            found.append(max(0, limit - used))
    try:
        import resource
        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        size = _read_int("/proc/self/status", "VmSize")
        if soft != resource.RLIM_INFINITY and size is not None:
            found.append(max(0, soft - size))
    except (ImportError, AttributeError, OSError, ValueError):
        pass
    found = [n for n in found if n is not None]
    return min(found) if found else 4 * 2 ** 30  # unknown: assume 4 GiB


def bytes_text(n):
    """``n`` bytes for a message: ``"64.0 GB"``."""
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return "{:.0f} {}".format(n, unit) if unit == "bytes" else \
                "{:.1f} {}".format(n, unit)
        n /= 1000


#: Host bytes one point of a scan argument takes while the scan lists it (a list slot and
#: a float object), counted before the scan is made.
SCAN_POINT_BYTES = 32


def scan_size(raw):
    """How many points a scan argument's description (``{"ty": "RangeScan", ...}``, as
    the dashboard sends it) lists, or None if it does not say."""
    if not isinstance(raw, dict):
        return None
    ty = raw.get("ty")
    try:
        if ty == "RangeScan":
            return int(raw.get("npoints", 0))
        if ty == "NoScan":
            return int(raw.get("repetitions", 1))
        if ty == "CenterScan":
            step, span = float(raw["step"]), float(raw["span"])
            return 0 if step == 0 else 2 * int(span / (2.0 * step)) + 1
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    return None


def _closest(name, names):
    close = difflib.get_close_matches(name, list(names), n=3, cutoff=0.5)
    return "; closest: " + ", ".join(close) if close else ""


def import_file(path, prefix="control_file_"):
    """Import a Python file as a fresh module (its folder on ``sys.path`` meanwhile, so
    it can import its neighbours, as ARTIQ's ``file_import`` allows)."""
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError("no such file: {}".format(path))
    name = prefix + os.path.splitext(os.path.basename(path))[0].replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    # Registered like any module, so that inspect (and the simulator's kernel rewriting)
    # can find the classes it defines; importing the file again replaces it.
    sys.modules[name] = module
    folder = os.path.dirname(path)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    finally:
        try:
            sys.path.remove(folder)
        except ValueError:
            pass
    return module


def check_device_db(ddb, source="device database"):
    """Raise ``DeviceDBError`` naming every malformed entry of ``ddb``."""
    if not isinstance(ddb, dict):
        raise DeviceDBError("{}: device_db must be a dict, not {}".format(
            source, type(ddb).__name__))
    problems = []
    for name, desc in ddb.items():
        if isinstance(desc, str):
            if desc not in ddb:
                problems.append("alias {!r} points to {!r}, which is not in the database{}"
                                .format(name, desc, _closest(desc, ddb)))
            continue
        if not isinstance(desc, dict):
            problems.append("entry {!r} must be a dict or an alias string, not {}".format(
                name, type(desc).__name__))
            continue
        ty = desc.get("type")
        if ty == "local":
            for field in ("module", "class"):
                if not isinstance(desc.get(field), str):
                    problems.append("local entry {!r} has no {!r}".format(name, field))
            if not isinstance(desc.get("arguments", {}), dict):
                problems.append("entry {!r}: 'arguments' must be a dict".format(name))
        elif ty == "controller":
            for field in ("host", "port"):
                if field not in desc:
                    problems.append("controller {!r} has no {!r}".format(name, field))
        elif ty in ("controller_aux_target", "dummy"):
            pass
        else:
            problems.append("entry {!r} has type {!r}; expected local, controller, "
                            "controller_aux_target or dummy".format(name, ty))
    if problems:
        raise DeviceDBError("{} is malformed:\n  - {}".format(source, "\n  - ".join(problems)))
    return ddb


def load_device_db(path):
    """The ``device_db`` dict of a device database file, checked."""
    try:
        module = import_file(path, prefix="control_device_db_")
    except FileNotFoundError:
        raise DeviceDBError("device database not found: {}".format(path)) from None
    except Exception as exc:
        raise DeviceDBError("device database {} does not load: {}: {}".format(
            path, type(exc).__name__, exc)) from exc
    if not hasattr(module, "device_db"):
        raise DeviceDBError("{} defines no 'device_db' dict".format(path))
    return check_device_db(module.device_db, path)


class DeviceManager:
    """Creates device drivers and controller clients from a device database, once each,
    and closes them in reverse order (ARTIQ's ``DeviceManager`` behaviour)."""

    def __init__(self, device_db, virtual_devices=None, source="device database"):
        self.ddb = check_device_db(device_db, source)
        self.source = source
        self.virtual_devices = dict(virtual_devices or {})
        self.active_devices = []

    def get_device_db(self):
        return self.ddb

    def get_desc(self, name):
        seen = [name]
        desc = self.ddb.get(name)
        while isinstance(desc, str):
            if desc in seen:
                raise DeviceDBError("alias loop: " + " -> ".join(seen + [desc]))
            seen.append(desc)
            desc = self.ddb.get(desc)
        if desc is None:
            raise DeviceError("device {!r} is not in the {}{}".format(
                name, self.source, _closest(name, list(self.ddb) + list(self.virtual_devices))))
        return desc

    def get(self, name):
        if name in self.virtual_devices:
            return self.virtual_devices[name]
        desc = self.get_desc(name)
        for existing, device in self.active_devices:
            if existing is desc:
                return device
        try:
            device = self._create(name, desc)
        except DeviceError:
            raise
        except Exception as exc:
            raise DeviceError("device {!r} ({}) failed to build: {}: {}".format(
                name, desc.get("class", desc.get("type")), type(exc).__name__, exc)) from exc
        self.active_devices.append((desc, device))
        return device

    def _create(self, name, desc):
        ty = desc["type"]
        if ty == "local":
            try:
                module = importlib.import_module(desc["module"])
            except ImportError as exc:
                raise DeviceError(
                    "device {!r} needs module {!r}, which does not import ({}){}".format(
                        name, desc["module"], exc,
                        "; without ARTIQ, run on the simulator (--sim)"
                        if desc["module"].startswith("artiq.") else "")) from exc
            try:
                cls = getattr(module, desc["class"])
            except AttributeError:
                raise DeviceError("device {!r}: module {!r} has no class {!r}".format(
                    name, desc["module"], desc["class"])) from None
            return cls(self, **desc.get("arguments", {}))
        if ty == "controller":
            try:
                from sipyco.pc_rpc import Client, BestEffortClient, AutoTarget
            except ImportError:
                raise DeviceError("controller {!r} needs sipyco (install ARTIQ, which "
                                  "brings it) or the simulator (--sim)".format(name)) from None
            cls = BestEffortClient if desc.get("best_effort") else Client
            return cls(desc["host"], desc["port"], desc.get("target_name") or AutoTarget)
        if ty == "dummy":
            return object()
        raise DeviceError("device {!r} has type {!r}, which cannot be created here".format(
            name, ty))

    def notify_run_end(self):
        for _, device in self.active_devices:
            if hasattr(device, "notify_run_end"):
                device.notify_run_end()

    def close_devices(self):
        for _, device in reversed(self.active_devices):
            try:
                if hasattr(device, "close_rpc"):
                    device.close_rpc()
                elif hasattr(device, "close"):
                    device.close()
            except Exception:
                logger.warning("exception while closing device %r", device, exc_info=True)
        self.active_devices.clear()


class DatasetManager:
    """Datasets of one run: local (archived in the results), broadcast (live, to the
    dashboard's applets) and those read from the dataset database (archived as read)."""

    def __init__(self, dataset_db=None, on_broadcast=None):
        self.db = dataset_db if dataset_db is not None else {}
        self.local = {}
        self.archive = {}
        self.metadata = {}
        self.broadcast = {}
        self.persist = set()
        self.on_broadcast = on_broadcast

    def set(self, key, value, metadata, broadcast, persist, archive):
        if persist:
            broadcast = True
            self.persist.add(key)
        if not (broadcast or archive):
            logger.warning("dataset %r will not be stored: neither broadcast nor archived", key)
        if broadcast:
            self.broadcast[key] = value
            self._notify(key)
        else:
            self.broadcast.pop(key, None)
        if archive:
            self.local[key] = value
        else:
            self.local.pop(key, None)
        self.metadata[key] = metadata

    def _notify(self, key):
        if self.on_broadcast is not None:
            self.on_broadcast(key, self.broadcast[key])

    def _target(self, key):
        if key in self.broadcast:
            return self.broadcast[key]
        if key in self.local:
            return self.local[key]
        raise DatasetError("cannot change dataset {!r}: this run never set it{}".format(
            key, _closest(key, list(self.local) + list(self.broadcast))))

    def mutate(self, key, index, value):
        target = self._target(key)
        if isinstance(index, tuple):
            index = tuple(slice(*e) for e in index) if isinstance(index[0], tuple) \
                else slice(*index)
        target[index] = value
        if key in self.broadcast:
            self._notify(key)

    def append_to(self, key, value):
        self._target(key).append(value)
        if key in self.broadcast:
            self._notify(key)

    def get(self, key, archive=False):
        if key in self.local:
            return self.local[key]
        if key not in self.db:
            raise KeyError(key)
        value = self.db[key]
        if archive:
            self.archive[key] = value
        return value

    def get_metadata(self, key):
        return self.metadata[key]

    def persisted(self):
        """The datasets this run asked to persist, to write back to the database."""
        return {k: self.broadcast.get(k, self.local.get(k)) for k in self.persist}


class ArgumentManager:
    """Arguments from ``name=value`` pairs, processed by the experiment's processors.

    Beyond ARTIQ's ``ProcessArgumentManager``: a value that does not convert, or falls
    outside a ``NumberValue``'s min/max or a ``Scannable``'s global range, is an
    ``ArgumentError`` naming the argument; arguments the experiment never asked for are
    named with the ones it takes.
    """

    def __init__(self, arguments, experiment="experiment"):
        self.unprocessed = dict(arguments)
        self.experiment = experiment
        self.requested = {}
        self.processed = set()

    def get(self, key, processor, group=None, tooltip=None):
        self.requested[key] = (processor, group, tooltip)
        if key not in self.unprocessed:
            return processor.default()
        raw = self.unprocessed[key]
        self._check_scan_size(key, raw)
        try:
            value = processor.process(raw)
        except Exception as exc:
            raise ArgumentError("argument {!r} of {}: {!r} is not a valid {} ({}){}".format(
                key, self.experiment, raw, type(processor).__name__, exc,
                self._choices(processor))) from None
        self._check_range(key, processor, value)
        self.processed.add(key)
        return value

    def _check_scan_size(self, key, raw):
        """A scan lists its points when it is made: refuse one that could not, before."""
        n = scan_size(raw)
        if n is None:
            return
        if n < 0:
            raise ArgumentError("argument {!r} of {}: a {} of {} points; allowed: 0 or "
                                "more points".format(key, self.experiment, raw["ty"], n))
        have = available_memory()
        need = n * SCAN_POINT_BYTES
        if need > MEMORY_SHARE * have:
            raise ArgumentError(
                "argument {!r} of {}: a {} of {:,} points would take about {} of memory "
                "to list, over the limit of {} ({:.0%} of the {} available); scan fewer "
                "points".format(key, self.experiment, raw["ty"], n, bytes_text(need),
                                bytes_text(MEMORY_SHARE * have), MEMORY_SHARE,
                                bytes_text(have)))

    @staticmethod
    def _choices(processor):
        choices = getattr(processor, "choices", None)
        return "; choices: " + ", ".join(map(str, choices)) if choices else ""

    def _check_range(self, key, processor, value):
        lo = getattr(processor, "min", None)
        hi = getattr(processor, "max", None)
        if lo is None and hi is None:
            lo = getattr(processor, "global_min", None)
            hi = getattr(processor, "global_max", None)
        if lo is None and hi is None:
            return
        points = list(value) if hasattr(value, "__iter__") and not isinstance(value, str) \
            else [value]
        unit = getattr(processor, "unit", "")
        scale = getattr(processor, "scale", 1.0) or 1.0
        allowed = "[{}, {}]{}".format(
            "-inf" if lo is None else (lo / scale if unit else lo),
            "inf" if hi is None else (hi / scale if unit else hi), " " + unit if unit else "")
        for point in points:
            if isinstance(point, float) and point != point:  # NaN passes any comparison
                raise ArgumentError("argument {!r} of {}: {} is not a number; allowed "
                                    "range {}".format(key, self.experiment, point, allowed))
            if (lo is not None and point < lo) or (hi is not None and point > hi):
                raise ArgumentError(
                    "argument {!r} of {}: {}{} is outside the allowed range {}".format(
                        key, self.experiment, point / scale if unit else point,
                        " " + unit if unit else "", allowed))

    def check_unprocessed_arguments(self):
        unknown = sorted(set(self.unprocessed) - self.processed)
        if unknown:
            takes = ", ".join(sorted(self.requested)) or "no arguments"
            hints = "".join(_closest(k, self.requested) for k in unknown)
            raise ArgumentError("{} does not take argument(s) {}; it takes: {}{}".format(
                self.experiment, ", ".join(unknown), takes, hints))

    def get_interactive(self, arglist, title):
        raise ArgumentError("{} asked for interactive arguments ({}), which a command-line "
                            "run cannot answer".format(self.experiment, title))


class Scheduler:
    """The ``scheduler`` virtual device of a single command-line run."""

    def __init__(self, rid=0, expid=None):
        self.rid = rid
        self.expid = expid
        self.pipeline_name = "main"
        self.priority = 0
        self.termination_requested = False
        self.submitted = []

    def check_pause(self, rid=None):
        return self.termination_requested

    def check_termination(self, rid=None):
        return self.termination_requested

    def pause(self):
        if self.termination_requested:
            from control.lang import TerminationRequested
            raise TerminationRequested

    def submit(self, pipeline_name=None, expid=None, priority=None, due_date=None,
               flush=False):
        self.submitted.append(expid)
        logger.info("submit (not run on the command line): %s", expid)
        return len(self.submitted) + self.rid

    def delete(self, rid):
        logger.info("delete RID %s (ignored on the command line)", rid)

    def request_termination(self, rid):
        if rid == self.rid:
            self.termination_requested = True

    def get_status(self):
        return {}


class CCB:
    """The ``ccb`` virtual device: records applet requests (the dashboard would open
    them)."""

    def __init__(self):
        self.issued = []

    def issue(self, service, *args, **kwargs):
        self.issued.append((service, args, kwargs))
        logger.info("CCB %s %s %s", service, args, kwargs)


def parse_arguments(pairs):
    """``["name=value", ...]`` to a dict; values are PYON, and a bare word that is not
    PYON is taken as a string (``system=yb171``)."""
    arguments = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name.isidentifier():
            raise ArgumentError("arguments are name=value, not {!r}".format(pair))
        try:
            arguments[name] = pyon.decode(text)
        except ValueError:
            arguments[name] = text
    return arguments
