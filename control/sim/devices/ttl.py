"""Simulated ``artiq.coredevice.ttl``: TTLOut, TTLInOut, TTLClockGen.

Same constructors and methods. Output changes are ``state`` events at the cursor (no
timeline advance, as on hardware); ``pulse``/``pulse_mu`` advance it by the duration.
Input gates record their ``sensitivity`` as events (so detection windows show in the
waveform) and ``count`` asks the ion model for the photons of the windows it reads.

Checks the hardware does not make (it would misbehave instead): a negative pulse duration
raises ``ValueError``; ``count`` with no gate opened raises ``RuntimeError`` (the hardware
would return 0 after waiting, hiding the bug).
"""
from collections import deque

import numpy as np

from control.lang import delay, portable

__all__ = ["TTLOut", "TTLInOut", "TTLClockGen"]


class TTLOut:
    kernel_invariants = {"core", "channel", "target_o"}

    def __init__(self, dmgr, channel, core_device="core", _key=None):
        self.core = dmgr.get(core_device)
        self.sim = self.core.sim
        self.tm = self.core.tm
        self.channel = channel
        self.target_o = channel << 8
        self._key = _key or "ttl_ch{}".format(channel)
        self._state = self.sim.signal(self._key, "state", "bool", init=0)
        self.o = False
        # an injected fault: the output (say, a shutter or an AOM switch) stays on
        self._stuck_on = bool(self.sim.faults.get(self._key, {}).get("stuck_on"))

    @portable
    def output(self):
        pass

    @portable
    def set_o(self, o):
        self.o = bool(o)
        self.sim.output(self._state, 1 if (o or self._stuck_on) else 0, self.channel)

    @portable
    def on(self):
        self.set_o(True)

    @portable
    def off(self):
        self.set_o(False)

    @portable
    def pulse_mu(self, duration):
        if duration < 0:
            raise ValueError("{}: negative pulse duration {} mu".format(self._key, duration))
        self.set_o(True)
        self.tm.now += int(duration)
        self.set_o(False)

    @portable
    def pulse(self, duration):
        if duration < 0:
            raise ValueError("{}: negative pulse duration {} s".format(self._key, duration))
        self.set_o(True)
        delay(duration)
        self.set_o(False)


class TTLInOut(TTLOut):
    kernel_invariants = {"core", "channel", "gate_latency_mu", "target_o", "target_oe",
                         "target_sens", "target_sample"}

    def __init__(self, dmgr, channel, gate_latency_mu=None, core_device="core", _key=None):
        super().__init__(dmgr, channel, core_device, _key)
        # ARTIQ: the gate opens ref_multiplier mu after the sensitivity write by default.
        self.gate_latency_mu = self.core.ref_multiplier if gate_latency_mu is None \
            else gate_latency_mu
        self.target_oe = (channel << 8) + 1
        self.target_sens = (channel << 8) + 2
        self.target_sample = (channel << 8) + 3
        self._oe = self.sim.signal(self._key, "oe", "bool", init=0)
        self._sens = self.sim.signal(self._key, "sensitivity", "int", size=2, init=0)
        self._windows = deque()
        self._open = None

    @portable
    def set_oe(self, oe):
        self.sim.output(self._oe, 1 if oe else 0, self.channel)

    @portable
    def output(self):
        self.set_oe(True)

    @portable
    def input(self):
        self.set_oe(False)

    @portable
    def _set_sensitivity(self, value):
        self.sim.output(self._sens, value, self.channel)
        now = self.tm.now
        if value:
            self._open = now
        elif self._open is not None:
            self._windows.append((self._open, now))
            self._open = None

    def _gate(self, duration, sensitivity):
        if duration < 0:
            raise ValueError("{}: negative gate duration {} mu".format(self._key, duration))
        self._set_sensitivity(sensitivity)
        self.tm.now += int(duration)
        self._set_sensitivity(0)
        return np.int64(self.tm.now)

    @portable
    def gate_rising_mu(self, duration):
        return self._gate(duration, 1)

    @portable
    def gate_falling_mu(self, duration):
        return self._gate(duration, 2)

    @portable
    def gate_both_mu(self, duration):
        return self._gate(duration, 3)

    def _to_mu(self, duration):
        from control.mu import delay_mu_of
        return delay_mu_of(duration, self.core.ref_period)

    @portable
    def gate_rising(self, duration):
        return self._gate(self._to_mu(duration), 1)

    @portable
    def gate_falling(self, duration):
        return self._gate(self._to_mu(duration), 2)

    @portable
    def gate_both(self, duration):
        return self._gate(self._to_mu(duration), 3)

    @portable
    def count(self, up_to_timestamp_mu):
        """Input events of every closed gate that ends by ``up_to_timestamp_mu``; the CPU
        waits until then, as the hardware's blocking read does."""
        if not self._windows or self._windows[0][1] > up_to_timestamp_mu:
            raise RuntimeError(
                "{}: count() up to {} mu but no gate was opened and closed before then "
                "(open one with gate_rising_mu)".format(self._key, up_to_timestamp_mu))
        self.sim.wait_until(up_to_timestamp_mu)
        total = 0
        while self._windows and self._windows[0][1] <= up_to_timestamp_mu:
            t0, t1 = self._windows.popleft()
            self.sim.settle(t1)
            model = self.sim.model
            if model is not None and not self.sim.faults.get(self._key, {}).get(
                    "disconnected"):
                total += model.counts(self._key, t0 + self.gate_latency_mu, t1)
        return np.int32(total)

    @portable
    def timestamp_mu(self, up_to_timestamp_mu):
        """No timestamped photons are simulated: -1 (timeout), after the wait."""
        self.sim.wait_until(up_to_timestamp_mu)
        self._windows.clear()
        return np.int64(-1)

    @portable
    def sample_input(self):
        self.sim.output(self._sens, 4, self.channel)

    @portable
    def sample_get(self):
        self.sim.wait_until(self.tm.now)
        return 1 if self.o else 0

    @portable
    def sample_get_nonrt(self):
        self.sample_input()
        return self.sample_get()

    @portable
    def watch_stay_on(self):
        self.sample_input()
        return self.o

    @portable
    def watch_stay_off(self):
        self.sample_input()
        return not self.o

    @portable
    def watch_done(self):
        return True


class TTLClockGen:
    kernel_invariants = {"core", "channel", "target", "acc_width"}

    def __init__(self, dmgr, channel, acc_width=24, core_device="core", _key=None):
        self.core = dmgr.get(core_device)
        self.sim = self.core.sim
        self.channel = channel
        self.target = channel << 8
        self.acc_width = np.int64(acc_width)
        self._key = _key or "clkgen_ch{}".format(channel)
        self._freq = self.sim.signal(self._key, "frequency", "real", init=0.0)

    @portable
    def frequency_to_ftw(self, frequency):
        return round(float(2) ** self.acc_width * frequency * self.core.coarse_ref_period)

    @portable
    def ftw_to_frequency(self, ftw):
        return ftw / self.core.coarse_ref_period / float(2) ** self.acc_width

    @portable
    def set_mu(self, frequency):
        self.sim.output(self._freq, self.ftw_to_frequency(frequency), self.channel)

    @portable
    def set(self, frequency):
        if frequency < 0:
            raise ValueError("{}: negative frequency {}".format(self._key, frequency))
        self.set_mu(self.frequency_to_ftw(frequency))

    @portable
    def stop(self):
        self.set_mu(0)
