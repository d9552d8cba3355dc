"""The managers an experiment is built with: devices, datasets and arguments.

They have the interface ARTIQ's worker gives ``HasEnvironment`` (``(device_mgr,
dataset_mgr, argument_mgr, scheduler_defaults)``), so ``control run`` builds experiments
written against ARTIQ or against the host language alike. On top of ARTIQ's behaviour they
turn bad input into errors that say what was wrong and where: a device name that is not in
the device database (with the closest names), a malformed entry, an argument the
experiment does not take, a value of the wrong type or outside the processor's min/max.
"""
import importlib
import logging

from control import pyon
from control.device_db import check_device_db, resolve_alias
from control.errors import ArgumentError, DatasetError, DeviceError, closest_hint
from control.memory import MEMORY_SHARE, available_memory, bytes_text

logger = logging.getLogger(__name__)

__all__ = ["DeviceManager", "DatasetManager", "ArgumentManager", "parse_arguments",
           "scan_size", "SCAN_POINT_BYTES"]


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


class DeviceManager:
    """Creates device drivers and controller clients from a device database, once each,
    and closes them in reverse order (ARTIQ's ``DeviceManager`` behaviour)."""

    def __init__(self, device_db, virtual_devices=None, source="device database"):
        self.ddb = check_device_db(device_db, source)
        self.source = source
        self.virtual_devices = dict(virtual_devices or {})
        self.active_devices = []

    def get_device_db(self):
        """The device database, checked."""
        return self.ddb

    def get_desc(self, name):
        """The entry behind ``name`` (aliases resolved); a ``DeviceError`` naming the
        closest names when the database lacks it."""
        desc = self.ddb.get(resolve_alias(self.ddb, name))
        if desc is None:
            raise DeviceError("device {!r} is not in the {}{}".format(
                name, self.source,
                closest_hint(name, list(self.ddb) + list(self.virtual_devices))))
        return desc

    def get(self, name):
        """The device ``name``: a virtual device, or the driver or client its entry
        creates (once; later calls return the same one). A ``DeviceError`` says why one
        cannot be made."""
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
        """Tell every device made that has ``notify_run_end`` that the run ended."""
        for _, device in self.active_devices:
            if hasattr(device, "notify_run_end"):
                device.notify_run_end()

    def close_devices(self):
        """Close the devices made, last first (controller clients by ``close_rpc``); one
        that fails to close is logged, not raised, so the others still close."""
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
        """Set dataset ``key``; a persistent dataset is also broadcast, as in ARTIQ."""
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
            key, closest_hint(key, list(self.local) + list(self.broadcast))))

    def mutate(self, key, index, value):
        """Set ``index`` of dataset ``key`` (a tuple is a slice, a tuple of tuples one
        slice a dimension); only a dataset this run set can change."""
        target = self._target(key)
        if isinstance(index, tuple):
            index = tuple(slice(*e) for e in index) if isinstance(index[0], tuple) \
                else slice(*index)
        target[index] = value
        if key in self.broadcast:
            self._notify(key)

    def append_to(self, key, value):
        """Append ``value`` to dataset ``key``, which this run set."""
        self._target(key).append(value)
        if key in self.broadcast:
            self._notify(key)

    def get(self, key, archive=False):
        """Dataset ``key``: this run's value, else the database's (kept for the results
        when ``archive``); ``KeyError`` if neither has it."""
        if key in self.local:
            return self.local[key]
        if key not in self.db:
            raise KeyError(key)
        value = self.db[key]
        if archive:
            self.archive[key] = value
        return value

    def get_metadata(self, key):
        """The metadata this run set with dataset ``key``."""
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
        """Argument ``key`` processed by ``processor`` (its default when not given),
        checked against the processor's range; an ``ArgumentError`` names what is
        wrong."""
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
        """Raise ``ArgumentError`` if an argument was given that the experiment never
        asked for (a misspelt name), listing the ones it takes."""
        unknown = sorted(set(self.unprocessed) - self.processed)
        if unknown:
            takes = ", ".join(sorted(self.requested)) or "no arguments"
            hints = "".join(closest_hint(k, self.requested) for k in unknown)
            raise ArgumentError("{} does not take argument(s) {}; it takes: {}{}".format(
                self.experiment, ", ".join(unknown), takes, hints))

    def get_interactive(self, arglist, title):
        """Refuse: a command-line run has no one to ask (``ArgumentError``)."""
        raise ArgumentError("{} asked for interactive arguments ({}), which a command-line "
                            "run cannot answer".format(self.experiment, title))


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
