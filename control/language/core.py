"""Decorators and the timeline, for hosts without ARTIQ.

Matches ``artiq.language.core`` of ARTIQ 9 (``9.9565+3740b92.beta``, the version the lab's
``artiq-lab`` build installs): the same names and signatures, the same ``artiq_embedded``
marker record, the same calls into the core device and the time manager. Parity is checked
by ``tests/test_lang.py``, which runs each check on this module and, in the ARTIQ lane
(``make test-artiq``), on ARTIQ's.

The decorators keep a function callable on the host and mark it the way ARTIQ does, with an
``artiq_embedded`` record, so that tools (``control.hal.validate``, ``control link``) can
tell kernels, portable functions, RPCs and host-only functions apart with either
implementation. A ``@kernel`` method called on the host asks its core device
(``self.core`` unless another name is given) to ``run`` it, exactly as ARTIQ does; the
simulated core runs it as Python.

Timeline calls (``delay``, ``delay_mu``, ``now_mu``, ``at_mu``, ``parallel``,
``sequential``) go to the time manager installed by :func:`set_time_manager`; without one
they raise, as in ARTIQ. ``delay(seconds)`` hands the seconds to the time manager, which
converts them with the core's ``ref_period``: the simulated core rounds to nearest
(``round(t / ref_period)``), as ARTIQ's compiler lowers ``delay`` on the core device.
"""
import textwrap
from collections import namedtuple
from contextlib import nullcontext
from functools import wraps

__all__ = ["kernel", "portable", "rpc", "subkernel", "syscall", "host_only",
           "kernel_from_string", "set_time_manager", "set_watchdog_factory",
           "TerminationRequested",
           "sequential", "parallel", "interleave",
           "delay_mu", "now_mu", "at_mu", "delay", "watchdog"]

# The marker record: ARTIQ's fields (and type name, so it prints the same), which its
# compiler and the project's tools read, so code that inspects it works with both.
_MarkerRecord = namedtuple(  # type: ignore[name-match]
    "_ARTIQEmbeddedInfo",
    "core_name portable function syscall forbidden destination flags")


def _embedded(core_name=None, portable=False, function=None, syscall=None,
              forbidden=False, destination=None, flags=()):
    """A marker record; every field not given is "not this kind" (None or False)."""
    return _MarkerRecord(core_name, portable, function, syscall, forbidden,
                         destination, set(flags))


def kernel(arg=None, flags={}):  # noqa: B006  (ARTIQ's signature; never mutated)
    """Mark a method for execution on the core device named by ``arg`` (default ``core``).

    Called on the host, it calls ``getattr(self, core_name).run(wrapper, (self,) + args,
    kwargs)``; the original function is kept in ``wrapper.artiq_embedded.function``.
    """
    if isinstance(arg, str):
        def decorate(function):
            @wraps(function)
            def run_on_core(self, *k_args, **k_kwargs):
                return getattr(self, arg).run(run_on_core, (self,) + k_args, k_kwargs)
            run_on_core.artiq_embedded = _embedded(core_name=arg, function=function,
                                                   flags=flags)
            return run_on_core
        return decorate
    if arg is None:
        return lambda function: kernel(function, flags)
    return kernel("core", flags)(arg)


def subkernel(arg=None, destination=0, flags={}):  # noqa: B006  (ARTIQ's signature; never mutated)
    """Mark a method for execution on a DRTIO satellite (recognized, not simulated)."""
    if isinstance(arg, str):
        def decorate(function):
            @wraps(function)
            def run_subkernel(self, *k_args, **k_kwargs):
                core = getattr(self, arg)
                sid = core.prepare_subkernel(destination, run_subkernel,
                                             (self,) + k_args, k_kwargs)
                core.run_subkernel(sid)
            run_subkernel.artiq_embedded = _embedded(core_name=arg, function=function,
                                                     destination=destination, flags=flags)
            return run_subkernel
        return decorate
    if arg is None:
        return lambda function: subkernel(function, destination, flags)
    return subkernel("core", destination, flags)(arg)


def portable(arg=None, flags={}):  # noqa: B006  (ARTIQ's signature; never mutated)
    """Mark a function to run where its caller runs: on the host from the host, on the
    core device from a kernel."""
    if arg is None:
        return lambda function: portable(function, flags)
    arg.artiq_embedded = _embedded(portable=True, function=arg, flags=flags)
    return arg


def rpc(arg=None, flags={}):  # noqa: B006  (ARTIQ's signature; never mutated)
    """Mark a function as a remote procedure call from kernels to the host (the default
    for undecorated methods; this marker carries flags such as ``{"async"}``)."""
    if arg is None:
        return lambda function: rpc(function, flags)
    arg.artiq_embedded = _embedded(function=arg, flags=flags)
    return arg


def syscall(arg=None, flags={}):  # noqa: B006  (ARTIQ's signature; never mutated)
    """Mark a function as a call into the core device's runtime (drivers only)."""
    if isinstance(arg, str):
        def decorate(function):
            function.artiq_embedded = _embedded(syscall=arg, flags=flags)
            return function
        return decorate
    if arg is None:
        return lambda function: syscall(function.__name__, flags)(function)
    return syscall(arg.__name__)(arg)


def host_only(function):
    """Mark a function that kernels must never call."""
    function.artiq_embedded = _embedded(forbidden=True)
    return function


def kernel_from_string(parameters, body_code, decorator=kernel):
    """A kernel (or, with ``decorator=portable``, a portable function) built from source
    text, for code that must be generated.

    ``parameters`` lists the argument names, each a string or a ``(name, annotation)`` pair
    of strings; ``body_code`` is the body (``return`` works as usual). The function is
    defined with ``exec`` in an empty namespace, so the body sees its parameters and
    Python's builtins only: pass in whatever else it needs. It is then decorated, and its
    marker record keeps the source text in place of the function, where ARTIQ's compiler
    reads it (and where the simulated core finds it, see ``control.sim.devices.core``).
    A text that is not valid Python raises ``SyntaxError`` showing the whole definition.
    """
    arguments = ", ".join(p if isinstance(p, str) else "{}: {}".format(*p)
                          for p in parameters)
    source = "def kernel_from_string_fn({}):\n{}".format(
        arguments, textwrap.indent(body_code, "    "))
    namespace = {}
    try:
        exec(source, namespace)
    except SyntaxError as exc:
        raise SyntaxError("kernel_from_string: not valid Python ({}):\n{}".format(
            exc.msg, source)) from exc
    marked = decorator(namespace["kernel_from_string_fn"])
    marked.artiq_embedded = marked.artiq_embedded._replace(function=source)
    return marked


class _NoTimeManager:
    """Stands in until a simulated core installs its time manager."""
    def _refuse(self, *args, **kwargs):
        raise NotImplementedError("Attempted to interpret kernel without a time manager")

    enter_sequential = enter_parallel = exit = _refuse
    take_time_mu = get_time_mu = set_time_mu = take_time = _refuse


_time_manager = _NoTimeManager()


def set_time_manager(time_manager):
    """Install the object that answers timeline calls made by kernels run as Python.

    It needs ``enter_sequential()``, ``enter_parallel()``, ``exit()``,
    ``take_time_mu(mu)``, ``take_time(seconds)``, ``get_time_mu()`` and
    ``set_time_mu(mu)``, the interface ARTIQ's ``set_time_manager`` expects.
    """
    global _time_manager
    _time_manager = time_manager


class _TimelineBlock:
    """A ``with`` block of the timeline: entering calls the time manager's ``enter``
    method (``enter_sequential`` or ``enter_parallel``), leaving calls its ``exit``.

    In a sequential block statements run one after another, time advancing down the
    block; in a parallel block the top-level statements all start at the block's start,
    and the block lasts as long as its longest statement.
    """

    def __init__(self, enter):
        self._enter = enter

    def __enter__(self):
        # The time manager is looked up on entry: set_time_manager may have replaced it.
        getattr(_time_manager, self._enter)()

    def __exit__(self, *exc_info):
        _time_manager.exit()


sequential = _TimelineBlock("enter_sequential")
parallel = _TimelineBlock("enter_parallel")
interleave = _TimelineBlock("enter_parallel")  # on the host the same as parallel, as in ARTIQ


def delay_mu(duration):
    """Advance the timeline cursor by ``duration`` machine units."""
    _time_manager.take_time_mu(duration)


def now_mu():
    """The timeline cursor, in machine units (not the hardware RTIO counter)."""
    return _time_manager.get_time_mu()


def at_mu(time):
    """Set the timeline cursor to ``time`` machine units."""
    _time_manager.set_time_mu(time)


def delay(duration):
    """Advance the timeline cursor by ``duration`` seconds."""
    _time_manager.take_time(duration)


def _unenforced_watchdog(timeout):
    # A watchdog only means something on the core device; the host ignores it, as ARTIQ
    # does until a factory is installed.
    return nullcontext()


_watchdog_factory = _unenforced_watchdog


def set_watchdog_factory(factory):
    """Install what makes ``watchdog(timeout)``'s context manager (a class or function
    taking the timeout); by default watchdogs are not enforced on the host, as in ARTIQ."""
    global _watchdog_factory
    _watchdog_factory = factory


def watchdog(timeout):
    """A context manager that limits how long its block may take (on the core device)."""
    return _watchdog_factory(timeout)


class TerminationRequested(Exception):
    """Raised by the scheduler's ``pause`` when the user asked the run to end."""
