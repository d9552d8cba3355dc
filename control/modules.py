"""The module system: a trap is a tree of modules built on demand.

* :class:`System` is the root. A system class *declares* its modules with :func:`module`;
  a declared module, and the devices it requests, are built only when something first
  asks for it (an attribute access or :meth:`System.find`). So an experiment builds, and a
  kernel reaches, only the modules it uses.
* :class:`Module` is a node with a name, a parent and a dotted key (``yb171.detection``).
  It requests devices with :meth:`Module.get_device` / ``setattr_device`` (the registry
  records one owner per device; :meth:`Module.claim_device` records one that another
  device's driver opened), reads a device's database entry with
  :meth:`Module.device_description`, and reads calibration values with
  :meth:`Module.setattr_calibration` in :meth:`Module.init`, from datasets named after its
  key. Both land in ``kernel_invariants`` automatically, so ARTIQ's compiler folds them.
* :class:`Service` is a module that implements a HAL interface (it subclasses one);
  portable code finds it with ``system.find(Interface)``, never by class or device name.

Phases, as in ARTIQ: ``build`` (devices and arguments; may run in the master's repository
scan, so no datasets are required here), then ``init`` (calibrations from datasets,
converted to machine units once), which :meth:`System.prepare` runs for every built
module; a module built after that initializes at once. Kernels come after both.
"""
import difflib
import math
import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from control.device_db import resolve_alias
from control.errors import DeviceError, closest_hint
from control.lang import HasEnvironment, NoDefault
from control.mu import delay_mu_of

if TYPE_CHECKING:
    from control.calibrations import CalibrationSpec

__all__ = ["Module", "Service", "System", "module", "ModuleError", "DeviceClaimError",
           "CalibrationError", "Registry"]


class ModuleError(Exception):
    """A module tree that cannot be built as asked."""


class DeviceClaimError(ModuleError):
    """A second module asked for a device that another module owns."""


class CalibrationError(ModuleError):
    """A calibration value that a module needs is missing or invalid."""


def _add_invariant(obj: Any, name: str) -> None:
    obj.kernel_invariants = getattr(obj, "kernel_invariants", set()) | {name}


def _is_number(value: object) -> bool:
    """A real number, not a bool (``True`` is an int to Python, not a calibration)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _numbers_only(value: object) -> bool:
    """A number, or a list of numbers (what most calibrations are)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return all(_numbers_only(v) for v in value)
    return _is_number(value)


def _expected_range(lo: float | None, hi: float | None, unit: str, duration: bool) -> str:
    unit = " " + unit if unit else (" s" if duration else "")
    if lo is None and hi is None:
        return unit.replace(" ", " in ", 1) if unit else ""
    return " in [{}, {}]{}".format("-inf" if lo is None else lo,
                                   "inf" if hi is None else hi, unit)


def _kind(value: object) -> tuple[Callable[[object], bool] | None, str | None]:
    """What a calibration's default says the value must be, as (test, description)."""
    if isinstance(value, (bool, np.bool_)):
        return (lambda v: isinstance(v, (bool, np.bool_))), "a bool (True or False)"
    if _is_number(value):
        return _is_number, "a number"
    if isinstance(value, str):
        return (lambda v: isinstance(v, str)), "a string"
    if isinstance(value, (list, tuple, np.ndarray)):
        return (lambda v: isinstance(v, (list, tuple, np.ndarray))), "a list"
    if isinstance(value, dict):
        return (lambda v: isinstance(v, dict)), "a dict"
    return None, None


def _check_like_default(key: str, value: object, default: object) -> None:
    """A dataset value of another kind than the module's default is a CalibrationError."""
    test, expected = _kind(default)
    if test is not None and not test(value):
        raise CalibrationError(
            "calibration {!r} = {!r} ({}) is not usable: expected {}, like the module's "
            "default {!r}".format(key, value, type(value).__name__, expected, default))


def _archived_keys(system: "System") -> set[str]:
    """The calibration keys archived so far in this run: kept on the system's parent (the
    experiment), which every system built in the run shares."""
    owner = system.parent if system.parent is not None else system
    keys: set[str] = owner.__dict__.setdefault("_calibrations_archived", set())
    return keys


class _DeclaredModule:
    """A module that a system declares; built (once) on first access.

    A non-data descriptor: after the first build the module sits in the instance
    ``__dict__`` and attribute access no longer reaches this object.
    """

    def __init__(self, cls: type["Module"], kwargs: dict[str, Any]) -> None:
        self.cls = cls
        self.kwargs = kwargs
        self.name: str | None = None

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return instance._build_declared(self.name)


def module(cls: type["Module"], **kwargs: Any) -> _DeclaredModule:
    """Declare a module of a system: ``detection = module(PmtDetection, pmt="ttl0")``.

    ``kwargs`` are passed to the module's ``build``.
    """
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise TypeError("module() takes a Module subclass, not {!r}".format(cls))
    return _DeclaredModule(cls, kwargs)


class Registry:
    """Modules by key, devices by owner, services by interface, for one system."""

    def __init__(self, device_db: dict[str, Any]) -> None:
        self._device_db = device_db
        self.modules: dict[str, Module] = {}   # key -> module, in build order
        self.device_owner: dict[str, str] = {}  # resolved device name -> module key
        # dataset key -> CalibrationSpec, as modules read them
        self.calibrations: dict[str, CalibrationSpec] = {}

    def resolve(self, device: str) -> str:
        """The device name behind a chain of aliases
        (:func:`control.device_db.resolve_alias`)."""
        return resolve_alias(self._device_db, device)

    def add_module(self, mod: "Module") -> None:
        """Register ``mod`` under its key; two modules with one key are a
        ``ModuleError``."""
        if mod.module_key in self.modules:
            raise ModuleError("two modules share the key {!r}".format(mod.module_key))
        self.modules[mod.module_key] = mod

    def claim(self, device: str, mod: "Module") -> None:
        """Record ``mod`` as the owner of ``device``; one owner per device."""
        name = self.resolve(device)
        owner = self.device_owner.get(name)
        if owner is not None and owner != mod.module_key:
            alias = "" if name == device else " (alias of {!r})".format(name)
            raise DeviceClaimError(
                "device {!r}{} is owned by module {!r}; module {!r} asked for it too. "
                "One device has one owner: let {!r} use {!r}'s methods instead".format(
                    device, alias, owner, mod.module_key, mod.module_key, owner))
        self.device_owner[name] = mod.module_key

    def devices_of(self, mod: "Module") -> list[str]:
        """The (resolved) names of the devices ``mod`` owns, sorted."""
        return sorted(d for d, k in self.device_owner.items() if k == mod.module_key)


class Module(HasEnvironment):
    """A node of a system's module tree.

    Subclasses implement ``build(**kwargs)`` (request devices) and ``init()`` (read
    calibrations with :meth:`setattr_calibration`). ``self.core`` is the system's core
    device, declared invariant.
    """

    if TYPE_CHECKING:
        # For the type checker: set in __init__ (and core by the system's build).
        system: "System"
        module_key: str
        core: Any

    def __init__(self, parent: Any, name: str, *args: Any, **kwargs: Any) -> None:
        if not isinstance(name, str) or not name.isidentifier():
            raise ModuleError("a module name must be an identifier, not {!r}".format(name))
        self.module_name = name
        self.parent = parent
        # A module without a module parent is the system itself.
        self.system = parent.system if isinstance(parent, Module) else cast("System", self)
        self.module_key = (parent.module_key + "." + name) if isinstance(parent, Module) \
            else name
        self._initialized = False
        if self.system is not self:
            self.core = self.system.core
            _add_invariant(self, "core")
            self.system.registry.add_module(self)
        super().__init__(parent, *args, **kwargs)
        if self.system is not self and self.system.is_initialized:
            self.init_module()

    def declare_invariants(self, *names: str) -> None:
        """Add attributes to ``kernel_invariants`` (ARTIQ folds them into kernels)."""
        for name in names:
            _add_invariant(self, name)

    # ---- devices

    def get_device(self, key: str) -> Any:
        """Request a device and record this module as its owner.

        A device the device database lacks, or that fails to build, is a ``DeviceError``
        naming the device, this module and the device database."""
        self.system.registry.claim(key, self)
        try:
            return super().get_device(key)
        except DeviceError as exc:
            raise DeviceError("module {!r} needs device {!r}: {}".format(
                self.module_key, key, exc)) from exc
        except KeyError:
            # ARTIQ's own device manager: a name missing from its database is a KeyError.
            if self._device_desc(key) is not None:
                raise
            raise self._missing_device(key) from None

    def device_description(self, key: str) -> dict[str, Any]:
        """The device-database entry behind ``key`` (aliases resolved): the dict with the
        device's ``type``, ``module``, ``class`` and ``arguments``, for a module that must
        know a device's class or arguments (a DDS channel's ``sw_device``) before or
        without building it. Reading it claims nothing. A ``DeviceError`` naming the
        device, this module and the device database when the database lacks it."""
        desc = self._device_desc(key)
        if desc is None:
            raise self._missing_device(key)
        return desc

    def claim_device(self, key: str) -> None:
        """Record this module as the owner of device ``key`` without building it: a
        device that another device's driver opened for this module (the RF switch TTL
        that ARTIQ's DDS driver opens from its ``sw_device``). A ``DeviceClaimError`` if
        another module owns it."""
        self.system.registry.claim(key, self)

    def _device_desc(self, key: str) -> dict[str, Any] | None:
        desc = self.get_device_db().get(self.system.registry.resolve(key))
        return desc if isinstance(desc, dict) else None

    def _missing_device(self, key: str) -> DeviceError:
        ddb = self.get_device_db()
        name = self.system.registry.resolve(key)
        alias = "" if name == key else " (alias of {!r})".format(name)
        # Where the database came from, when the device manager says (control's does).
        mgr = getattr(self, "_HasEnvironment__device_mgr", None)
        source = getattr(mgr, "source", None) or "device database"
        return DeviceError("module {!r} needs device {!r}{}, which is not in the {}{}"
                           .format(self.module_key, key, alias, source,
                                   closest_hint(name, [k for k in ddb if isinstance(k, str)])))

    def setattr_device(self, key: str, attribute: str | None = None) -> None:
        """``self.<attribute> = get_device(key)``, declared kernel invariant.

        ``attribute`` defaults to the device name; modules usually take device names as
        build arguments and store them under a role name (``self.pmt``).
        """
        attribute = key if attribute is None else attribute
        setattr(self, attribute, self.get_device(key))
        _add_invariant(self, attribute)

    # ---- calibrations

    def calibration_key(self, name: str) -> str:
        """The dataset that holds calibration ``name`` of this module."""
        return self.module_key + "." + name

    def get_calibration(self, name: str, default: Any = NoDefault) -> Any:
        """The value of dataset ``<module key>.<name>``, or ``default``; a value of
        another kind than the default (a string where the default is a number, ...) is a
        ``CalibrationError`` naming the key, the value and its type."""
        key = self.calibration_key(name)
        self._declare_calibration(key, default=default)
        value = self._calibration_value(key, default)
        if default is not NoDefault and value is not default:
            _check_like_default(key, value, default)
        return value

    def _calibration_value(self, key: str, default: Any) -> Any:
        overrides = self.system.calibration_overrides
        # A run that builds its trap more than once (a calibration, a build per scan
        # point) archives each calibration once, as first read: ARTIQ warns, with a
        # traceback, on every second archive of a key.
        archived = _archived_keys(self.system)
        try:
            # A calibration scan's point value (or a starting guess) stands in for the
            # dataset; it is not archived, as it is no calibration of the trap.
            if key in overrides:
                value = overrides[key]
            else:
                value = self.get_dataset(key, archive=key not in archived)
                archived.add(key)
        except KeyError:
            if default is not NoDefault:
                return default
            raise CalibrationError(
                "module {!r} needs calibration dataset {!r} and nobody set it; set it "
                "(e.g. set_dataset({!r}, value, persist=True)) or give the module a "
                "default".format(self.module_key, key, key)) from None
        # What the dataset DB gave, to name if init fails on a value of the wrong type.
        self.__dict__.setdefault("_calibrations_read", {})[key] = value
        return value

    def setattr_calibration(self, name: str, default: Any = NoDefault, *, unit: str = "",
                            to_mu: bool = False, min: float | None = None,
                            max: float | None = None, attribute: str | None = None) -> Any:
        """Read a calibration into an attribute declared kernel invariant.

        ``to_mu=True`` converts a duration in seconds to int64 machine units once, on the
        host, rounding to nearest as ARTIQ's compiler does for ``delay(seconds)``, so that
        ``delay_mu(self.x)`` lasts what ``delay(x)`` would. (``core.seconds_to_mu``
        floors: with ``ref_period = 1e-9`` it turns 1 µs into 999 mu, since
        ``1e-6 // 1e-9 == 999.0`` in floating point.) ``min``/``max`` bound the value (before
        conversion) so a wrong calibration fails here, not in a kernel. ``unit`` is only
        for the error messages. A calibration with bounds, a duration or a numeric
        default must be a number (finite when bounded or a duration): anything else is a
        ``CalibrationError`` naming the key, the value, its type and what was expected.
        """
        key = self.calibration_key(name)
        self._declare_calibration(key, default=default, unit=unit, min=min, max=max,
                                  duration=to_mu)
        value = self._calibration_value(key, default)
        bounded = min is not None or max is not None or to_mu
        if bounded or _is_number(default):
            if not _is_number(value) or (bounded and not math.isfinite(value)):
                raise CalibrationError(
                    "calibration {!r} = {!r} ({}) is not usable: expected {}{}".format(
                        key, value, type(value).__name__,
                        "a finite number" if bounded else "a number",
                        _expected_range(min, max, unit, to_mu)))
        elif default is not NoDefault and value is not default:
            _check_like_default(key, value, default)
        if min is not None and value < min or max is not None and value > max:
            raise CalibrationError("calibration {!r} = {}{} is outside [{}, {}]".format(
                key, value, unit and " " + unit, min, max))
        if to_mu:
            if value < 0:
                raise CalibrationError("calibration {!r} is a duration and cannot be "
                                       "negative: {} s".format(key, value))
            value = delay_mu_of(value, self.core.ref_period)
        attribute = name if attribute is None else attribute
        setattr(self, attribute, value)
        _add_invariant(self, attribute)
        return value

    def _declare_calibration(self, key: str, **spec: Any) -> None:
        """Record what this module reads, so that a lab tool can list a trap's needs
        (``control.calibrations``); the first, fullest declaration of a key wins."""
        registry = self.system.registry
        if registry is not None and key not in registry.calibrations:
            from control.calibrations import CalibrationSpec
            registry.calibrations[key] = CalibrationSpec(key, self.module_key, **spec)

    # ---- phases

    def init(self) -> None:
        """Read calibrations; runs once, after build, before any kernel."""

    def init_module(self) -> None:
        """Run :meth:`init` once; a ``TypeError`` from it that a calibration of the wrong
        type explains becomes a ``CalibrationError`` naming that calibration."""
        if not self._initialized:
            self._initialized = True
            try:
                self.init()
            except TypeError as exc:
                # A calibration read without a default or range (nothing to check it
                # against) that is not a number, where init computed with one.
                odd = [(k, v) for k, v in self.__dict__.get("_calibrations_read", {}).items()
                       if not _numbers_only(v)]
                if not odd:
                    raise
                raise CalibrationError(
                    "module {!r} cannot use its calibrations (init failed: TypeError: {}); "
                    "not numbers: {}".format(self.module_key, exc, "; ".join(
                        "{!r} = {!r} ({})".format(k, v, type(v).__name__) for k, v in odd))
                ) from exc

    def prepare(self) -> None:
        """Initialize this module (:meth:`init_module`), then its children."""
        self.init_module()
        self.call_child_method("prepare")

    @property
    def submodules(self) -> list["Module"]:
        """The children that are modules, in build order."""
        return [c for c in self.children if isinstance(c, Module)]

    def __repr__(self) -> str:
        return "<{} {}>".format(type(self).__name__, self.module_key)


class Service(Module):
    """A module that implements one or more HAL interfaces (subclass them too)."""


class System(Module):
    """The root of a trap's module tree.

    A system is built as a child of the experiment: ``Yb171(self)`` in ``build``. Its
    class declares modules with :func:`module`; its name is the class attribute
    ``system_name`` (the key prefix of every module and calibration).
    """
    system_name: str | None = None
    core_device = "core"
    #: Dataset key -> value that modules read instead of the dataset (set before the
    #: modules are built): how a calibration scan plays a point, or measures before a
    #: value exists. Empty for every ordinary run.
    calibration_overrides: dict[str, Any] = {}
    #: What the portable calibrations measure, by role: ``"detection.threshold"``,
    #: ``"qubit_frequency"`` (one entry per qubit), ``"pi_time"``, ``"ms.detuning"``,
    #: ``"ms.gate_time"``. Each entry is a calibration key under the system
    #: (``"drive.pi_time"``), an element of a list-valued one written ``key[i]``
    #: (``"drive.frequencies[0]"``). A trap without a role leaves it out.
    calibration_roles: dict[str, Any] = {}

    def __init__(self, parent: Any, *args: Any, name: str | None = None,
                 **kwargs: Any) -> None:
        name = name or self.system_name or type(self).__name__.lower()
        self._system_initialized = False
        self.system = self  # before HasEnvironment calls build
        self.registry: Registry = None  # type: ignore[assignment]  # made by build
        super().__init__(parent, name, *args, **kwargs)

    def build(self, **kwargs: Any) -> None:
        """Make the registry and get the core device (invariant); declared modules are
        built later, when something asks for them."""
        self.registry = Registry(self.get_device_db())
        self.core = self.get_device(self.core_device)
        _add_invariant(self, "core")

    @property
    def is_initialized(self) -> bool:
        """True once :meth:`prepare` ran: a module built after it initializes at once."""
        return self._system_initialized

    @classmethod
    def declared_modules(cls) -> dict[str, _DeclaredModule]:
        """Name -> declaration of every module the system class declares."""
        found = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, _DeclaredModule):
                    found[name] = value
        return found

    def _build_declared(self, name: str) -> Module:
        if name in self.__dict__:
            done: Module = self.__dict__[name]
            return done
        declared = self.declared_modules()[name]
        built = declared.cls(self, name, **declared.kwargs)
        self.__dict__[name] = built
        _add_invariant(self, name)
        return built

    def is_built(self, name: str) -> bool:
        """True if the declared module ``name`` has been built (so it is linked)."""
        return name in self.__dict__ and isinstance(self.__dict__[name], Module)

    def find_all(self, interface: type) -> list[Module]:
        """Every module of this system that implements ``interface``, building declared
        ones that do (in declaration order)."""
        found = [self._build_declared(name)
                 for name, declared in self.declared_modules().items()
                 if issubclass(declared.cls, interface)]
        for mod in self.registry.modules.values():
            if isinstance(mod, interface) and mod not in found:
                found.append(mod)
        return found

    def find(self, interface: type) -> Module:
        """The one module implementing ``interface``; an error if none or several."""
        found = self.find_all(interface)
        if len(found) != 1:
            which = ", ".join(m.module_key for m in found) or "none"
            raise ModuleError("system {!r} has {} module(s) implementing {} ({}); "
                              "exactly one is needed".format(
                                  self.module_key, len(found), interface.__name__, which))
        return found[0]

    def get_module(self, key: str) -> Module:
        """A module by its key (``yb171.detection``) or by its name under the system."""
        if key in self.registry.modules:
            return self.registry.modules[key]
        name = key[len(self.module_key) + 1:] if key.startswith(self.module_key + ".") \
            else key
        head, _, rest = name.partition(".")
        if head in self.declared_modules():
            mod = self._build_declared(head)
            return mod if not rest else self.get_module(key)
        known = list(self.registry.modules) + [self.module_key + "." + n
                                               for n in self.declared_modules()]
        close = difflib.get_close_matches(key, known, n=3)
        raise ModuleError("system {!r} has no module {!r}{}".format(
            self.module_key, key, "; closest: " + ", ".join(close) if close else ""))

    def prepare(self) -> None:
        """Initialize every built module (calibrations), then let later-built ones
        initialize as they are built."""
        self.init_module()
        for mod in list(self.registry.modules.values()):
            mod.init_module()
        self._system_initialized = True

    def link_report(self) -> dict[str, Any]:
        """What this system built: per module its devices and kernel invariants, and the
        declared modules that were never built (not linked)."""
        rows: list[dict[str, Any]] = []
        for key, mod in [(self.module_key, self)] + list(self.registry.modules.items()):
            rows.append({
                "module": key,
                "class": type(mod).__module__ + "." + type(mod).__qualname__,
                "devices": self.registry.devices_of(mod),
                "invariants": sorted(getattr(mod, "kernel_invariants", ())),
            })
        unbuilt = [self.module_key + "." + name for name in self.declared_modules()
                   if not self.is_built(name)]
        return {"system": self.module_key, "modules": rows, "not_linked": unbuilt}
