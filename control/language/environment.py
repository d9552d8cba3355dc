"""Experiments, their environment and argument processors, for hosts without ARTIQ.

Matches ``artiq.language.environment`` of ARTIQ 9 (``9.9565+3740b92.beta``, the version the
lab's ``artiq-lab`` build installs) in what users and tools see: the public names and
signatures, the ``describe()`` dictionaries the dashboard and ``control list`` read (same
keys, same order, same values) and the error texts users search for. Everything behind
that is this project's own. Parity is checked by ``tests/test_lang.py``, which runs each
check on this module and, in the ARTIQ lane (``make test-artiq``), on ARTIQ's.

Argument processors turn what the user typed into the value ``build`` receives. They share
one small base: a processor stores its default already converted, and describes itself as
``ty``, then ``default`` when it has one, then the attributes its class lists in
``_fields``. ``NumberValue.process`` converts to int or float and, as ARTIQ's does, leaves
min and max to whoever asks for the value (the dashboard's widgets; here ``control.runner``).

``HasEnvironment`` is built from the manager tuple ARTIQ's worker passes,
``(device_mgr, dataset_mgr, argument_mgr, scheduler_defaults)``, or from a parent, whose
managers it then shares; the project's runner and ``control.examine`` build experiments
written against either implementation that way.
"""
from contextlib import contextmanager
from dataclasses import dataclass, replace
from inspect import isclass
from types import SimpleNamespace

from control import pyon
from control.language import units
from control.language.core import rpc

__all__ = ["NoDefault", "DefaultMissing", "PYONValue", "BooleanValue", "EnumerationValue",
           "NumberValue", "StringValue", "HasEnvironment", "Experiment", "EnvExperiment",
           "CancelledArgsError", "is_experiment", "is_public_experiment"]


class NoDefault:
    """The absence of a default value."""


class DefaultMissing(Exception):
    """Raised by a processor's ``default()`` when it has none."""


class CancelledArgsError(Exception):
    """Raised when an interactive argument request is cancelled."""


def _display_settings(unit, scale, step, precision, ndecimals):
    """``(scale, step, precision)`` of a value the dashboard shows in ``unit``: without
    ``scale``, the unit's value in :mod:`control.language.units` (``"us"`` → 1e-6; no
    unit, 1); without ``step``, a tenth of the scale; ``ndecimals``, the old name of
    ``precision``, wins when given. ``NumberValue`` and ``Scannable`` both use it."""
    if scale is None:
        if unit == "":
            scale = 1.0
        elif hasattr(units, unit):
            scale = getattr(units, unit)
        else:
            # KeyError and this text are ARTIQ's: users search for them.
            raise KeyError("Unit {} is unknown, you must specify the scale manually"
                           .format(unit))
    step = scale / 10.0 if step is None else step
    precision = precision if ndecimals is None else ndecimals
    return scale, step, precision


class _Processor:
    """What every argument processor does: keep a default, convert, describe.

    The default lives in the attribute named by ``_default_attribute`` (ARTIQ's public name
    for it) and exists only when one was given, so ``hasattr`` tells whether there is one.
    Subclasses change how a default is kept (``_keep``) and shown (``_shown_default``).
    """
    #: attributes ``describe()`` reports after the default, in the dashboard's order
    _fields: tuple[str, ...] = ()
    _default_attribute = "default_value"

    def __init__(self, default=NoDefault):
        if default is not NoDefault:
            setattr(self, self._default_attribute, self._keep(default))

    def _keep(self, default):
        # A list of defaults would mean "in decreasing priority", which ARTIQ reserves
        # and has not implemented: refuse it as ARTIQ does, rather than take it as a value.
        if isinstance(default, list):
            raise NotImplementedError
        return self.process(default)

    def _shown_default(self):
        return getattr(self, self._default_attribute)

    def default(self):
        """The default value, converted; raises ``DefaultMissing`` if none was given."""
        try:
            return getattr(self, self._default_attribute)
        except AttributeError:
            raise DefaultMissing from None

    def process(self, x):
        """The value the experiment receives for what the user gave, ``x``."""
        return x

    def describe(self):
        """The dict the dashboard builds its widget from: ``ty``, ``default`` if any,
        then the class's ``_fields``."""
        description = {"ty": type(self).__name__}
        if hasattr(self, self._default_attribute):
            description["default"] = self._shown_default()
        for name in self._fields:
            description[name] = getattr(self, name)
        return description


class PYONValue(_Processor):
    """Any PYON-serializable value; given as PYON text, decoded by ``process``."""

    def _keep(self, default):
        return default  # already a value (lists included), not text to decode

    def _shown_default(self):
        return pyon.encode(self.default_value)  # the dashboard edits it as text

    def process(self, x):
        """The value the PYON text ``x`` encodes."""
        return pyon.decode(x)


class BooleanValue(_Processor):
    """A boolean: only ``True`` or ``False`` (not 0/1), as in ARTIQ."""

    def process(self, x):
        """``x`` itself if it is ``True`` or ``False``; anything else is a ``ValueError``."""
        if x is True or x is False:
            return x
        raise ValueError("Invalid BooleanValue value")


class EnumerationValue(_Processor):
    """One string among ``choices``; ``quickstyle`` asks the dashboard for one button per
    choice, each submitting the experiment."""
    _fields = ("choices", "quickstyle")

    def __init__(self, choices, default=NoDefault, quickstyle=False):
        self.choices = choices
        self.quickstyle = quickstyle
        super().__init__(default)  # after choices: the default is checked against them

    def process(self, x):
        """``x`` itself if it is one of the choices; anything else is a ``ValueError``."""
        if x in self.choices:
            return x
        raise ValueError("Invalid EnumerationValue value")


class NumberValue(_Processor):
    """A number with a display unit and scale.

    The scale comes from the unit's name when it is a known unit (``"ms"`` → 0.001); for
    any other unit give ``scale``. ``step`` (the dashboard's up/down increment) defaults
    to a tenth of the scale. With ``type="auto"`` the value is an int only when precision
    is 0, scale 1 and step an integer; ``type="int"`` with other settings is refused.
    ``ndecimals`` is the old name of ``precision``.
    """
    valid_types = ["auto", "float", "int"]
    _fields = ("unit", "scale", "step", "min", "max", "precision", "type")

    def __init__(self, default=NoDefault, unit="", *, scale=None, step=None, min=None,
                 max=None, precision=2, type="auto", ndecimals=None):
        self.unit = unit
        self.scale, self.step, self.precision = _display_settings(
            unit, scale, step, precision, ndecimals)
        self.min = min
        self.max = max
        self.type = type
        if type not in NumberValue.valid_types:
            raise TypeError("type must be 'float', 'int' or 'auto'")
        if type == "int" and not self._settings_allow_int():
            raise ValueError("Value marked as integer but settings are not compatible. "
                             "Please set precision = 0, scale = 1 and step to an integer")
        super().__init__(default)  # last: converting the default needs the settings

    def _settings_allow_int(self):
        """Whether the display settings could only ever produce whole numbers."""
        return self.precision == 0 and int(self.step) == self.step and self.scale == 1

    def process(self, x):
        """``x`` as an int or a float, by ``type`` and the display settings; min and max
        are not checked here (see the module docstring)."""
        wants_int = self.type == "int" or (self.type == "auto" and self._settings_allow_int())
        return int(x) if wants_int else float(x)


class StringValue(_Processor):
    """A string."""


@dataclass
class _Managers:
    """Where one object's environment comes from: the managers it shares with its parent
    and children, its default scheduling options, and whether ``build`` is running.

    A child gets a fresh ``scheduling`` dict, which nothing reads: only the top-level
    experiment's defaults reach the scheduler (ARTIQ's behaviour).
    """
    devices: object
    datasets: object
    arguments: object
    scheduling: dict
    building: bool = False


class HasEnvironment:
    """Gives access to arguments, devices and datasets through the managers."""

    def __init__(self, managers_or_parent, *args, **kwargs):
        self.children = []
        if isinstance(managers_or_parent, tuple):
            self.__managers = _Managers(*managers_or_parent)
        else:
            parent = managers_or_parent
            self.__managers = replace(parent.__managers, scheduling={}, building=False)
            parent.register_child(self)
        self.__managers.building = True
        self.build(*args, **kwargs)
        self.__managers.building = False

    # ARTIQ keeps the device manager in ``_HasEnvironment__device_mgr``, and
    # ``control/modules.py`` reads that name to say which device database lacks a device;
    # answering it here lets that code work with both implementations.
    @property
    def _HasEnvironment__device_mgr(self):
        return self.__managers.devices

    def __only_in_build(self, method):
        if not self.__managers.building:
            raise TypeError("{}() should only be called from build()".format(method))

    def __set_invariant(self, name, value):
        """``self.<name> = value``, and ``name`` joins the kernel invariants."""
        setattr(self, name, value)
        self.kernel_invariants = getattr(self, "kernel_invariants", set()) | {name}

    def register_child(self, child):
        """Add ``child`` to ``children`` (a child built with this object as its parent
        registers itself)."""
        self.children.append(child)

    def call_child_method(self, method, *args, **kwargs):
        """Call ``method`` on every child that has it, in registration order."""
        for child in self.children:
            child_method = getattr(child, method, None)
            if child_method is not None:
                child_method(*args, **kwargs)

    def build(self):
        """Request arguments and devices here."""

    # ---- arguments

    def get_argument(self, key, processor, group=None, tooltip=None):
        """The value of argument ``key``, declared with ``processor`` (shown under
        ``group``, with ``tooltip``); only in ``build``."""
        self.__only_in_build("get_argument")
        return self.__managers.arguments.get(key, processor, group, tooltip)

    def setattr_argument(self, key, processor=None, group=None, tooltip=None):
        """:meth:`get_argument`, kept as ``self.<key>`` and made a kernel invariant."""
        self.__set_invariant(key, self.get_argument(key, processor, group, tooltip))

    @contextmanager
    def interactive(self, title=""):
        """Ask the user for arguments while the experiment runs: call ``setattr_argument``
        on the namespace this yields; when the block ends the experiment waits for the
        user, and the namespace then holds the values."""
        requested = []

        def setattr_argument(key, processor=None, group=None, tooltip=None):
            requested.append((key, processor, group, tooltip))

        answers = SimpleNamespace(setattr_argument=setattr_argument)
        yield answers
        # The same namespace carries the answers, without the method: it would do nothing.
        del answers.setattr_argument
        values = self.__managers.arguments.get_interactive(requested, title)
        if values is None:
            raise CancelledArgsError
        vars(answers).update(values)

    # ---- devices

    def get_device_db(self):
        """The whole device database, as a dict."""
        return self.__managers.devices.get_device_db()

    def get_device(self, key):
        """The device (driver or controller client) named ``key`` in the device
        database."""
        return self.__managers.devices.get(key)

    def setattr_device(self, key):
        """:meth:`get_device`, kept as ``self.<key>`` and made a kernel invariant."""
        self.__set_invariant(key, self.get_device(key))

    # ---- datasets (the setters are async RPCs, so kernels can call them without waiting)

    @rpc(flags={"async"})
    def set_dataset(self, key, value, *, unit=None, scale=None, precision=None,
                    broadcast=False, persist=False, archive=True):
        """Set dataset ``key`` to ``value`` with its display metadata; ``broadcast`` to
        the master, ``persist`` across runs, ``archive`` in the results. An async RPC:
        a kernel does not wait for it."""
        given = (("unit", unit), ("scale", scale), ("precision", precision))
        metadata = {name: setting for name, setting in given if setting is not None}
        self.__managers.datasets.set(key, value, metadata, broadcast, persist, archive)

    @rpc(flags={"async"})
    def mutate_dataset(self, key, index, value):
        """Set ``index`` of dataset ``key`` to ``value``: an index, a ``(start, stop[,
        step])`` slice, or a tuple of such slices, one a dimension. An async RPC."""
        self.__managers.datasets.mutate(key, index, value)

    @rpc(flags={"async"})
    def append_to_dataset(self, key, value):
        """Append ``value`` to the list held by dataset ``key``. An async RPC."""
        self.__managers.datasets.append_to(key, value)

    def get_dataset(self, key, default=NoDefault, archive=True):
        """The value of dataset ``key``, or ``default`` if there is none (``KeyError``
        without a default); ``archive`` keeps what was read in the results."""
        return _looked_up(self.__managers.datasets.get, (key, archive), default)

    def get_dataset_metadata(self, key, default=NoDefault):
        """The metadata dict (unit, scale, precision) of dataset ``key``, or
        ``default``."""
        return _looked_up(self.__managers.datasets.get_metadata, (key,), default)

    def setattr_dataset(self, key, default=NoDefault, archive=True):
        """:meth:`get_dataset`, kept as ``self.<key>`` (not a kernel invariant: datasets
        change)."""
        setattr(self, key, self.get_dataset(key, default, archive))

    # ---- scheduling

    def set_default_scheduling(self, priority=None, pipeline_name=None, flush=None):
        """Default scheduling options the dashboard submits the experiment with; only in
        ``build``, and only the top-level experiment's count."""
        self.__only_in_build("set_default_scheduling")
        if priority is not None:
            priority = int(priority)
        options = {"priority": priority, "pipeline_name": pipeline_name, "flush": flush}
        self.__managers.scheduling.update(
            (option, value) for option, value in options.items() if value is not None)


def _looked_up(lookup, args, default):
    """``lookup(*args)``, or ``default`` if it raises ``KeyError`` and there is one."""
    try:
        return lookup(*args)
    except KeyError:
        if default is NoDefault:
            raise
        return default


class Experiment:
    """Base of top-level experiments: ``prepare``, ``run``, ``analyze``."""

    def prepare(self):
        """Precompute what ``run`` needs; no hardware here."""

    def run(self):
        """The experiment's work, with the hardware; every experiment defines it."""
        raise NotImplementedError

    def analyze(self):
        """Analyze the results; no hardware here."""


class EnvExperiment(Experiment, HasEnvironment):
    """The usual base of experiments; its ``prepare`` prepares the children."""

    def prepare(self):
        self.call_child_method("prepare")


def is_experiment(o):
    """Whether ``o`` is an experiment class the master would list (the two bases aside)."""
    return isclass(o) and issubclass(o, Experiment) and o not in (Experiment, EnvExperiment)


def is_public_experiment(o):
    """Whether ``o`` is an experiment class whose name does not start with ``_``."""
    return is_experiment(o) and not o.__name__.startswith("_")
