"""Experiments, their environment and argument processors: the host half of
``artiq.language.environment``.

``HasEnvironment`` takes the same manager tuple as ARTIQ's
(``(device_mgr, dataset_mgr, argument_mgr, scheduler_defaults)``) or a parent, so the
project's runner builds experiments written against either implementation. Argument
processors convert and check the values exactly as ARTIQ's do: ``NumberValue.process``
converts to int or float and, like ARTIQ, leaves min/max to whoever runs the experiment
(the dashboard's widgets; in this project the runner, see ``control.runner``).
"""
from contextlib import contextmanager
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


class _SimpleArgProcessor:
    def __init__(self, default=NoDefault):
        if isinstance(default, list):
            raise NotImplementedError
        if default is not NoDefault:
            self.default_value = self.process(default)

    def default(self):
        if not hasattr(self, "default_value"):
            raise DefaultMissing
        return self.default_value

    def process(self, x):
        return x

    def describe(self):
        d = {"ty": type(self).__name__}
        if hasattr(self, "default_value"):
            d["default"] = self.default_value
        return d


class PYONValue(_SimpleArgProcessor):
    """Any PYON-serializable value; given as PYON text, decoded by ``process``."""
    def __init__(self, default=NoDefault):
        if default is not NoDefault:
            self.default_value = default

    def process(self, x):
        return pyon.decode(x)

    def describe(self):
        d = {"ty": type(self).__name__}
        if hasattr(self, "default_value"):
            d["default"] = pyon.encode(self.default_value)
        return d


class BooleanValue(_SimpleArgProcessor):
    """A boolean: only ``True`` or ``False`` (not 0/1), as in ARTIQ."""
    def process(self, x):
        if type(x) is not bool:
            raise ValueError("Invalid BooleanValue value")
        return x


class EnumerationValue(_SimpleArgProcessor):
    """One string among ``choices``."""
    def __init__(self, choices, default=NoDefault, quickstyle=False):
        self.choices = choices
        self.quickstyle = quickstyle
        super().__init__(default)

    def process(self, x):
        if x not in self.choices:
            raise ValueError("Invalid EnumerationValue value")
        return x

    def describe(self):
        d = super().describe()
        d["choices"] = self.choices
        d["quickstyle"] = self.quickstyle
        return d


class NumberValue(_SimpleArgProcessor):
    """A number with a display unit and scale.

    The scale comes from the unit's name when it is a known unit (``"ms"`` → 0.001). With
    ``type="auto"`` the value is an int only when precision is 0, scale 1 and step an
    integer; ``type="int"`` with other settings is refused.
    """
    valid_types = ["auto", "float", "int"]

    def __init__(self, default=NoDefault, unit="", *, scale=None, step=None, min=None,
                 max=None, precision=2, type="auto", ndecimals=None):
        if ndecimals is not None:
            precision = ndecimals
        if scale is None:
            if unit == "":
                scale = 1.0
            else:
                try:
                    scale = getattr(units, unit)
                except AttributeError:
                    raise KeyError("Unit {} is unknown, you must specify "
                                   "the scale manually".format(unit))
        if step is None:
            step = scale / 10.0
        self.unit = unit
        self.scale = scale
        self.step = step
        self.min = min
        self.max = max
        self.precision = precision
        self.type = type
        if self.type not in NumberValue.valid_types:
            raise TypeError("type must be 'float', 'int' or 'auto'")
        if self.type == "int" and not self._is_int_compatible():
            raise ValueError("Value marked as integer but settings are not compatible. "
                             "Please set precision = 0, scale = 1 and step to an integer")
        super().__init__(default)

    def _is_int_compatible(self):
        return self.precision == 0 and int(self.step) == self.step and self.scale == 1

    def _is_int(self):
        return self.type == "int" or (self.type == "auto" and self._is_int_compatible())

    def process(self, x):
        return int(x) if self._is_int() else float(x)

    def describe(self):
        d = {"ty": type(self).__name__}
        if hasattr(self, "default_value"):
            d["default"] = self.default_value
        d.update(unit=self.unit, scale=self.scale, step=self.step, min=self.min,
                 max=self.max, precision=self.precision, type=self.type)
        return d


class StringValue(_SimpleArgProcessor):
    """A string."""


class HasEnvironment:
    """Gives access to arguments, devices and datasets through the managers."""

    def __init__(self, managers_or_parent, *args, **kwargs):
        self.children = []
        if isinstance(managers_or_parent, tuple):
            (self.__device_mgr, self.__dataset_mgr, self.__argument_mgr,
             self.__scheduler_defaults) = managers_or_parent
        else:
            parent = managers_or_parent
            self.__device_mgr = parent.__device_mgr
            self.__dataset_mgr = parent.__dataset_mgr
            self.__argument_mgr = parent.__argument_mgr
            self.__scheduler_defaults = {}
            parent.register_child(self)
        self.__in_build = True
        self.build(*args, **kwargs)
        self.__in_build = False

    def register_child(self, child):
        self.children.append(child)

    def call_child_method(self, method, *args, **kwargs):
        """Call ``method`` on every child that has it, in registration order."""
        for child in self.children:
            child_method = getattr(child, method, None)
            if child_method is not None:
                child_method(*args, **kwargs)

    def build(self):
        """Request arguments and devices here."""

    def get_argument(self, key, processor, group=None, tooltip=None):
        if not self.__in_build:
            raise TypeError("get_argument() should only be called from build()")
        return self.__argument_mgr.get(key, processor, group, tooltip)

    def setattr_argument(self, key, processor=None, group=None, tooltip=None):
        setattr(self, key, self.get_argument(key, processor, group, tooltip))
        self.kernel_invariants = getattr(self, "kernel_invariants", set()) | {key}

    @contextmanager
    def interactive(self, title=""):
        arglist = []
        namespace = SimpleNamespace()
        namespace.setattr_argument = (
            lambda key, processor=None, group=None, tooltip=None:
            arglist.append((key, processor, group, tooltip)))
        yield namespace
        del namespace.setattr_argument
        values = self.__argument_mgr.get_interactive(arglist, title)
        if values is None:
            raise CancelledArgsError
        for key, value in values.items():
            setattr(namespace, key, value)

    def get_device_db(self):
        return self.__device_mgr.get_device_db()

    def get_device(self, key):
        return self.__device_mgr.get(key)

    def setattr_device(self, key):
        setattr(self, key, self.get_device(key))
        self.kernel_invariants = getattr(self, "kernel_invariants", set()) | {key}

    @rpc(flags={"async"})
    def set_dataset(self, key, value, *, unit=None, scale=None, precision=None,
                    broadcast=False, persist=False, archive=True):
        metadata = {}
        if unit is not None:
            metadata["unit"] = unit
        if scale is not None:
            metadata["scale"] = scale
        if precision is not None:
            metadata["precision"] = precision
        self.__dataset_mgr.set(key, value, metadata, broadcast, persist, archive)

    @rpc(flags={"async"})
    def mutate_dataset(self, key, index, value):
        self.__dataset_mgr.mutate(key, index, value)

    @rpc(flags={"async"})
    def append_to_dataset(self, key, value):
        self.__dataset_mgr.append_to(key, value)

    def get_dataset(self, key, default=NoDefault, archive=True):
        try:
            return self.__dataset_mgr.get(key, archive)
        except KeyError:
            if default is NoDefault:
                raise
            return default

    def get_dataset_metadata(self, key, default=NoDefault):
        try:
            return self.__dataset_mgr.get_metadata(key)
        except KeyError:
            if default is NoDefault:
                raise
            return default

    def setattr_dataset(self, key, default=NoDefault, archive=True):
        setattr(self, key, self.get_dataset(key, default, archive))

    def set_default_scheduling(self, priority=None, pipeline_name=None, flush=None):
        if not self.__in_build:
            raise TypeError("set_default_scheduling() should only be called from build()")
        if priority is not None:
            self.__scheduler_defaults["priority"] = int(priority)
        if pipeline_name is not None:
            self.__scheduler_defaults["pipeline_name"] = pipeline_name
        if flush is not None:
            self.__scheduler_defaults["flush"] = flush


class Experiment:
    """Base of top-level experiments: ``prepare``, ``run``, ``analyze``."""

    def prepare(self):
        """Precompute what ``run`` needs; no hardware here."""

    def run(self):
        raise NotImplementedError

    def analyze(self):
        """Analyze the results; no hardware here."""


class EnvExperiment(Experiment, HasEnvironment):
    """The usual base of experiments; its ``prepare`` prepares the children."""

    def prepare(self):
        self.call_child_method("prepare")


def is_experiment(o):
    return (isclass(o) and issubclass(o, Experiment)
            and o is not Experiment and o is not EnvExperiment)


def is_public_experiment(o):
    return is_experiment(o) and not o.__name__.startswith("_")
