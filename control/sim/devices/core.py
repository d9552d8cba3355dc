"""The simulated core device: runs kernels as Python on the simulated timeline.

Same constructor as ``artiq.coredevice.core.Core`` (``host``, ``ref_period``,
``ref_multiplier``, ``target``…); ``seconds_to_mu``/``mu_to_seconds`` convert as ARTIQ's
do (``seconds // ref_period``, floor, as int64), and ``delay(seconds)`` inside kernels
rounds half away from zero, as ARTIQ's compiler does.
"""
import numpy as np

from control.lang import portable
from control.sim.simulation import SIM_DEVICE
from control.sim.timeline import transform_kernel

__all__ = ["Core"]


class Core:
    kernel_invariants = {"ref_period", "ref_multiplier", "coarse_ref_period"}

    def __init__(self, dmgr, host=None, ref_period=1e-9, ref_multiplier=8,
                 target="rv32g", analyzer_proxy=None, analyze_at_run_end=False,
                 satellite_cpu_targets={}, report_invariants=False, _key="core", **ignored):
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

    def run(self, function, args, kwargs):
        """Run a kernel: as Python, with ``parallel`` blocks rewritten to ARTIQ's
        semantics. A kernel called from a kernel is a plain call (plus its CPU cost)."""
        sim = self.sim
        body = self._bodies.get(function)
        if body is None:
            body = self._bodies[function] = transform_kernel(
                function.artiq_embedded.function, self.tm)
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
        self.sim.close()

    def compile(self, function, args, kwargs, *rest, **kw):
        raise NotImplementedError("the simulated core does not compile kernels; "
                                  "use artiq_compile with the hardware device database")

    @portable
    def seconds_to_mu(self, seconds):
        return np.int64(seconds // self.ref_period)

    @portable
    def mu_to_seconds(self, mu):
        return mu * self.ref_period

    @portable
    def get_rtio_counter_mu(self):
        """The simulated RTIO counter: where the CPU estimate says the hardware is."""
        return np.int64(self.tm.cpu)

    @portable
    def wait_until_mu(self, cursor_mu):
        if self.tm.cpu < cursor_mu:
            self.tm.cpu = int(cursor_mu)

    @portable
    def get_rtio_destination_status(self, destination):
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
        self.sim.recorder.release(None)
