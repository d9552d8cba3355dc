"""Simulated ``artiq.coredevice.ttl``: ``TTLOut``, ``TTLInOut``, ``TTLClockGen``.

Same constructors, methods, defaults and return values as ARTIQ's drivers. An output
change is one RTIO event at the cursor (``Simulation.output``: slack check, CPU cost,
recorded); input reads block the simulated CPU as the hardware's do and ask the ion model
for the photons of the gate windows they read.

Recorded signals (device key = device-database name):

* ``state`` (bool) — the output level (``TTLOut`` and ``TTLInOut``);
* ``oe`` (bool) — output enable (``TTLInOut``);
* ``sensitivity`` (int: 0 off, 1 rising, 2 falling, 3 both) — the input gate
  (``TTLInOut``), so detection windows show in the waveform;
* ``frequency`` (real, Hz, after FTW quantization) — ``TTLClockGen``.

Timeline, per method (as ARTIQ's driver):

* ``on``/``off``/``set_o``/``set_oe``/``output``/``input``/``sample_input``: no advance;
* ``pulse_mu(d)``/``pulse(d)``: ``d`` (on at the start, off at the end);
* ``gate_*_mu(d)``/``gate_*(d)``: ``d``; they return the gate's end (``now_mu()``);
* ``count``/``timestamp_mu``/``sample_get``/``watch_*``: no advance; the CPU waits for
  the input (``count(t)`` until ``t + gate_latency_mu``, as ``rtio_input_timestamp``
  with that timeout does) and pays one input read (``count``: plus one per event with
  ``COUNT_READS_EACH_EVENT``).

Photon input (``TTLInOut``): each closed gate is a window ``[open, close]`` (in mu) kept
per device, first in first out, as the input FIFO keeps their events. ``count(t)`` takes
every window that closed by ``t + gate_latency_mu`` (several gates before one read add up,
as on hardware) and asks ``sim.model.counts(key, open, close)`` once per window, after
``sim.wait_until`` and ``sim.settle``. A photon is one input pulse: a ``gate_both`` window
sees two edges per photon. ``timestamp_mu`` draws each window's photon arrival times
uniformly in the window (seeded ``sim.rng``) and returns them in order, -1 when none is
left by its timeout; ``count`` then counts what ``timestamp_mu`` left of a window. Input
levels are not modelled: ``sample_get`` returns this channel's own output level when its
output is enabled (a loopback), else 0; ``watch_*`` see no transition.

Checks the simulator makes that ARTIQ's driver does not (the hardware would misbehave
silently instead):

* negative pulse or gate durations raise ``ValueError``;
* ``count`` (and ``sample_get``) with nothing to read — no gate opened, or every gate
  already read — raise ``RuntimeError`` (the hardware returns 0 after the timeout, or
  for ``sample_get`` waits forever, which hides the bug);
* ``TTLClockGen.set``/``set_mu`` outside 0 to half the coarse RTIO clock (ftw outside
  ``[0, 2**(acc_width-1)]``) raise ``ValueError``.

Faults (``sim.faults[key]``): ``stuck_on`` — the output stays high whatever is written;
``disconnected`` — the input sees no photons.
"""
from collections import deque

import numpy as np

from control.lang import RTIOUnderflow, portable
from control.mu import round_half_away
from control.sim.devices.rtio import one_channel, rtio_event

__all__ = ["TTLOut", "TTLInOut", "TTLClockGen", "COUNT_READS_EACH_EVENT"]

# ``TTLInOut.count`` costs the CPU one input read (``sim.wait_until``) by default. On
# hardware it reads every event (``rtio_input_timestamp`` in a loop): set this to True to
# charge one input read per counted event as well (the reads of events that arrived while
# the CPU waited for the gate to close overlap that wait; those of a second channel read
# afterwards do not).
COUNT_READS_EACH_EVENT = False


def _check_duration(key, duration, what, unit):
    if duration < 0:
        raise ValueError("{}: negative {} duration {} {} (simulator check: the hardware "
                         "would go back in time)".format(key, what, duration, unit))


class _TTLBase:
    """The output half that TTLOut and TTLInOut share (ARTIQ duplicates it; so do their
    public signatures here)."""

    def _setup(self, dmgr, channel, core_device, key):
        self.core = dmgr.get(core_device)
        self.channel = channel
        self.target_o = channel << 8
        self.sim = self.core.sim
        self._tl = self.sim.timeline
        self._key = key if key is not None else "ttl_ch{}".format(channel)
        self._sig_state = self.sim.signal(self._key, "state", "bool", init=0)
        self._level = 0      # output level in program order (loopback, edge hooks)
        self._hooks = []     # called with the time of each rising edge (IO_UPDATE lines)
        faults = self.sim.faults.get(self._key) or {}
        self._stuck_on = bool(faults.get("stuck_on"))
        # The hot path: on/off/pulse call ``self._out`` — normally the simulation's own
        # ``output`` (one call, no wrapper); a TTL with a fault, edge hooks or an input
        # side goes through ``_special_output``.
        self._out = self.sim.output
        self._plain = True  # ``_out`` is ``sim.output``: pulses go through ``sim.pulse``
        if self._stuck_on:
            self._out = self._special_output
            self._plain = False

    get_rtio_channels = staticmethod(one_channel)

    def _add_edge_hook(self, hook):
        """Call ``hook(time_mu)`` at each rising edge of the output (the Urukul CPLD uses
        it on its IO_UPDATE line)."""
        self._hooks.append(hook)
        self._out = self._special_output
        self._plain = False

    def _special_output(self, sig, value, channel):
        if sig is self._sig_state:
            if self._stuck_on:
                value = 1
            if value and not self._level and self._hooks:
                # Before the event itself: the effects it triggers (DDS values at
                # IO_UPDATE) are recorded at its timestamp, never behind a release.
                now = self._tl.now
                for hook in self._hooks:
                    hook(now)
            self.sim.output(sig, value, channel)
            self._level = value
        else:
            self.sim.output(sig, value, channel)

    # ---- output (timeline: on/off/set_o do not advance; pulses advance by the duration)

    @portable
    def set_o(self, o):
        """Set the output to ``o`` at the current time. Does not advance the timeline."""
        self._out(self._sig_state, 1 if o else 0, self.channel)

    @portable
    def on(self):
        """Set the output high at the current time. Does not advance the timeline."""
        self._out(self._sig_state, 1, self.channel)

    @portable
    def off(self):
        """Set the output low at the current time. Does not advance the timeline."""
        self._out(self._sig_state, 0, self.channel)

    @portable
    def pulse_mu(self, duration):
        """High at the current time, low ``duration`` machine units later. Advances the
        timeline by the pulse duration."""
        # on; delay_mu(duration); off
        if duration < 0:
            _check_duration(self._key, duration, "pulse", "mu")
        sim = self.sim
        plain = self._plain
        if not plain:
            if self._stuck_on:
                out = self._out
                out(self._sig_state, 1, self.channel)
                self._tl.now += int(duration)
                out(self._sig_state, 0, self.channel)
                return
            # _special_output(state, 1), the delay, _special_output(state, 0): the rising
            # edge's hooks, both edges as ``sim.pulse`` submits them, the level as the two
            # calls leave it (also when an edge underflows)
            if not self._level and self._hooks:
                now = self._tl.now
                for hook in self._hooks:
                    hook(now)
            submitted = sim.rtio_events
        duration = int(duration)
        if plain:
            sim.pulse(self._sig_state, duration, self.channel)
            return
        try:
            sim.pulse(self._sig_state, duration, self.channel)
        except RTIOUnderflow:
            if sim.rtio_events != submitted:
                self._level = 1  # the rising edge went out, the falling one did not
            raise
        self._level = 0

    @portable
    def pulse(self, duration):
        """High at the current time, low ``duration`` seconds later (rounded to the
        nearest machine unit). Advances the timeline by the pulse duration."""
        # on; delay(duration) (rounded to the nearest mu, as the compiler does); off
        if duration < 0:
            _check_duration(self._key, duration, "pulse", "s")
        try:
            mu = round_half_away(duration / self._tl.ref_period)
        except (ValueError, OverflowError):  # NaN or infinite: as on(), then delay fails
            self._out(self._sig_state, 1, self.channel)
            self._tl.take_time(duration)
            raise
        self.pulse_mu(mu)


class TTLOut(_TTLBase):
    """RTIO TTL output channel (``artiq.coredevice.ttl.TTLOut``).

    :param channel: RTIO channel number.
    :param core_device: core device name.
    """
    kernel_invariants = {"core", "channel", "target_o"}

    def __init__(self, dmgr, channel, core_device="core", _key=None):
        self._setup(dmgr, channel, core_device, _key)

    @portable
    def output(self):
        """Nothing to do: the channel is always an output. Does not advance the
        timeline."""
        pass


class TTLInOut(_TTLBase):
    """RTIO TTL input/output channel (``artiq.coredevice.ttl.TTLInOut``): output, input
    gating and counting, sampling. See the module docstring for what inputs see.

    :param channel: RTIO channel number.
    :param gate_latency_mu: how long after a gate's end the CPU keeps waiting for its
        events (default ``13 * ref_multiplier``, as ARTIQ).
    :param core_device: core device name.
    """
    kernel_invariants = {"core", "channel", "gate_latency_mu",
                         "target_o", "target_oe", "target_sens", "target_sample"}

    def __init__(self, dmgr, channel, gate_latency_mu=None, core_device="core", _key=None):
        self._setup(dmgr, channel, core_device, _key)
        # A gate's end reaches the input through a slower path: reads wait this long
        # after it (ARTIQ's default: 13 coarse RTIO cycles).
        self.gate_latency_mu = 13 * self.core.ref_multiplier if gate_latency_mu is None \
            else gate_latency_mu
        # The channel's addresses after the output's: output enable, sensitivity, sample.
        self.target_oe, self.target_sens, self.target_sample = \
            (self.target_o + offset for offset in (1, 2, 3))
        self._sig_oe = self.sim.signal(self._key, "oe", "bool", init=0)
        self._sig_sens = self.sim.signal(self._key, "sensitivity", "int", size=2, init=0)
        self._out = self._special_output  # keeps the output level for loopback sampling
        self._plain = False
        self._oe = 0
        self._sens = 0
        self._open = None        # (time, edges per photon) of the open gate
        self._windows = deque()  # unread gates: [t_open, t_close, edges, stamps or None]
        self._samples = deque()  # (time, level) of sample requests not yet read

    # ---- output enable

    @portable
    def set_oe(self, oe):
        """Enable (``oe`` true) or disable the output driver at the current time. Does
        not advance the timeline."""
        self._out(self._sig_oe, 1 if oe else 0, self.channel)
        self._oe = 1 if oe else 0

    @portable
    def output(self):
        """Make the channel an output (``set_oe(True)``) at the current time. Does not
        advance the timeline."""
        self.set_oe(True)

    @portable
    def input(self):
        """Make the channel an input (``set_oe(False)``) at the current time. Does not
        advance the timeline."""
        self.set_oe(False)

    # ---- input gating (timeline: the gate duration)

    @portable
    def _set_sensitivity(self, value):
        self._out(self._sig_sens, value, self.channel)
        now = self._tl.now
        if self._open is not None and (not value or value != self._sens):
            t0, edges = self._open
            self._windows.append([t0, now, edges, None])
            self._open = None
        if value and self._open is None:
            self._open = (now, (value & 1) + ((value >> 1) & 1))
        self._sens = value

    def _gate_mu(self, sensitivity, duration):
        if duration < 0:
            _check_duration(self._key, duration, "gate", "mu")
        self._set_sensitivity(sensitivity)
        self._tl.now += int(duration)
        self._set_sensitivity(0)
        return np.int64(self._tl.now)

    def _gate(self, sensitivity, duration):
        if duration < 0:
            _check_duration(self._key, duration, "gate", "s")
        self._set_sensitivity(sensitivity)
        self._tl.take_time(duration)
        self._set_sensitivity(0)
        return np.int64(self._tl.now)

    @portable
    def gate_rising_mu(self, duration):
        """Register rising edges from the current time for ``duration`` machine units;
        returns the gate's end. Advances the timeline by the gate duration."""
        return self._gate_mu(1, duration)

    @portable
    def gate_falling_mu(self, duration):
        """Register falling edges from the current time for ``duration`` machine units;
        returns the gate's end. Advances the timeline by the gate duration."""
        return self._gate_mu(2, duration)

    @portable
    def gate_both_mu(self, duration):
        """Register both edges (two per photon) from the current time for ``duration``
        machine units; returns the gate's end. Advances the timeline by the gate
        duration."""
        return self._gate_mu(3, duration)

    @portable
    def gate_rising(self, duration):
        """:meth:`gate_rising_mu` for ``duration`` seconds (rounded to the nearest machine
        unit). Advances the timeline by the gate duration."""
        return self._gate(1, duration)

    @portable
    def gate_falling(self, duration):
        """:meth:`gate_falling_mu` for ``duration`` seconds (rounded to the nearest machine
        unit). Advances the timeline by the gate duration."""
        return self._gate(2, duration)

    @portable
    def gate_both(self, duration):
        """:meth:`gate_both_mu` for ``duration`` seconds (rounded to the nearest machine
        unit). Advances the timeline by the gate duration."""
        return self._gate(3, duration)

    # ---- input reads

    def _photons(self, t0, t1, edges):
        """Input edges in [t0, t1] from the ion model (settled up to t1)."""
        sim = self.sim
        sim.settle(t1)
        model = sim.model
        if model is None or t1 <= t0 or (sim.faults.get(self._key) or {}).get("disconnected"):
            return 0
        return edges * int(model.counts(self._key, t0, t1))

    def _split_at(self, limit):
        """Make ``limit`` a window boundary: an open gate, or an unread window that
        straddles it, is cut there (the model answers each part once)."""
        if self._open is not None and self._open[0] < limit:
            t0, edges = self._open
            self._windows.append([t0, limit, edges, None])
            self._open = (limit, edges)
        for i, w in enumerate(self._windows):
            if w[1] > limit:
                if w[0] < limit and w[3] is None:
                    self._windows.insert(i + 1, [limit, w[1], w[2], None])
                    w[1] = limit
                break

    @portable
    def count(self, up_to_timestamp_mu):
        """Input events of every gate closed by ``up_to_timestamp_mu`` (plus the gate
        latency) that no read took yet; the CPU waits until then. Does not advance the
        timeline."""
        limit = int(up_to_timestamp_mu) + self.gate_latency_mu
        self._split_at(limit)
        windows = self._windows
        if not windows or windows[0][1] > limit:
            raise RuntimeError(
                "{}: count({}) with no gate to read: no gate was opened before {} mu, or "
                "every gate was already read (simulator check: the hardware would return "
                "0 after waiting). Open one with gate_rising_mu() and pass the timestamp "
                "it returns.".format(self._key, up_to_timestamp_mu, limit))
        tl = self._tl
        cpu = tl.cpu
        self.sim.wait_until(limit)
        total = 0
        while windows and windows[0][1] <= limit:
            t0, t1, edges, stamps = windows.popleft()
            total += len(stamps) if stamps is not None else self._photons(t0, t1, edges)
        if COUNT_READS_EACH_EVENT:
            # The CPU reads the events as they arrive, one input read each (overlapping
            # the wait), then times out.
            tl.cpu = max(cpu + total * tl.input_mu, limit) + tl.input_mu
        return np.int32(total)

    @portable
    def timestamp_mu(self, up_to_timestamp_mu):
        """The timestamp of the next input event up to ``up_to_timestamp_mu`` (plus the
        gate latency), or -1 (the CPU then waited until that time). Does not advance the
        timeline."""
        limit = int(up_to_timestamp_mu) + self.gate_latency_mu
        self._split_at(limit)
        windows = self._windows
        while windows and windows[0][1] <= limit:
            w = windows[0]
            if w[3] is None:
                n = self._photons(w[0], w[1], w[2])
                w[3] = deque(np.sort(self.sim.rng.integers(w[0], w[1], n)).tolist()) \
                    if n else deque()
            if w[3]:
                t = w[3].popleft()
                self.sim.wait_until(t)
                return np.int64(t)
            windows.popleft()
        self.sim.wait_until(limit)
        return np.int64(-1)

    # ---- sampling (no timeline advance)

    @portable
    def sample_input(self):
        """Ask for a sample of the input level at the current time (read it with
        :meth:`sample_get`). Does not advance the timeline."""
        rtio_event(self.sim, self.channel, self._key + " sample")
        self._samples.append((self._tl.now, self._level if self._oe else 0))

    @portable
    def sample_get(self):
        """The level of the oldest sample not read (the own output when enabled, else
        0); the CPU waits for it. Does not advance the timeline."""
        if not self._samples:
            raise RuntimeError("{}: sample_get() with no sample_input() before it "
                               "(simulator check: the hardware would wait forever)"
                               .format(self._key))
        t, level = self._samples.popleft()
        self.sim.wait_until(t)
        return np.int32(level)

    @portable
    def sample_get_nonrt(self):
        """Sample the input now and read it, then ``break_realtime``: moves the timeline
        to at least 125000 mu after the RTIO counter."""
        self.sample_input()
        level = self.sample_get()
        self.core.break_realtime()  # the read took the slack
        return level

    # ---- watching (no transitions are simulated)

    def _watch(self, sensitivity):
        self._out(self._sig_sens, sensitivity, self.channel)
        self.sim.wait_until(self._tl.now)
        return self._level if self._oe else 0

    @portable
    def watch_stay_on(self):
        """Start watching for the input to fall; True if it is high now (the own output
        when enabled: no transitions are simulated). Does not advance the timeline."""
        return self._watch(2) == 1

    @portable
    def watch_stay_off(self):
        """Start watching for the input to rise; True if it is low now (the own output
        when enabled: no transitions are simulated). Does not advance the timeline."""
        return self._watch(1) == 0

    @portable
    def watch_done(self):
        """Stop watching at the current time; True, since no transition is ever seen.
        Does not advance the timeline."""
        self._out(self._sig_sens, 0, self.channel)
        self.sim.wait_until(self._tl.now + self.gate_latency_mu)
        return True


class TTLClockGen:
    """RTIO TTL clock generator (``artiq.coredevice.ttl.TTLClockGen``): records its
    ``frequency``. No timeline advance.

    :param channel: RTIO channel number.
    :param acc_width: accumulator width in bits.
    :param core_device: core device name.
    """
    kernel_invariants = {"core", "channel", "target", "acc_width"}

    def __init__(self, dmgr, channel, acc_width=24, core_device="core", _key=None):
        core = self.core = dmgr.get(core_device)
        self.sim = core.sim
        self.channel, self.target = channel, channel << 8  # one output address
        self.acc_width = np.int64(acc_width)
        self._key = "clkgen_ch{}".format(channel) if _key is None else _key
        self._sig_freq = self.sim.signal(self._key, "frequency", "real", init=0.0)

    get_rtio_channels = staticmethod(one_channel)

    @portable
    def frequency_to_ftw(self, frequency):
        """The frequency tuning word of ``frequency`` Hz, rounded to nearest."""
        return round(float(2 ** int(self.acc_width)) * frequency * self.core.coarse_ref_period)

    @portable
    def ftw_to_frequency(self, ftw):
        """The frequency, in Hz, of tuning word ``ftw``."""
        return ftw / self.core.coarse_ref_period / float(2 ** int(self.acc_width))

    @portable
    def set_mu(self, frequency):
        """Set the output frequency to tuning word ``frequency`` at the current time.
        Does not advance the timeline."""
        ftw = int(frequency)
        if not 0 <= ftw <= 1 << (int(self.acc_width) - 1):
            raise ValueError(
                "{}: frequency tuning word {} outside [0, {}] (0 to half the coarse RTIO "
                "clock; simulator check)".format(self._key, ftw,
                                                 1 << (int(self.acc_width) - 1)))
        self.sim.output(self._sig_freq, self.ftw_to_frequency(ftw), self.channel)

    @portable
    def set(self, frequency):
        """Set the output frequency to ``frequency`` Hz (quantized to a tuning word) at
        the current time. Does not advance the timeline."""
        if frequency < 0:
            raise ValueError("{}: negative frequency {} Hz (simulator check)".format(
                self._key, frequency))
        self.set_mu(self.frequency_to_ftw(frequency))

    @portable
    def stop(self):
        """Stop the clock (frequency 0) at the current time. Does not advance the
        timeline."""
        self.set_mu(0)
