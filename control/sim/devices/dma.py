"""Simulated ``artiq.coredevice.dma.CoreDMA``: record a sequence of output events once,
play it back later at the cursor. Recording captures the events instead of emitting them
(as the hardware does); playback re-emits them shifted to ``now`` and advances the
timeline by the recording's duration."""
from contextlib import contextmanager

from control.lang import portable

__all__ = ["CoreDMA", "DMAError"]


class DMAError(Exception):
    pass


class CoreDMA:
    kernel_invariants = {"core"}

    def __init__(self, dmgr, core_device="core", _key=None):
        self.core = dmgr.get(core_device)
        self.sim = self.core.sim
        self.tm = self.core.tm
        self.traces = {}
        self.recorder = None

    @contextmanager
    def _recording(self, name):
        if self.sim.dma_capture is not None:
            raise DMAError("DMA recordings cannot be nested")
        start = self.tm.now
        events = []
        self.sim.dma_capture = events
        try:
            yield
        finally:
            self.sim.dma_capture = None
            self.traces[name] = ([(t - start, sig, value) for t, sig, value in events],
                                 self.tm.now - start)
            self.tm.now = start  # recording does not advance the timeline

    @portable
    def record(self, name):
        return self._recording(name)

    @portable
    def erase(self, name):
        self.traces.pop(name, None)

    @portable
    def get_handle(self, name):
        if name not in self.traces:
            raise DMAError("no DMA trace {!r}; recorded: {}".format(
                name, ", ".join(sorted(self.traces)) or "none"))
        return name

    @portable
    def playback_handle(self, handle):
        events, duration = self.traces[handle]
        start = self.tm.now
        for dt, sig, value in events:
            self.tm.now = start + dt
            self.sim.output(sig, value)
        self.tm.now = start + duration

    @portable
    def playback(self, name):
        self.playback_handle(self.get_handle(name))
