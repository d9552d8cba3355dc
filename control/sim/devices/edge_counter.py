"""Simulated ``artiq.coredevice.edge_counter.EdgeCounter``: gateware edge counting.

``gate_*_mu`` writes the counter configuration (an RTIO output, so it costs slack), waits
the duration, closes the gate with a count event and returns its timestamp, as ARTIQ's
driver does; ``fetch_count`` takes the oldest closed gate (FIFO), waits for it, and asks
the ion model for its photons. Fetching with no gate closed raises ``RuntimeError`` (the
hardware would block forever).
"""
from collections import deque

import numpy as np

from control.lang import portable
from control.mu import delay_mu_of

__all__ = ["EdgeCounter"]


class EdgeCounter:
    kernel_invariants = {"core", "channel", "counter_max"}

    def __init__(self, dmgr, channel, gateware_width=31, core_device="core", _key=None):
        self.core = dmgr.get(core_device)
        self.sim = self.core.sim
        self.tm = self.core.tm
        self.channel = channel
        self.counter_max = (1 << (gateware_width - 1)) - 1
        self._key = _key or "edge_counter_ch{}".format(channel)
        self._gate = self.sim.signal(self._key, "gate", "bool", init=0)
        self._windows = deque()
        self._open = None

    @portable
    def set_config(self, count_rising, count_falling, send_count_event, reset_to_zero):
        counting = bool(count_rising or count_falling)
        self.sim.output(self._gate, 1 if counting else 0, self.channel)
        now = self.tm.now
        if counting and self._open is None:
            self._open = now
        if send_count_event and self._open is not None:
            self._windows.append((self._open, now))
            self._open = None if not counting else now

    def _gate_mu(self, duration_mu, rising, falling):
        if duration_mu < 0:
            raise ValueError("{}: negative gate duration {} mu".format(self._key,
                                                                        duration_mu))
        self.set_config(rising, falling, False, True)
        self.tm.now += int(duration_mu)
        self.set_config(False, False, True, False)
        return np.int64(self.tm.now)

    @portable
    def gate_rising_mu(self, duration_mu):
        return self._gate_mu(duration_mu, True, False)

    @portable
    def gate_falling_mu(self, duration_mu):
        return self._gate_mu(duration_mu, False, True)

    @portable
    def gate_both_mu(self, duration_mu):
        return self._gate_mu(duration_mu, True, True)

    @portable
    def gate_rising(self, duration):
        return self.gate_rising_mu(delay_mu_of(duration, self.core.ref_period))

    @portable
    def gate_falling(self, duration):
        return self.gate_falling_mu(delay_mu_of(duration, self.core.ref_period))

    @portable
    def gate_both(self, duration):
        return self.gate_both_mu(delay_mu_of(duration, self.core.ref_period))

    @portable
    def fetch_timestamped_count(self, timeout_mu=np.int64(-1)):
        if not self._windows:
            raise RuntimeError("{}: fetch with no closed counter gate (open one with "
                               "gate_rising_mu)".format(self._key))
        t0, t1 = self._windows.popleft()
        self.sim.wait_until(t1)
        self.sim.settle(t1)
        model = self.sim.model
        disconnected = self.sim.faults.get(self._key, {}).get("disconnected")
        counts = model.counts(self._key, t0, t1) if model is not None and \
            not disconnected else 0
        return np.int64(t1), np.int32(min(counts, self.counter_max))

    @portable
    def fetch_count(self):
        return self.fetch_timestamped_count()[1]
