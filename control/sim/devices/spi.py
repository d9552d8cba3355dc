"""The simulated SPI bus of an Urukul: the timing twin of ``artiq.coredevice.spi2.SPIMaster``.

The chips on the bus (the CPLD's registers and attenuators, the DDS chips) are simulated
by their own drivers, which know what each transfer means; the bus only keeps time. Each
configuration or data word is one RTIO output event (:func:`~control.sim.devices.rtio.
rtio_event`: the slack check and CPU cost, not recorded), so an SPI-heavy sequence can
underflow as it does on hardware. A register write's words go in one call
(``SPIBus._write_words``), with the same checks, costs and underflow as word by word.

Timing, in machine units, with ``P`` the coarse RTIO period (``core.ref_multiplier``, 8):

* ``set_config_mu``: one event; the cursor moves by ``P``;
* ``write``: one event; the cursor moves by one transfer, ``((length + 1) * div + 1) * P``
  for the length and divider of the last configuration;
* ``read``: no move; the CPU waits for the end of the transfer whose data it reads (a
  transfer configured with ``SPI_INPUT``), and gets 0: the chips' drivers answer their own
  reads.

The flags are the configuration word's low byte, one bit each, in the order of the SPI
core's gateware (``SPI_OFFLINE`` is bit 0, ``SPI_HALF_DUPLEX`` bit 7).
"""
from collections import deque

import numpy as np

from control.lang import portable
from control.sim.devices.rtio import rtio_event

__all__ = ["SPIBus", "bus_channel",
           "SPI_OFFLINE", "SPI_END", "SPI_INPUT", "SPI_CS_POLARITY", "SPI_CLK_POLARITY",
           "SPI_CLK_PHASE", "SPI_LSB_FIRST", "SPI_HALF_DUPLEX"]

(SPI_OFFLINE, SPI_END, SPI_INPUT, SPI_CS_POLARITY, SPI_CLK_POLARITY, SPI_CLK_PHASE,
 SPI_LSB_FIRST, SPI_HALF_DUPLEX) = (1 << bit for bit in range(8))

# What the SPI core accepts: 1 to 32 bits a transfer, a clock divider of 2 to 257.
_MAX_LENGTH = 32
_MAX_DIVIDER = 257


def bus_channel(dmgr, name):
    """The RTIO channel of the SPI bus ``name`` in the device database, or None."""
    try:
        return dmgr.get_desc(name)["arguments"]["channel"]
    except Exception:
        return None


class SPIBus:
    """One SPI bus, timed as ``SPIMaster`` (same public methods); see the module docstring.

    :param core: the simulated core device.
    :param channel: its RTIO channel (for underflow messages), or None.
    :param name: what underflow messages and DMA traces call its words.
    """
    kernel_invariants = {"core", "ref_period_mu", "channel"}

    def __init__(self, core, channel=None, name="spi"):
        self.core = core
        self.sim = core.sim
        self._tl = self.sim.timeline
        self.channel = channel
        self.ref_period_mu = core.ref_multiplier
        self._what = name
        self._flags = 0
        self._inputs = deque()  # end times of transfers whose data comes back
        self._plans = {}  # transfers -> _WritePlan (see _write_words)
        self.update_xfer_duration_mu(0, 0)

    @portable
    def frequency_to_div(self, f):
        """The clock divider for an SPI clock of ``f`` Hz, rounded to nearest."""
        period_s = self.core.mu_to_seconds(self.ref_period_mu)
        return int(round(1 / (period_s * f)))

    @portable
    def set_config(self, flags, length, freq, cs):
        """:meth:`set_config_mu` with the SPI clock given in Hz. Advances the timeline by
        one coarse RTIO period."""
        self.set_config_mu(flags, length, self.frequency_to_div(freq), cs)

    @portable
    def set_config_mu(self, flags, length, div, cs):
        """Configure the next transfers (flags, bits a transfer, clock divider, chip
        select): one RTIO event. Advances the timeline by one coarse RTIO period."""
        if not 1 <= length <= _MAX_LENGTH:
            raise ValueError("Invalid SPI transfer length")
        if not 2 <= div <= _MAX_DIVIDER:
            raise ValueError("Invalid SPI clock divider")
        rtio_event(self.sim, self.channel, self._what)
        self._flags = flags
        self.update_xfer_duration_mu(div, length)
        self._tl.now += self.ref_period_mu

    @portable
    def update_xfer_duration_mu(self, div, length):
        """Set ``xfer_duration_mu``, the length of one transfer, for ``div`` and
        ``length``, without an RTIO event. Does not advance the timeline."""
        coarse_periods = (length + 1) * div + 1
        self.xfer_duration_mu = coarse_periods * self.ref_period_mu

    @portable
    def write(self, data):
        """Start one transfer of ``data`` at the current time: one RTIO event. Advances
        the timeline by the transfer's duration."""
        rtio_event(self.sim, self.channel, self._what)
        tl = self._tl
        tl.now += self.xfer_duration_mu
        if self._flags & SPI_INPUT:
            self._inputs.append(tl.now)

    @portable
    def read(self):
        """The data of the oldest input transfer not read: 0 (the chips' drivers answer
        their own reads); the CPU waits for its end. Does not advance the timeline."""
        if not self._inputs:
            raise RuntimeError("{}: SPI read with no input transfer pending (simulator "
                               "check: the hardware would wait forever)".format(self._what))
        self.sim.wait_until(self._inputs.popleft())
        return np.int32(0)

    # ---- for the simulated chips

    def _xfer(self, flags, length, div):
        """A configuration word and one transfer: ``set_config_mu(flags, length, div,
        cs)`` then ``write``, in one call (the simulated chips make many); returns when the
        transfer ends."""
        if not 1 <= length <= _MAX_LENGTH:
            raise ValueError("Invalid SPI transfer length")
        if not 2 <= div <= _MAX_DIVIDER:
            raise ValueError("Invalid SPI clock divider")
        sim, tl = self.sim, self._tl
        period = self.ref_period_mu
        rtio_event(sim, self.channel, self._what)  # the configuration word
        self._flags = flags
        self.xfer_duration_mu = ((length + 1) * div + 1) * period
        tl.now += period
        rtio_event(sim, self.channel, self._what)  # the data word: the transfer starts
        tl.now += self.xfer_duration_mu
        if flags & SPI_INPUT:
            self._inputs.append(tl.now)
        return tl.now

    def _write_words(self, transfers):
        """The write-only transfers ``transfers`` (``(flags, length, div)`` each, none with
        ``SPI_INPUT``) one after another, as that many :meth:`_xfer` calls make them.

        A DDS register write is two to three transfers, four to six RTIO events: outside a
        DMA recording they are submitted at once when none of them can underflow (one
        comparison against the least slack of the sequence), else one by one, so that
        the late one raises with the same state as it would alone."""
        plan = self._plans.get(transfers)
        if plan is None:
            plan = self._plans[transfers] = _WritePlan(transfers, self.ref_period_mu)
        sim, tl = self.sim, self._tl
        if sim.dma_capture is None:
            event_mu = tl.event_mu
            if plan.event_mu != event_mu:
                plan.set_event_mu(event_mu)
            now = tl.now
            if not tl.slack.enabled or now + plan.least >= tl.cpu + tl.latency_mu:
                tl.cpu += plan.cpu_mu
                sim.rtio_events += plan.events
                tl.now = now + plan.duration
                self._flags = plan.flags
                self.xfer_duration_mu = plan.last_duration
                return
        for flags, length, div in transfers:
            self._xfer(flags, length, div)

    def _read_at(self, t_end):
        """The CPU waits for the data of the transfer that ended at ``t_end``."""
        pending = self._inputs
        if pending and pending[0] == t_end:
            pending.popleft()
        self.sim.wait_until(t_end)


class _WritePlan:
    """The RTIO events of a sequence of write transfers, relative to its start: when each
    is submitted, how far the cursor moves, and the least ``time - k * event_mu`` over
    the k-th event (no event underflows iff the start plus this is at least the CPU
    estimate plus the latency)."""
    __slots__ = ("offsets", "duration", "flags", "last_duration", "events", "event_mu",
                 "least", "cpu_mu")

    def __init__(self, transfers, period):
        offsets, t = [], 0
        for flags, length, div in transfers:
            if not 1 <= length <= _MAX_LENGTH:
                raise ValueError("Invalid SPI transfer length")
            if not 2 <= div <= _MAX_DIVIDER:
                raise ValueError("Invalid SPI clock divider")
            if flags & SPI_INPUT:
                raise ValueError("a write plan has no input transfer")
            self.last_duration = ((length + 1) * div + 1) * period
            self.flags = flags
            offsets.append(t)   # the configuration word
            t += period
            offsets.append(t)   # the data word
            t += self.last_duration
        self.offsets = tuple(offsets)
        self.duration = t
        self.events = len(offsets)
        self.event_mu = None
        self.least = self.cpu_mu = 0

    def set_event_mu(self, event_mu):
        """Recompute the least slack and the CPU cost for an event cost of
        ``event_mu``."""
        self.event_mu = event_mu
        self.least = min(t - k * event_mu for k, t in enumerate(self.offsets))
        self.cpu_mu = self.events * event_mu
