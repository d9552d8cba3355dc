"""Simulated ``artiq.coredevice.edge_counter.EdgeCounter``: the gateware edge counter.

Same constructor and methods as ARTIQ's driver. The counter's configuration is one RTIO
output channel: ``set_config`` is one output event (slack check, CPU cost) and records
the ``gate`` signal (bool: counting enabled), so counting windows show in the waveform.

The model of the gateware: while counting is enabled the counter accumulates the input
edges (photons from ``sim.model.counts(key, t0, t1)``; a photon is one pulse, so counting
both edges sees two per photon); ``send_count_event`` queues an input event with the count
so far, at the config's timestamp, before ``reset_to_zero`` clears it — the order of the
gateware. Count events are read first in first out: several gates before the reads work
as on hardware. Each counting interval is asked of the model once, after the CPU waited
for the count event (``sim.wait_until``) and ``sim.settle``.

Timeline, per method (as ARTIQ's driver):

* ``set_config``: no advance (one output event);
* ``gate_*_mu(d)``: ``d`` (open, ``delay_mu(d)``, close with a count event); returns the
  gate's end. ``gate_*(d)`` converts with ``core.seconds_to_mu`` — floor, as ARTIQ does
  (so 1 µs is 999 mu with a 1 ns period), unlike ``delay``;
* ``fetch_count``/``fetch_timestamped_count``: no advance; the CPU waits until the count
  event's timestamp (or the timeout) and pays one input read.

Checks the simulator makes that ARTIQ's driver does not:

* a negative gate duration raises ``ValueError``;
* ``fetch_count()`` (or ``fetch_timestamped_count()`` without timeout) with no count
  event pending raises ``RuntimeError``: the hardware would wait forever.

``CounterOverflow`` is raised as ARTIQ does when the count reaches ``counter_max``.
Fault (``sim.faults[key]``): ``disconnected`` — no photons.
"""
from collections import deque

import numpy as np

from control.lang import portable
from control.sim.devices.rtio import one_channel

__all__ = ["EdgeCounter", "CounterOverflow", "CONFIG_COUNT_RISING", "CONFIG_COUNT_FALLING",
           "CONFIG_SEND_COUNT_EVENT", "CONFIG_RESET_TO_ZERO"]

# The gateware's configuration word, one bit each: count rising edges, count falling
# edges, send the count as an input event, then reset it to zero.
(CONFIG_COUNT_RISING, CONFIG_COUNT_FALLING, CONFIG_SEND_COUNT_EVENT,
 CONFIG_RESET_TO_ZERO) = (1 << bit for bit in range(4))


class CounterOverflow(Exception):
    """A count read back at the counter's maximum: the edges may have wrapped it."""


class EdgeCounter:
    """RTIO edge counter (``artiq.coredevice.edge_counter.EdgeCounter``).

    :param channel: RTIO channel number of the counter.
    :param gateware_width: counter width in the gateware (default 31).
    :param core_device: core device name.
    """
    kernel_invariants = {"core", "channel", "counter_max"}

    def __init__(self, dmgr, channel, gateware_width=31, core_device="core", _key=None):
        self.core = dmgr.get(core_device)
        self.channel = channel
        self.counter_max = (1 << (gateware_width - 1)) - 1
        self.sim = self.core.sim
        self._tl = self.sim.timeline
        self._key = _key if _key is not None else "edge_counter_ch{}".format(channel)
        self._sig_gate = self.sim.signal(self._key, "gate", "bool", init=0)
        # counting intervals since the last reset: [t0, t1, edges per photon, count|None]
        self._segments = []
        self._counting = None     # (since, edges per photon) while counting is enabled
        self._events = deque()    # unread count events: (timestamp, [segments])

    get_rtio_channels = staticmethod(one_channel)

    # ---- gates (timeline: the gate duration)

    @portable
    def gate_rising(self, duration):
        """:meth:`gate_rising_mu` for ``duration`` seconds (floored to machine units).
        Advances the timeline by the gate duration."""
        return self.gate_rising_mu(self.core.seconds_to_mu(duration))

    @portable
    def gate_falling(self, duration):
        """:meth:`gate_falling_mu` for ``duration`` seconds (floored to machine units).
        Advances the timeline by the gate duration."""
        return self.gate_falling_mu(self.core.seconds_to_mu(duration))

    @portable
    def gate_both(self, duration):
        """:meth:`gate_both_mu` for ``duration`` seconds (floored to machine units).
        Advances the timeline by the gate duration."""
        return self.gate_both_mu(self.core.seconds_to_mu(duration))

    @portable
    def gate_rising_mu(self, duration_mu):
        """Count rising edges from the current time for ``duration_mu``, then send the
        count; returns the gate's end. Advances the timeline by the gate duration."""
        return self._gate_mu(duration_mu, count_rising=True, count_falling=False)

    @portable
    def gate_falling_mu(self, duration_mu):
        """Count falling edges from the current time for ``duration_mu``, then send the
        count; returns the gate's end. Advances the timeline by the gate duration."""
        return self._gate_mu(duration_mu, count_rising=False, count_falling=True)

    @portable
    def gate_both_mu(self, duration_mu):
        """Count both edges (two per photon) from the current time for ``duration_mu``,
        then send the count; returns the gate's end. Advances the timeline by the gate
        duration."""
        return self._gate_mu(duration_mu, count_rising=True, count_falling=True)

    @portable
    def _gate_mu(self, duration_mu, count_rising, count_falling):
        if duration_mu < 0:
            raise ValueError("{}: negative gate duration {} mu (simulator check)".format(
                self._key, duration_mu))
        self.set_config(count_rising=count_rising, count_falling=count_falling,
                        send_count_event=False, reset_to_zero=True)
        self._tl.now += int(duration_mu)
        self.set_config(count_rising=False, count_falling=False,
                        send_count_event=True, reset_to_zero=False)
        return np.int64(self._tl.now)

    @portable
    def set_config(self, count_rising, count_falling, send_count_event, reset_to_zero):
        """One configuration event at the cursor (no timeline advance)."""
        counting = bool(count_rising or count_falling)
        self.sim.output(self._sig_gate, 1 if counting else 0, self.channel)
        now = self._tl.now
        if self._counting is not None:
            since, edges = self._counting
            self._segments.append([since, now, edges, None])
            self._counting = None
        if send_count_event:
            self._events.append((now, list(self._segments)))
        if reset_to_zero:
            self._segments = []
        if counting:
            self._counting = (now, (1 if count_rising else 0) + (1 if count_falling else 0))

    # ---- reads (no timeline advance; the CPU waits for the count event)

    def _segment_count(self, seg):
        if seg[3] is None:  # asked of the model once, however often it is sent
            t0, t1, edges = seg[0], seg[1], seg[2]
            sim = self.sim
            sim.settle(t1)
            model = sim.model
            if model is None or t1 <= t0 or \
                    (sim.faults.get(self._key) or {}).get("disconnected"):
                seg[3] = 0
            else:
                seg[3] = edges * int(model.counts(self._key, t0, t1))
        return seg[3]

    def _take(self):
        timestamp, segments = self._events.popleft()
        self.sim.wait_until(timestamp)
        count = min(sum(self._segment_count(s) for s in segments), self.counter_max)
        if count == self.counter_max:
            raise CounterOverflow(
                "Input edge counter overflow on RTIO channel {}".format(int(self.channel)))
        return timestamp, count

    @portable
    def fetch_count(self):
        """The count of the next count event (the oldest gate not read); the CPU waits
        for it. Does not advance the timeline."""
        if not self._events:
            raise RuntimeError(
                "{}: fetch_count() with no count event pending: no gate was closed since "
                "the last read (simulator check: the hardware would wait forever). Close "
                "a gate with gate_rising_mu() first.".format(self._key))
        return np.int32(self._take()[1])

    @portable
    def fetch_timestamped_count(self, timeout_mu=np.int64(-1)):
        """``(timestamp, count)`` of the next count event, or ``(-1, 0)`` if none comes by
        ``timeout_mu`` (-1: no timeout); the CPU waits for it. Does not advance the
        timeline."""
        timeout_mu = int(timeout_mu)
        if not self._events or (timeout_mu >= 0 and self._events[0][0] > timeout_mu):
            if timeout_mu < 0:
                raise RuntimeError(
                    "{}: fetch_timestamped_count() without timeout and no count event "
                    "pending (simulator check: the hardware would wait forever)"
                    .format(self._key))
            self.sim.wait_until(timeout_mu)
            return np.int64(-1), np.int32(0)
        timestamp, count = self._take()
        return np.int64(timestamp), np.int32(count)
