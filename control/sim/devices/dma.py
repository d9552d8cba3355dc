"""Simulated ``artiq.coredevice.dma.CoreDMA``: record a sequence of output events once,
play it back later at the cursor.

Same methods and semantics as ARTIQ's driver:

* ``record(name)`` returns a context manager; inside it, output events are captured
  into the trace instead of being submitted (``sim.dma_capture``, a :class:`DMATrace`),
  with timestamps relative to the start (``now`` is set to 0 on entry, as ARTIQ does) and
  no slack check; on exit the trace is stored (its duration is the cursor at exit) and
  ``now`` is restored: recording does not advance the timeline. The CPU does pay for it:
  each captured event costs ``SlackModel.dma_record_ns`` (the firmware writes it into the
  recording buffer instead of the RTIO core), charged on exit. Recording inside a
  recording raises ``DMAError``. Every ``record``/``erase`` invalidates the handles taken
  before.
* ``playback(name)``/``playback_handle(handle)`` replay the trace at the cursor and
  advance it by the trace's duration. The DMA engine submits the events itself, faster
  than the CPU: each costs ``DMA_EVENT_NS`` of engine time (no CPU cost per event), after
  a ``DMA_START_NS`` start, against the same RTIO latency, so a late playback raises
  ``RTIOUnderflow`` (events before the late one are submitted, as on hardware). The CPU
  blocks until the whole trace is submitted. Both figures are estimates consistent with
  ARTIQ's DMA playback test (a 40-event trace plays back in under 4.5 µs on Kasli), not
  measurements of your crate.
* ``least_slack_mu``: the least slack (timestamp - when the engine submits it) of any
  event played back so far, None before the first (for benchmarks; reset it freely).
* ``get_handle(name)`` returns ``(epoch, duration_mu, name, False)``; a handle from before
  the last ``record``/``erase`` raises ``DMAError("Invalid handle")``; an unknown name
  raises ``DMAError``.

Limits: what a recorded driver call does to its simulated chip's registers (a DDS
``set_mu`` captured in a recording) happens at recording time; the recorded signal
changes are replayed at playback. A device that records only the changes of its output (a
DDS's frequency, phase and amplitude) must not leave out of a trace what it already
showed when recording, since the trace may be played back over any output: its first
update in a recording puts its whole output state in the trace
(:func:`shown_for_trace`). Input reads inside a recording are not refused.
"""
from control.lang import RTIOUnderflow, portable

__all__ = ["CoreDMA", "DMAError", "DMATrace", "shown_for_trace", "DMA_EVENT_NS",
           "DMA_START_NS"]

DMA_EVENT_NS = 80.0     # engine time per played-back event
DMA_START_NS = 1000.0   # retrieve the trace and start the engine


class DMAError(Exception):
    """A DMA operation the core device refuses: a recording inside a recording, an
    unknown trace, a stale handle."""
    artiq_builtin = True


class DMATrace(list):
    """The events one recording captures (``sim.dma_capture`` while it lasts), and the
    devices that have put their whole output state in it (``complete``)."""
    __slots__ = ("complete",)

    def __init__(self):
        super().__init__()
        self.complete = set()


def shown_for_trace(sim, device, shown):
    """What a device that records only the changes of its output (``shown``, a tuple of
    its recorded values) compares a new output with: ``shown`` outside a recording and
    after its first update in one; at that first update, a tuple of None, so that every
    value goes into the trace. A trace may be played back over any output (after other
    traces, or gates played by the CPU), so it cannot leave out what the device showed
    when it was recorded."""
    trace = sim.dma_capture
    if trace is None or device in trace.complete:
        return shown
    trace.complete.add(device)
    return (None,) * len(shown)


class DMARecordContextManager:
    """Returned by :meth:`CoreDMA.record`: captures the output events of its block."""

    def __init__(self, dma):
        self._dma = dma
        self.name = ""
        self.saved_now_mu = 0
        self.enable_ddma = False
        self._events = None

    def __enter__(self):
        sim = self._dma.sim
        if sim.dma_capture is not None:
            raise DMAError("DMA is already recording")
        self._events = DMATrace()
        sim.dma_capture = self._events
        tl = sim.timeline
        self.saved_now_mu = tl.now
        tl.now = 0

    def __exit__(self, type, value, traceback):
        sim = self._dma.sim
        tl = sim.timeline
        sim.dma_capture = None
        events = self._events
        self._dma._traces[self.name] = (tl.now, events)
        self._events = None
        tl.now = self.saved_now_mu
        # the CPU wrote each event into the recording buffer (effects are no events)
        tl.cpu += tl.dma_record_mu * sum(1 for item in events if len(item) != 4)


class CoreDMA:
    """Core device DMA (``artiq.coredevice.dma.CoreDMA``)."""
    kernel_invariants = {"core", "recorder"}

    def __init__(self, dmgr, core_device="core", _key=None):
        self.core = dmgr.get(core_device)
        self.sim = self.core.sim
        self.recorder = DMARecordContextManager(self)
        self.epoch = 0
        self.least_slack_mu = None
        self._traces = {}  # name -> (duration_mu, [(t, sig, value[, "effect"]), ...])
        scale = 1e-9 / self.sim.ref_period
        self._event_mu = int(DMA_EVENT_NS * scale)
        self._start_mu = int(DMA_START_NS * scale)

    def _new_epoch(self):
        """Every handle taken so far goes stale (``playback_handle`` refuses it)."""
        self.epoch += 1

    @portable
    def record(self, name, enable_ddma=False):
        """A context manager that records the output events of its block as trace
        ``name``; stales every handle. Recording does not advance the timeline."""
        self._new_epoch()
        recorder = self.recorder
        recorder.name, recorder.enable_ddma = name, enable_ddma
        return recorder

    @portable
    def erase(self, name):
        """Forget trace ``name`` (if any) and stale every handle. Does not advance the
        timeline."""
        self._new_epoch()
        self._traces.pop(name, None)

    def _retrieve(self, name):
        try:
            return self._traces[name]
        except KeyError:
            raise DMAError("DMA trace {!r} not found (recorded: {})".format(
                name, ", ".join(sorted(map(str, self._traces))) or "none")) from None

    @portable
    def playback(self, name):
        """Replay trace ``name`` at the current time. Advances the timeline by the
        trace's duration."""
        duration, events = self._retrieve(name)
        self._play(events, duration)

    @portable
    def get_handle(self, name):
        """A handle to trace ``name`` for :meth:`playback_handle`, valid until the next
        ``record`` or ``erase``. Does not advance the timeline."""
        duration, _ = self._retrieve(name)
        return (self.epoch, duration, name, False)

    @portable
    def playback_handle(self, handle):
        """Replay the trace of ``handle`` at the current time (``DMAError`` if the handle
        is stale). Advances the timeline by the trace's duration."""
        epoch, duration, name, _ = handle
        if self.epoch != epoch:
            raise DMAError("Invalid handle")
        self._play(self._traces[name][1], duration)

    def _play(self, events, duration):
        """Submit the trace at the cursor; advance the cursor by its duration."""
        sim = self.sim
        tl = sim.timeline
        rec = sim.recorder
        start = tl.now
        slack = tl.slack.enabled
        engine = tl.cpu + (self._start_mu if slack else 0)
        latency = tl.latency_mu
        step = self._event_mu if slack else 0
        least = None
        for item in events:
            t = start + item[0]
            sig = item[1]
            if len(item) == 4:  # an effect of an earlier event (DDS values at IO_UPDATE)
                rec.record(t, sig.id, item[2])
                continue
            if slack and t < engine + latency:
                sim.underflows += 1
                tl.cpu = engine
                raise RTIOUnderflow(
                    "RTIO underflow at {} mu during DMA playback ({}): slack {} mu".format(
                        t, "{}.{}".format(sig.device, sig.name) if sig is not None
                        else item[2], t - engine))
            if least is None or t - engine < least:
                least = t - engine
            engine += step
            sim.rtio_events += 1
            if sig is not None:
                rec.record(t, sig.id, item[2])
        if least is not None and (self.least_slack_mu is None or least < self.least_slack_mu):
            self.least_slack_mu = least
        if engine > tl.cpu:
            tl.cpu = engine  # the CPU waits until the engine has submitted everything
        tl.now = start + duration
        rec.maybe_release(tl.cpu)
