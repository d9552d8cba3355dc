"""Simulated ``artiq.coredevice.ad9912.AD9912``: one AD9912 DDS channel of an Urukul.

Same constructor, methods, defaults, conversions and errors as ARTIQ's driver: 48-bit FTW
(``ftw_per_hz = 2**48 / sysclk``), 14-bit POW (``turns_to_pow`` keeps 16 bits as ARTIQ
does; the chip uses 14), no amplitude control (the Urukul attenuator sets the power);
``sysclk = refclk / [1, 1, 2, 4][clk_div] * pll_n`` (the reference doubled below 11 MHz)
with the PLL, ``refclk`` without. The chip is a byte-register model: SPI writes fill an
I/O buffer that IO_UPDATE (the board's TTL, or ``RegIOUpdate``) makes active; readback
returns the active registers. Recorded when the output changes, at the IO_UPDATE rising
edge: ``frequency`` (Hz, of the FTW) and ``phase`` (turns, of the 14-bit POW); no
``amplitude``. ``attenuation`` and ``cfg_sw`` are recorded by the CPLD. The simulation
starts with the chip initialized and FTW = POW = 0.

Timeline per method, with the default 8 mu coarse period (each SPI word is one RTIO
event through the slack model):

* ``write(addr, data, length)``: 288 + (8 + ((8·length + 1)·2 + 1)·8) mu (448 for one
  byte); ``read(addr, length)``: 288 + (8 + ((8·length + 1)·16 + 1)·8) mu (4528 for four
  bytes), the CPU waits for the data;
* ``set_mu``/``set``: a streamed 16 + 32 + 32-bit write (1376 mu) then a 10 ns IO_UPDATE
  pulse (the new values are recorded at its rising edge, 1376 mu after the start): 1386 mu;
* ``get_mu``/``get``: two 4-byte reads with ``core.break_realtime()`` between them, as
  ARTIQ does (4528 mu, at least 125 µs of slack regained, 4528 mu); the CPU waits;
* ``init``: exact ARTIQ sequence — serial config write, 2 µs IO_UPDATE pulse, product-ID
  read, 50 µs, power-down write, 2 µs pulse, (PLL: N-divider write, 2 µs pulse, PLL
  config write, 2 µs pulse), 1 ms; the simulated chip answers product ID 0x1982;
* attenuator and switch methods: the CPLD's timing.

Checks: ARTIQ's — PLL/clock parameters and chip select raise ``AssertionError``, ``init``
raises its ``ValueError`` on a product-ID mismatch (never, here). The simulator's own,
``ValueError``: a frequency outside 0 to 0.4 × sysclk (400 MHz at 1 GHz), an FTW above
that or outside 48 bits, a POW outside 0–0xffff.
Fault (``sim.faults[key]``): ``stuck`` — the chip ignores IO_UPDATE.
"""
import numpy as np

from control.lang import portable
from control.mu import round_half_away
from control.sim.devices.dma import shown_for_trace
from control.sim.devices.rtio import record_effect
from control.sim.devices.spi import SPI_END, SPI_INPUT
from control.sim.devices.urukul import (SPIT_DDS_RD, SPIT_DDS_WR, SPI_CONFIG, UrukulChannel,
                                        _INT32_16BIT, _i32, _int32_16bit)

__all__ = ["AD9912"]

# The registers the driver touches, by byte address (the AD9912's register map, as
# ``artiq.coredevice.ad9912_reg`` names it). A multi-byte word sits at consecutive
# addresses, most significant byte highest, and an MSB-first transfer fills it downwards:
# the 48-bit FTW in 0x1a6-0x1ab, the 14-bit POW in 0x1ac-0x1ad.
_SER_CONF = 0x000                 # serial port configuration
_PRODUCT_ID_HIGH = 0x003          # product ID, 0x002-0x003
_POWER_DOWN = 0x010               # power-down and enable
_N_DIVIDER, _PLL_CONFIG = 0x020, 0x022
_FTW_LOW = 0x1a6
_FTW_HIGH = _FTW_LOW + 5
_FTW_LOW_WORD_HIGH = _FTW_LOW + 3  # the top byte of the FTW's low 32 bits
_POW_HIGH = 0x1ad
# POW (2 bytes) then FTW (6 bytes), MSB first: 8 contiguous addresses, the order in which
# set_mu streams them; set_mu stores and _io_update reads the tone as one 64-bit word
_TONE_ADDRS = tuple(range(_POW_HIGH, _FTW_LOW - 1, -1))
_TONE_ZEROS = (0,) * len(_TONE_ADDRS)
_FTW_MASK = (1 << 48) - 1

MAX_FREQUENCY_FRACTION = 0.4
_PRODUCT_ID = 0x1982

_US = 1e-6
_MS = 1e-3
_NS = 1e-9

# ``set_mu``'s stream: the POW1 address, POW1, POW0, FTW5, FTW4, then FTW3..FTW0 (one
# ``SPIBus._write_words`` call).
_SET_MU_WORDS = ((SPI_CONFIG, 16, SPIT_DDS_WR), (SPI_CONFIG, 32, SPIT_DDS_WR),
                 (SPI_CONFIG | SPI_END, 32, SPIT_DDS_WR))

_FTW_SCALE = np.int64(1) << 48      # FTW units per turn of the 48-bit accumulator
_REFCLK_DIVIDER = (1, 1, 2, 4)      # per CPLD ``clk_div``


def _sysclk(refclk, clk_div, pll_en, pll_n):
    """The DDS clock (Hz): without the PLL, the board's reference; with it, the
    reference (doubled by the PLL's doubler below 11 MHz) over the CPLD's divider, times
    ``pll_n``."""
    if not pll_en:
        return refclk
    reference = refclk * 2 if refclk < 11e6 else refclk
    return reference / _REFCLK_DIVIDER[clk_div] * pll_n


class AD9912(UrukulChannel):
    """AD9912 DDS channel on Urukul (``artiq.coredevice.ad9912.AD9912``); see the module
    docstring for what is simulated and how the timeline advances.

    :param chip_select: 4-7.
    :param cpld_device: name of the Urukul CPLD.
    :param sw_device: name of the RF switch TTLOut (the ``sw`` attribute).
    :param pll_n: PLL multiplier; ``pll_en``: 0 to bypass the PLL.
    """

    def __init__(self, dmgr, chip_select, cpld_device, sw_device=None, pll_n=10, pll_en=1,
                 _key=None):
        self._join_board("AD9912", dmgr, chip_select, cpld_device, sw_device, 4,
                         ("pll_n", "pll_en", "ftw_per_hz"))
        self.pll_en, self.pll_n = pll_en, pll_n
        sysclk = _sysclk(self.cpld.refclk, self.cpld.clk_div, pll_en, pll_n)
        if not sysclk <= 1e9:
            raise AssertionError("AD9912 sysclk {} Hz above 1 GHz".format(sysclk))
        self.ftw_per_hz = _FTW_SCALE * (1 / sysclk)
        self.io_update = self._io_update_line()

        # ---- simulation
        self.sysclk = sysclk
        self.sim = self.core.sim
        self._tl = self.sim.timeline
        self._key = _key if _key is not None else "ad9912_cs{}".format(chip_select)
        self._max_frequency = MAX_FREQUENCY_FRACTION * sysclk
        self._sig_freq = self.sim.signal(self._key, "frequency", "real", init=0.0)
        self._sig_phase = self.sim.signal(self._key, "phase", "real", init=0.0)
        # byte registers: active, and the I/O buffer waiting for IO_UPDATE
        self._regs = {_PRODUCT_ID_HIGH: _PRODUCT_ID >> 8, _PRODUCT_ID_HIGH - 1: _PRODUCT_ID & 0xff}
        self._pending = {}
        # The tone word (POW << 48 | FTW) when set_mu wrote all of it last: what the
        # pending bytes at _TONE_ADDRS hold, so IO_UPDATE need not gather them; None once
        # anything else is stored or the buffer is taken
        self._pending_tone = None
        self._shown = (0.0, 0.0)
        # set_mu's 10 ns IO_UPDATE pulse in mu, rounded once as pulse() rounds it each time
        self._io_update_mu = round_half_away(10 * _NS / self._tl.ref_period)
        self.cpld._attach(chip_select - 4, self)

    # ---- the chip

    def _word(self, regs, high, nbytes):
        value = 0
        get = regs.get
        for addr in range(high, high - nbytes, -1):
            value = (value << 8) | get(addr, 0)
        return value

    def _io_update(self, t):
        if not self._pending:
            return
        sim = self.sim
        faults = sim.faults
        if faults and (faults.get(self._key) or {}).get("stuck"):
            self._pending.clear()
            self._pending_tone = None
            return
        self._regs.update(self._pending)
        self._pending.clear()
        word = self._pending_tone
        if word is None:
            # the tone's 8 bytes in one go (as _word reads each of its registers)
            word = int.from_bytes(bytes(map(self._regs.get, _TONE_ADDRS, _TONE_ZEROS)),
                                  "big")
        else:
            self._pending_tone = None
        ftw = word & _FTW_MASK
        pow_ = (word >> 48) & 0x3fff
        new = (ftw / self.ftw_per_hz, pow_ / (1 << 14))
        shown = self._shown
        if sim.dma_capture is not None:
            shown = shown_for_trace(sim, self, shown)  # all of it, in a recording
            if new != shown:  # record what changed: a waveform holds changes only
                if new[0] != shown[0]:
                    record_effect(sim, t, self._sig_freq, new[0])
                if new[1] != shown[1]:
                    record_effect(sim, t, self._sig_phase, new[1])
                self._shown = new
        elif new != shown:  # the same, record_effect inlined
            rec = sim.recorder
            if new[0] != shown[0]:
                rec._t.append(t)
                rec._s.append(self._sig_freq.id)
                rec._v.append(new[0])
            if new[1] != shown[1]:
                rec._t.append(t)
                rec._s.append(self._sig_phase.id)
                rec._v.append(new[1])
            self._shown = new

    def _profile_pins(self, profile, t):
        pass  # the AD9912 has no profiles

    def _store(self, addr, data, nbytes):
        """``nbytes`` bytes of ``data`` (MSB first) from ``addr`` downwards, as the chip
        takes an MSB-first transfer."""
        raw = (int(data) & ((1 << (8 * nbytes)) - 1)).to_bytes(nbytes, "big")
        self._pending.update(zip(range(addr, addr - nbytes, -1), raw))
        self._pending_tone = None

    # ---- register access

    @portable
    def write(self, addr, data, length):
        """Write ``length`` bytes of ``data`` to register ``addr`` (active at the next
        IO_UPDATE). Advances the timeline by the two SPI transfers (448 mu for a byte)."""
        if not 0 < length <= 4:
            raise AssertionError("AD9912 write length {} outside 1-4".format(length))
        self.bus._write_words(((SPI_CONFIG, 16, SPIT_DDS_WR),
                               (SPI_CONFIG | SPI_END, length * 8, SPIT_DDS_WR)))
        self._store(addr, data, length)

    @portable
    def read(self, addr, length):
        """``length`` bytes of the active register ``addr``; the CPU waits for the data.
        Advances the timeline by the two SPI transfers (4528 mu for four bytes)."""
        if not 0 < length <= 4:
            raise AssertionError("AD9912 read length {} outside 1-4".format(length))
        self.bus._xfer(SPI_CONFIG, 16, SPIT_DDS_WR)
        t = self.bus._xfer(SPI_CONFIG | SPI_END | SPI_INPUT, length * 8, SPIT_DDS_RD)
        self.bus._read_at(t)
        return _i32(self._word(self._regs, addr, length))

    @portable
    def init(self):
        """ARTIQ's initialization sequence and timing (about 1.06 ms)."""
        self._write_byte(_SER_CONF, 0x99)  # the serial port's mode
        if self.read(_PRODUCT_ID_HIGH, length=2) not in (0x1982, 0x1902):
            raise ValueError("Urukul AD9912 product id mismatch")
        self._tl.take_time(50 * _US)
        pll_bypassed = (~self.pll_en & 1) << 4
        self._write_byte(_POWER_DOWN, 0x80 | pll_bypassed)
        if self.pll_en:
            self._write_byte(_N_DIVIDER, self.pll_n // 2 - 2)
            doubler = 0b1000 if self.cpld.refclk < 11e6 else 0
            self._write_byte(_PLL_CONFIG, 0b0101 | doubler)
        self._tl.take_time(1 * _MS)

    def _write_byte(self, register, value):
        """One register byte, made active by a 2 µs IO_UPDATE pulse (``init``)."""
        self.write(register, value, length=1)
        self.io_update.pulse(2 * _US)

    # ---- frequency and phase (the CPLD share comes from UrukulChannel)

    @portable
    def set_mu(self, ftw, pow_=0):
        """Stream POW and FTW to the chip (1376 mu), then a 10 ns IO_UPDATE pulse at
        whose rising edge they take effect."""
        ftw = int(ftw)
        if not 0 <= ftw < 1 << 48 or ftw / self.ftw_per_hz > self._max_frequency:
            raise ValueError("{}: FTW {:#x} outside 0-{:g} Hz (0.4 x sysclk, 48 bits; "
                             "simulator check)".format(self._key, ftw, self._max_frequency))
        if not 0 <= pow_ <= 0xffff:
            raise ValueError("{}: POW {} outside 0-0xffff (simulator check)".format(
                self._key, pow_))
        self.bus._write_words(_SET_MU_WORDS)
        # _store(_POW_HIGH, POW and the FTW's top 16 bits, 4) then
        # _store(_FTW_LOW_WORD_HIGH, the FTW's low 32 bits, 4), as one 8-byte store
        word = (int(pow_) << 48) | ftw
        self._pending.update(zip(_TONE_ADDRS, word.to_bytes(8, "big")))
        self._pending_tone = word
        self.io_update.pulse_mu(self._io_update_mu)  # pulse(10 * _NS)

    @portable
    def get_mu(self):
        """(FTW, POW) read back from the chip; regains slack between the two reads with
        ``core.break_realtime()``, as ARTIQ does."""
        high = int(self.read(_POW_HIGH, 4)) & 0xffffffff
        self.core.break_realtime()
        low = int(self.read(_FTW_LOW_WORD_HIGH, 4)) & 0xffffffff
        ftw = ((high & 0xffff) << 32) | low
        return np.int64(ftw), np.int32((high >> 16) & 0x3fff)

    @portable
    def frequency_to_ftw(self, frequency):
        """The 48-bit frequency tuning word of ``frequency`` Hz, rounded to nearest."""
        return np.int64(round(self.ftw_per_hz * frequency)) & (_FTW_SCALE - 1)

    @portable
    def ftw_to_frequency(self, ftw):
        """The frequency, in Hz, of tuning word ``ftw``."""
        return ftw / self.ftw_per_hz

    @portable
    def turns_to_pow(self, phase):
        """The phase offset word of ``phase`` turns (14 bits a turn, 16 kept)."""
        # the low 16 bits of the int32 wrap are those of the integer itself
        pow_ = int(round((1 << 14) * phase)) & 0xffff
        value = _INT32_16BIT.get(pow_)  # _int32_16bit, its lookup inlined
        return value if value is not None else _int32_16bit(pow_)

    @portable
    def pow_to_turns(self, pow_):
        """The phase, in turns, of phase offset word ``pow_``."""
        return pow_ / (1 << 14)

    @portable
    def set(self, frequency, phase=0.0):
        """:meth:`set_mu` with ``frequency`` in Hz and ``phase`` in turns. Advances the
        timeline by the SPI writes and the IO_UPDATE pulse (1386 mu)."""
        if not 0.0 <= frequency <= self._max_frequency:
            raise ValueError("{}: frequency {} Hz outside 0-{:g} Hz (0.4 x sysclk; "
                             "simulator check)".format(self._key, frequency,
                                                       self._max_frequency))
        self.set_mu(self.frequency_to_ftw(frequency), self.turns_to_pow(phase))

    @portable
    def get(self):
        """(frequency in Hz, phase in turns) read back from the chip, as
        :meth:`get_mu`: two reads with ``core.break_realtime()`` between them."""
        ftw, pow_ = self.get_mu()
        return self.ftw_to_frequency(ftw), self.pow_to_turns(pow_)
