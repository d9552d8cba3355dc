"""The simulated core device: runs kernels as Python on the simulated timeline.

Same constructor and methods as ``artiq.coredevice.core.Core`` (``host``, ``ref_period``,
``ref_multiplier``, ``target``…); ``seconds_to_mu``/``mu_to_seconds`` convert as ARTIQ's
do (``seconds // ref_period``, floor, as int64), and ``delay(seconds)`` inside kernels
rounds half away from zero, as ARTIQ's compiler does.

A kernel made by ``kernel_from_string`` carries its source text instead of a function; the
simulated core defines it from that text with the names the compiler gives every kernel
(``delay``, ``parallel``, ``now_mu``…), so it runs here as on the core device.

Not modelled (they raise ``NotImplementedError`` naming themselves): compiling kernels
(``compile``, ``precompile``), subkernels (``compile_subkernel``,
``compile_and_upload_subkernels``) and the analyzer proxy (``trigger_analyzer_proxy``).
"""
import itertools
import linecache
import types

import numpy as np

from control import lang
from control.lang import portable
from control.sim.devices.unmodelled import not_modelled
from control.sim.simulation import SIM_DEVICE
from control.sim.timeline import transform_kernel

__all__ = ["Core"]

# The timeline names ARTIQ's compiler gives every kernel without an import. A kernel
# defined from source text sees these, Python's builtins and its parameters only.
KERNEL_GLOBALS = ("sequential", "parallel", "interleave", "delay", "delay_mu", "now_mu",
                  "at_mu")
_from_string_ids = itertools.count()


def _function_from_source(source):
    """The Python function a ``kernel_from_string`` source text defines. Its text is put in
    ``linecache`` so that ``transform_kernel`` can read it and rewrite ``parallel``."""
    filename = "<kernel_from_string-{}>".format(next(_from_string_ids))
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {name: getattr(lang, name) for name in KERNEL_GLOBALS}
    defined = {}
    exec(compile(source, filename, "exec"), namespace, defined)
    (function,) = defined.values()
    return function


class Core:
    """The simulated core device (``artiq.coredevice.core.Core``): runs kernels as Python
    on the simulation's timeline."""
    kernel_invariants = {"core", "ref_period", "ref_multiplier", "coarse_ref_period"}

    def __init__(self, dmgr, host, ref_period, analyzer_proxy=None, analyze_at_run_end=False,
                 ref_multiplier=8, target="rv32g",
                 satellite_cpu_targets={},  # noqa: B006  (ARTIQ's signature; never mutated)
                 report_invariants=False, _key="core"):
        self.core = self
        self.ref_period = ref_period
        self.ref_multiplier = ref_multiplier
        self.coarse_ref_period = ref_period * ref_multiplier
        self.target = target
        self.host = host
        self.sim = dmgr.get(SIM_DEVICE)
        if abs(self.sim.ref_period - ref_period) > 1e-18:
            self.sim.ref_period = ref_period
            self.sim.timeline.ref_period = ref_period
        self.sim.install()
        self.tm = self.sim.timeline
        self._bodies = {}  # kernel wrapper -> its Python body on this core's timeline
        self._nested = {}  # the same, charging the call's cost (``_kernel_call``)
        self._functions = {}  # kernel wrapper -> its Python function

    def _python(self, function):
        """The Python function of kernel ``function`` (its ``@kernel`` wrapper)."""
        python = self._functions.get(function)
        if python is None:
            python = function.artiq_embedded.function
            if isinstance(python, str):  # kernel_from_string: the compiler reads the text
                python = _function_from_source(python)
            self._functions[function] = python
        return python

    def _body(self, function):
        """The Python body that runs kernel ``function`` (its ``@kernel`` wrapper) on this
        core, rewritten once (:func:`~control.sim.timeline.transform_kernel`)."""
        body = self._bodies.get(function)
        if body is None:
            body = self._bodies[function] = transform_kernel(self._python(function),
                                                             self.tm)
        return body

    def _kernel_call(self, method):
        """What a running kernel's call of kernel method ``method`` (bound to its object,
        whose core this is) calls: the call's CPU cost, then the method's body, as
        :meth:`run` does for a kernel called from a kernel, without going through the
        ``@kernel`` wrapper and :meth:`run` (the time manager's routes keep it for the
        rest of the kernel run): the body rewritten to charge the cost itself, bound to
        the object."""
        function = method.__func__
        nested = self._nested.get(function)
        if nested is None:
            nested = self._nested[function] = transform_kernel(
                self._python(function), self.tm, charge_call=True)
        if nested is not None:
            return types.MethodType(nested, method.__self__)
        body = self._body(function)  # no source to rewrite: the cost, then the body
        obj = method.__self__
        tm = self.tm

        def call(*args, **kwargs):
            tm.cpu += tm.call_mu
            return body(obj, *args, **kwargs)
        return call

    def run(self, function, args, kwargs):
        """Run a kernel: as Python, with ``parallel`` blocks rewritten to ARTIQ's
        semantics and its calls of host functions charged as the RPCs they would be
        (:mod:`control.sim.timeline`). A kernel called from a kernel is a plain call (plus
        its CPU cost)."""
        sim = self.sim
        body = self._bodies.get(function)
        if body is None:
            body = self._body(function)
        if sim.kernel_depth:  # a kernel calling a kernel: the hot path
            self.tm.cpu += self.tm.call_mu
            return body(*args, **kwargs)
        sim.install()
        sim.kernel_started()
        sim.kernel_depth += 1
        try:
            return body(*args, **kwargs)
        finally:
            sim.kernel_depth -= 1
            sim.kernel_finished()

    def close(self):
        """Close the simulation (its recorder writes out the VCD file)."""
        self.sim.close()

    # ---- not modelled: the simulator runs kernels as Python and has no satellites

    @not_modelled("the simulated core runs kernels as Python; compile them with "
                  "artiq_compile and the hardware device database")
    def compile(self, function, args, kwargs, set_result=None, attribute_writeback=True,
                print_as_rpc=True, target=None, destination=0,
                subkernel_arg_types=[],  # noqa: B006  (ARTIQ's signature; not modelled)
                old_embedding_map=None): ...

    @not_modelled("a precompiled kernel sees the attributes of its precompilation and "
                  "writes none back, which kernels run as Python cannot follow; call the "
                  "kernel itself on the simulator")
    def precompile(self, function, *args, **kwargs): ...

    @not_modelled("subkernels run on DRTIO satellites, which are not simulated")
    def compile_subkernel(self, sid, subkernel_fn, embedding_map, args, subkernel_arg_types,
                          subkernels): ...

    @not_modelled("subkernels run on DRTIO satellites, which are not simulated")
    def compile_and_upload_subkernels(self, embedding_map, args, subkernel_arg_types): ...

    @not_modelled("there is no analyzer; the simulator records a VCD waveform instead "
                  "(control run --vcd)")
    def trigger_analyzer_proxy(self): ...

    @portable
    def seconds_to_mu(self, seconds):
        """``seconds`` in machine units, floored (as ARTIQ's driver: 1 µs gives 999 mu at
        1 ns, in floating point)."""
        return np.int64(seconds // self.ref_period)

    @portable
    def mu_to_seconds(self, mu):
        """``mu`` machine units in seconds."""
        return mu * self.ref_period

    @portable
    def get_rtio_counter_mu(self):
        """The simulated RTIO counter: where the CPU estimate says the hardware is."""
        return np.int64(self.tm.cpu)

    @portable
    def wait_until_mu(self, cursor_mu):
        """Block the CPU until the RTIO counter reaches ``cursor_mu``. Does not advance
        the timeline."""
        if self.tm.cpu < cursor_mu:
            self.tm.cpu = int(cursor_mu)

    @portable
    def get_rtio_destination_status(self, destination):
        """Whether DRTIO ``destination`` is up: always, on the simulator."""
        return True

    @portable
    def reset(self):
        """Clear the FIFOs and put the cursor 125000 mu after the counter, as ARTIQ."""
        self.sim.recorder.release(None)
        self.tm.now = self.tm.cpu + 125000

    @portable
    def break_realtime(self):
        """Move the cursor to at least 125000 mu after the counter, as ARTIQ."""
        min_now = self.tm.cpu + 125000
        if self.tm.now < min_now:
            self.tm.now = min_now

    def notify_run_end(self):
        """The run ended: release every recorded event (to the VCD file and the model)."""
        self.sim.recorder.release(None)
