"""The ARTIQ language, from ARTIQ where it is installed and from ``control.language``
where it is not: the one place in the project that imports ``artiq``.

Everything else writes ``from control.lang import kernel, delay, EnvExperiment, ...``.
With ARTIQ importable these are ARTIQ's own objects, so experiments are plain ARTIQ
experiments that ``artiq_master`` lists and ``artiq_compile`` compiles. Without it they
are the host implementation in :mod:`control.language`, which behaves the same (tests in
``tests/test_lang.py`` hold both to the same checks) and lets the simulated backend run the
same experiments as Python.

Only a missing ``artiq`` package selects the host implementation: an ARTIQ that is
installed but broken raises, rather than silently running kernels as Python on a lab
machine.

``ARTIQ`` tells which one was chosen. ``__all__`` lists every name re-exported here: all of
``artiq.experiment``'s (so ``from control.lang import *`` brings what
``from artiq.experiment import *`` brings) and ``is_experiment``/``is_public_experiment``.
``tests/test_lang_names.py`` checks the first with ARTIQ and, without it, that the host
implementation provides every one. The helpers at the end (``is_kernel``…) are the
bridge's own.
"""
from typing import Any

try:
    import artiq as _artiq  # noqa: F401  (presence test)
except ModuleNotFoundError as _exc:
    if _exc.name != "artiq":
        raise
    ARTIQ = False
else:
    ARTIQ = True

if ARTIQ:  # pragma: no cover - exercised in a lab's ARTIQ environment
    from artiq.language import core as _core, environment as _environment, scan as _scan
    from artiq.language import types as _types, units as _units
    from artiq.coredevice.exceptions import RTIOUnderflow, RTIOOverflow  # noqa: F401
else:
    from control.language import core as _core, environment as _environment
    from control.language import scan as _scan, types as _types, units as _units
    from control.rtio_exceptions import RTIOUnderflow, RTIOOverflow  # noqa: F401

# The language: decorators and timeline.
kernel = _core.kernel
portable = _core.portable
rpc = _core.rpc
host_only = _core.host_only
subkernel = _core.subkernel
syscall = _core.syscall
kernel_from_string = _core.kernel_from_string
set_time_manager = _core.set_time_manager
set_watchdog_factory = _core.set_watchdog_factory
TerminationRequested = _core.TerminationRequested
delay = _core.delay
delay_mu = _core.delay_mu
now_mu = _core.now_mu
at_mu = _core.at_mu
parallel = _core.parallel
sequential = _core.sequential
interleave = _core.interleave
watchdog = _core.watchdog

# Environment and arguments.
HasEnvironment = _environment.HasEnvironment
Experiment = _environment.Experiment
EnvExperiment = _environment.EnvExperiment
NoDefault = _environment.NoDefault
DefaultMissing = _environment.DefaultMissing
CancelledArgsError = _environment.CancelledArgsError
PYONValue = _environment.PYONValue
BooleanValue = _environment.BooleanValue
EnumerationValue = _environment.EnumerationValue
NumberValue = _environment.NumberValue
StringValue = _environment.StringValue
is_experiment = _environment.is_experiment
is_public_experiment = _environment.is_public_experiment

# Scans.
ScanObject = _scan.ScanObject
Scannable = _scan.Scannable
NoScan = _scan.NoScan
RangeScan = _scan.RangeScan
CenterScan = _scan.CenterScan
ExplicitScan = _scan.ExplicitScan
MultiScanManager = _scan.MultiScanManager

# Types for kernel signatures.
TNone = _types.TNone
TBool = _types.TBool
TInt32 = _types.TInt32
TInt64 = _types.TInt64
TFloat = _types.TFloat
TStr = _types.TStr
TBytes = _types.TBytes
TByteArray = _types.TByteArray
TTuple = _types.TTuple
TList = _types.TList
TArray = _types.TArray
TRange32 = _types.TRange32
TRange64 = _types.TRange64
TVar = _types.TVar

# Units.
ps, ns, us, ms, s = _units.ps, _units.ns, _units.us, _units.ms, _units.s
mHz, Hz, kHz, MHz, GHz = _units.mHz, _units.Hz, _units.kHz, _units.MHz, _units.GHz
dB = _units.dB
uV, mV, V, kV = _units.uV, _units.mV, _units.V, _units.kV
uA, mA, A = _units.uA, _units.mA, _units.A
nW, uW, mW, W = _units.nW, _units.uW, _units.mW, _units.W

__all__ = [
    "kernel", "portable", "rpc", "subkernel", "syscall", "host_only", "kernel_from_string",
    "set_time_manager", "set_watchdog_factory", "TerminationRequested",
    "sequential", "parallel", "interleave", "delay_mu", "now_mu", "at_mu", "delay",
    "watchdog",
    "TNone", "TTuple", "TBool", "TInt32", "TInt64", "TFloat", "TStr", "TBytes",
    "TByteArray", "TList", "TArray", "TRange32", "TRange64", "TVar",
    "NoDefault", "DefaultMissing", "PYONValue", "BooleanValue", "EnumerationValue",
    "NumberValue", "StringValue", "HasEnvironment", "Experiment", "EnvExperiment",
    "CancelledArgsError", "is_experiment", "is_public_experiment",
    "ps", "ns", "us", "ms", "s", "mHz", "Hz", "kHz", "MHz", "GHz", "dB",
    "uV", "mV", "V", "kV", "uA", "mA", "A", "nW", "uW", "mW", "W",
    "ScanObject", "NoScan", "RangeScan", "CenterScan", "ExplicitScan", "Scannable",
    "MultiScanManager",
    "RTIOUnderflow", "RTIOOverflow",
]


def artiq_dataset_db(path: str) -> Any:
    """ARTIQ's dataset database (the master's LMDB file) at ``path``; ARTIQ only."""
    if not ARTIQ:
        raise RuntimeError("ARTIQ's dataset database needs ARTIQ installed")
    from artiq.master.databases import DatasetDB  # pragma: no cover - ARTIQ only
    return DatasetDB(path)  # pragma: no cover


def embedded_info(function: object) -> Any:
    """The ARTIQ marker record of ``function`` (``None`` for an undecorated function,
    which kernels would call as an RPC)."""
    return getattr(function, "artiq_embedded", None)


def is_kernel(function: object) -> bool:
    """True for a ``@kernel`` (or ``@subkernel``) function or bound method."""
    info = embedded_info(function)
    return info is not None and info.core_name is not None


def is_portable(function: object) -> bool:
    """True for a ``@portable`` function or method (runs on the core or the host)."""
    info = embedded_info(function)
    return info is not None and info.portable


def is_host_only(function: object) -> bool:
    """True for a ``@host_only`` function, which a kernel may not call."""
    info = embedded_info(function)
    return info is not None and info.forbidden


def is_rpc(function: object) -> bool:
    """True for what a kernel would call on the host: undecorated or ``@rpc``."""
    info = embedded_info(function)
    return info is None or (info.core_name is None and not info.portable
                            and not info.forbidden and info.syscall is None)


def kernel_function(function: Any) -> Any:
    """The Python function behind a kernel or portable function (what the compiler
    reads), or ``function`` itself."""
    info = embedded_info(function)
    if info is not None and info.function is not None and not isinstance(info.function, str):
        return info.function
    return getattr(function, "__func__", function)
