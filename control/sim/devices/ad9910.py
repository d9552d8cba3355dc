"""Simulated ``artiq.coredevice.ad9910.AD9910``: one AD9910 DDS channel of an Urukul.

Same constructor, methods, defaults, constants, conversions and errors as ARTIQ's driver
(32-bit FTW with ``ftw_per_hz = 2**32 / sysclk``, 16-bit POW, 14-bit ASF;
``sysclk = refclk / [4, 1, 2, 4][clk_div] * pll_n`` with the PLL, ``refclk / ...``
without). The chip is a register model: SPI writes fill an I/O buffer that IO_UPDATE
(the board's TTL, or ``RegIOUpdate``) makes active, as on the AD9910 — so a write followed
by an IO_UPDATE from another channel's ``set_mu`` takes effect too. What the chip outputs
is recorded when it changes, at the IO_UPDATE rising edge (or at the CPLD latch of new
profile pins):

* ``frequency`` (Hz, of the FTW), ``phase`` (turns, of the POW), ``amplitude`` (0..1, of
  the ASF) — single-tone: the profile selected by the CPLD's PROFILE pins (7 unless
  ``set_profile``); amplitude from the profile when CFR2's ASF-from-profile bit is set
  (ARTIQ's ``init`` sets it), from the ASF register with OSK enabled, else full scale;
  0 when CFR1 powers down the digital core or DAC;
* ``attenuation`` and ``cfg_sw`` are recorded by the CPLD; the RF switch TTL
  (``sw_device``) is its own device. The output is on when the TTL or ``cfg_sw`` is.

The simulation starts with the chip as ARTIQ's ``init`` leaves it (every profile 0, ASF
from profiles, effective-FTW readback); ``init`` runs with ARTIQ's timing. Readback
(``get_mu``, ``read*``) returns the active registers. As on the chip, ``get_frequency``
reads the effective FTW (the profile's, in single tone) but ``get_phase``/``get_amplitude``
read the POW/ASF registers, which single-tone ``set`` never writes; ``set_frequency``/
``set_phase``/``set_amplitude`` write those registers without IO_UPDATE and do not change a
single-tone output (the simulator warns once). RAM playback and the digital ramp
generator are not simulated: in RAM mode the RAM destination keeps its last value (with a
warning). ``PHASE_MODE_ABSOLUTE``/``TRACKING`` are timed and computed as ARTIQ does (the
returned POW includes the tracking offset), but the recorded ``phase`` is the written POW
and the ion model treats it as a continuous-phase offset (the simulator warns once).

Timeline per method, with the default 8 mu coarse period (each SPI word is one RTIO
event through the slack model):

* ``write16`` 416 mu; ``write32``/``set_cfr1``/``set_cfr2``/``set_ftw``/``set_asf``/
  ``set_frequency``/``set_amplitude``/``set_sync`` 704 mu; ``set_pow``/``set_phase``
  416 mu; ``write64``/``set_profile_ram`` 1248 mu;
* ``read16`` 2352 mu, ``read32``/``get_ftw``/``get_asf``/``get_frequency``/
  ``get_amplitude`` 4400 mu, ``get_pow``/``get_phase`` 2352 mu, ``read64``/``get_mu``/
  ``get`` 8640 mu; the CPU waits for the data (slack is gone after a read);
* ``set_mu``/``set`` (continuous phase, profile write): align the cursor down to 8 mu,
  1248 mu of SPI, ``io_update_delay``, an 8 mu IO_UPDATE pulse (the new values are
  recorded at its rising edge, 1248 + ``io_update_delay`` mu after the aligned start),
  align down again: 1256 mu in all with ``io_update_delay = 0``. Absolute/tracking phase
  mode adds a 704 mu CFR1 write before the profile write and another after the pulse;
  with ``ram_destination`` the profile write is replaced by the FTW/ASF/POW register
  writes ARTIQ makes;
* ``write_ram(data)`` 176 + 536·len(data) mu; ``read_ram(data)`` 176 + 4232·len(data) mu
  (more than one word; the CPU waits for the words);
* ``init``: exact ARTIQ sequence — 50 ms, CFR1, 1 ms IO_UPDATE pulse, 1 ms, AUX_DAC read
  (not ``blind``) + 50 µs, CFR2, 1 ms pulse, CFR3, 1 µs pulse, CFR3, 1 ms pulse, PLL lock
  poll (the simulated PLL is locked at the first status read; ``blind``: 100 ms), 10 µs,
  SYNC tuning if ``sync_delay_seed >= 0``, 1 ms, CPLD configuration write — about 155 ms;
* ``power_down``: 704 mu + 1 µs pulse; ``clear_smp_err``: 2 × (704 mu + 1 µs) + 10 µs;
  ``tune_sync_delay``, ``measure_io_update_alignment``, ``tune_io_update_delay``: ARTIQ's
  sequences against a simulated chip that never sees SYNC errors and whose SYNC_CLK edge
  sits 1 mu into the 4-sysclk period (deterministic stand-ins, documented as such);
* attenuator, switch and profile methods: the CPLD's timing.

Checks: ARTIQ's — ``amplitude_to_asf`` raises ``ValueError("Invalid AD9910 fractional
amplitude!")`` outside [0, 1] (after rounding to the 14-bit code); PLL and clock
parameters raise ``AssertionError``; ``init`` raises ARTIQ's ``ValueError`` s for SYNC
misconfiguration. The simulator's own, ``ValueError``: a frequency outside 0 to
0.4 × sysclk (400 MHz at 1 GHz, the AD9910's usable output; ARTIQ converts any value and
the chip would output an alias), an FTW above that, an ASF outside 0–0x3fff, a profile
outside 0–7, an unknown RAM destination.
Fault (``sim.faults[key]``): ``stuck`` — the chip ignores IO_UPDATE (nothing changes,
readback stays at the start values).
"""
import logging

import numpy as np

from control.lang import portable
from control.sim.devices.dma import shown_for_trace
from control.sim.devices.rtio import record_effect
from control.sim.devices.spi import SPI_END, SPI_INPUT
from control.sim.devices.urukul import (DEFAULT_PROFILE, SPIT_DDS_RD, SPIT_DDS_WR,
                                        SPI_CONFIG, urukul_sta_pll_lock,
                                        urukul_sta_smp_err, UrukulChannel, _INT32_16BIT,
                                        _i32, _int32_16bit)

logger = logging.getLogger(__name__)

# How ``set_mu`` treats the phase: the accumulator runs on (continuous), is cleared at
# each IO_UPDATE (absolute), or is cleared and the POW offset by the phase the tone would
# have reached since ``ref_time_mu`` (tracking). -1: the channel's ``phase_mode``.
_PHASE_MODE_DEFAULT = -1
PHASE_MODE_CONTINUOUS, PHASE_MODE_ABSOLUTE, PHASE_MODE_TRACKING = range(3)

# Which parameter RAM playback drives (the POWASF words carry both), and how it plays.
RAM_DEST_FTW, RAM_DEST_POW, RAM_DEST_ASF, RAM_DEST_POWASF = range(4)
(RAM_MODE_DIRECTSWITCH, RAM_MODE_RAMPUP, RAM_MODE_BIDIR_RAMP, RAM_MODE_CONT_BIDIR_RAMP,
 RAM_MODE_CONT_RAMPUP) = range(5)

__all__ = ["AD9910"] + [name for name in list(globals())
                        if name.startswith(("PHASE_MODE_", "RAM_DEST_", "RAM_MODE_"))]

# The register map, by address (datasheet order): control registers 1-3, the auxiliary
# DAC, the I/O update rate; after two unused addresses the single-tone FTW, POW and ASF,
# multichip sync, the digital ramp's limits, step and rate; the eight profiles; the RAM.
_REG_CFR1, _REG_CFR2, _REG_CFR3, _REG_AUX_DAC, _REG_IO_UPDATE = range(0x00, 0x05)
(_REG_FTW, _REG_POW, _REG_ASF, _REG_SYNC, _REG_RAMP_LIMIT, _REG_RAMP_STEP, _REG_RAMP_RATE,
 _REG_PROFILE0) = range(0x07, 0x0f)
_REG_RAM = _REG_PROFILE0 + 8

# The profile ``set_profile_ram`` writes unless told otherwise.
_DEFAULT_PROFILE_RAM = 0

# The highest frequency the simulator accepts, as a fraction of sysclk (the AD9910 is
# specified to 400 MHz at 1 GSPS; above, the reconstruction filter and images take over).
MAX_FREQUENCY_FRACTION = 0.4
# Where the simulated SYNC_CLK rising edge sits in its period (mu), for the IO_UPDATE
# alignment tuning.
_SYNC_EDGE_MU = 1

# The PLL: the reference divider per CPLD ``clk_div``, and each ``pll_vco`` range (MHz).
_REFCLK_DIVIDER = (4, 1, 2, 4)
_VCO_RANGES_MHZ = ((370, 510), (420, 590), (500, 700), (600, 880), (700, 950), (820, 1150))

_MS = 1e-3
_US = 1e-6

# The SPI transfers of a register write: the instruction byte, then the data (one
# 16-bit transfer of both for write16). One ``SPIBus._write_words`` call submits them.
_WRITE16 = ((SPI_CONFIG | SPI_END, 24, SPIT_DDS_WR),)
_WRITE32 = ((SPI_CONFIG, 8, SPIT_DDS_WR), (SPI_CONFIG | SPI_END, 32, SPIT_DDS_WR))
_WRITE64 = ((SPI_CONFIG, 8, SPIT_DDS_WR), (SPI_CONFIG, 32, SPIT_DDS_WR),
            (SPI_CONFIG | SPI_END, 32, SPIT_DDS_WR))


def _sysclk(refclk, clk_div, pll_en, pll_n, pll_vco, pll_cp):
    """The DDS clock (Hz) from the board's reference and the PLL settings, which are
    checked as ARTIQ's driver checks them (``AssertionError``)."""
    reference = refclk / _REFCLK_DIVIDER[clk_div]
    if not pll_en:
        sysclk = reference
    else:
        sysclk = reference * pll_n
        _require(reference <= 60e6,
                 "AD9910 PLL reference {} Hz above 60 MHz".format(reference))
        _require(12 <= pll_n <= 127, "AD9910 pll_n {} outside 12-127".format(pll_n))
        _require(0 <= pll_vco <= 5, "AD9910 pll_vco {} outside 0-5".format(pll_vco))
        low, high = _VCO_RANGES_MHZ[pll_vco]
        _require(low <= sysclk / 1e6 <= high,
                 "AD9910 sysclk {} MHz outside VCO range {} ({}-{} MHz)".format(
                     sysclk / 1e6, pll_vco, low, high))
        _require(0 <= pll_cp <= 7, "AD9910 pll_cp {} outside 0-7".format(pll_cp))
    _require(sysclk <= 1e9, "AD9910 sysclk {} Hz above 1 GHz".format(sysclk))
    return sysclk


def _cfr3(pll_vco, pll_cp, pll_en, pll_n):
    """CFR3 as the driver writes it: the PLL's VCO range, charge pump current, enable
    and multiplier over the bits the driver always sets."""
    fixed = 0x0807c000
    return fixed | (pll_vco << 24) | (pll_cp << 19) | (pll_en << 8) | (pll_n << 1)


_CFR3_PFD_RESET = 1 << 10  # holds the PLL's phase-frequency detector in reset


class SyncDataUser:
    """SYNC tuning values written in the device database; nothing to read at ``init``."""

    def __init__(self, core, sync_delay_seed, io_update_delay):
        self.core = core
        self.sync_delay_seed, self.io_update_delay = sync_delay_seed, io_update_delay

    @portable
    def init(self):
        """Nothing to read: the values are the device database's. Does not advance the
        timeline."""
        return None


class SyncDataEeprom:
    """SYNC tuning values from the Urukul EEPROM (``"eeprom_device:offset"``). The
    simulated EEPROM is unprogrammed, so ``init`` yields what ARTIQ's driver makes of
    one: no SYNC tuning (seed -1) and no IO_UPDATE delay. The I2C read takes no time."""

    def __init__(self, dmgr, core, eeprom_str):
        self.core = core
        name, offset = eeprom_str.split(":")
        self.eeprom_device, self.eeprom_offset = name, int(offset)
        # until ``init`` reads the EEPROM
        self.sync_delay_seed = self.io_update_delay = 0

    @portable
    def init(self):
        """Read the (unprogrammed) EEPROM: no SYNC tuning, no IO_UPDATE delay. Does not
        advance the timeline."""
        self.sync_delay_seed, self.io_update_delay = np.int32(-1), np.int32(0)


class AD9910(UrukulChannel):
    """AD9910 DDS channel on Urukul (``artiq.coredevice.ad9910.AD9910``); see the module
    docstring for what is simulated and how the timeline advances.

    :param chip_select: 4-7 for one channel (3: the multi-channel select; its writes are
        kept on its own and recorded on its own key, MASK_NU is not simulated).
    :param cpld_device: name of the Urukul CPLD.
    :param sw_device: name of the RF switch TTLOut (the ``sw`` attribute).
    :param pll_n, pll_cp, pll_vco, pll_en: PLL settings (checked as ARTIQ does).
    :param sync_delay_seed, io_update_delay: SYNC tuning (numbers, or the same
        ``"eeprom_device:offset"`` string for both).
    """

    def __init__(self, dmgr, chip_select, cpld_device, sw_device=None, pll_n=40, pll_cp=7,
                 pll_vco=5, sync_delay_seed=-1, io_update_delay=0, pll_en=1, _key=None):
        self._join_board("AD9910", dmgr, chip_select, cpld_device, sw_device, 3,
                         ("pll_en", "pll_n", "pll_vco", "pll_cp", "ftw_per_hz",
                          "sysclk_per_mu", "sysclk", "sync_data"))
        self.pll_en, self.pll_n, self.pll_vco, self.pll_cp = pll_en, pll_n, pll_vco, pll_cp
        sysclk = _sysclk(self.cpld.refclk, self.cpld.clk_div, pll_en, pll_n, pll_vco, pll_cp)
        self.sysclk = sysclk
        self.ftw_per_hz = (1 << 32) / sysclk
        self.sysclk_per_mu = int(round(sysclk * self.core.ref_period))
        self.io_update = self._io_update_line()
        from_eeprom = isinstance(sync_delay_seed, str) or isinstance(io_update_delay, str)
        if not from_eeprom:
            self.sync_data = SyncDataUser(self.core, sync_delay_seed, io_update_delay)
        elif sync_delay_seed == io_update_delay:
            self.sync_data = SyncDataEeprom(dmgr, self.core, sync_delay_seed)
        else:
            raise ValueError("When using EEPROM, sync_delay_seed must be equal to "
                             "io_update_delay")
        self.phase_mode = PHASE_MODE_CONTINUOUS

        # ---- simulation
        self.sim = self.core.sim
        self._tl = self.sim.timeline
        self._key = _key if _key is not None else "ad9910_cs{}".format(chip_select)
        self._max_frequency = MAX_FREQUENCY_FRACTION * sysclk
        sig = self.sim.signal
        self._sig_freq = sig(self._key, "frequency", "real", init=0.0)
        self._sig_phase = sig(self._key, "phase", "real", init=0.0)
        self._sig_amp = sig(self._key, "amplitude", "real", init=0.0)
        # active registers, as ARTIQ's init leaves them; writes wait in _pending
        self._regs = {_REG_CFR1: 2,
                      _REG_CFR2: (1 << 24) | (1 << 16) | (1 << 5),
                      _REG_CFR3: _cfr3(pll_vco, pll_cp, pll_en, pll_n), _REG_AUX_DAC: 0x7f,
                      _REG_FTW: 0, _REG_POW: 0, _REG_ASF: 0,
                      _REG_SYNC: 0}
        for p in range(8):
            self._regs[_REG_PROFILE0 + p] = 0
        self._pending = {}
        self._ram = [0] * 1024
        self._pins = DEFAULT_PROFILE
        self._shown = (0.0, 0.0, 0.0)
        self._tones = {}  # (profile word, CFR1, CFR2, ASF) -> output (see _refresh)
        self._warned = set()
        if 4 <= chip_select <= 7:
            self.cpld._attach(chip_select - 4, self)
            self._pins = self.cpld._channel_profile(chip_select - 4)

    # ---- the chip

    def _warn_once(self, what, message):
        if what not in self._warned:
            self._warned.add(what)
            logger.warning("%s: %s", self._key, message)

    def _io_update(self, t):
        """IO_UPDATE rising edge at ``t``: the I/O buffer becomes active."""
        if not self._pending:
            return
        faults = self.sim.faults
        if faults and (faults.get(self._key) or {}).get("stuck"):
            self._pending.clear()  # a chip that ignores its updates
            return
        self._regs.update(self._pending)
        self._pending.clear()
        self._refresh(t)

    def _profile_pins(self, profile, t):
        """The CPLD latched new PROFILE pins for this channel at ``t``."""
        self._pins = profile
        self._refresh(t)

    def _refresh(self, t):
        """Record what the chip outputs now, if it changed."""
        regs = self._regs
        cfr1 = regs[_REG_CFR1]
        shown = self._shown
        if cfr1 & (1 << 31):
            dest = (cfr1 >> 29) & 3
            self._warn_once("ram", "RAM mode is not simulated: the RAM destination keeps "
                                   "its last value; the other parameters come from the "
                                   "FTW/POW/ASF registers")
            f = regs[_REG_FTW] / self.ftw_per_hz if dest != RAM_DEST_FTW \
                else shown[0]
            p = regs[_REG_POW] / 0x10000 \
                if dest not in (RAM_DEST_POW, RAM_DEST_POWASF) else shown[1]
            a = ((regs[_REG_ASF] >> 2) & 0x3fff) / float(0x3fff) \
                if dest not in (RAM_DEST_ASF, RAM_DEST_POWASF) else shown[2]
            if cfr1 & (0b11 << 6):  # digital core or DAC powered down
                a = 0.0
            new = (f, p, a)
        else:
            # single tone: a function of these registers alone, decoded once per value
            word = regs[_REG_PROFILE0 + self._pins]
            key = (word, cfr1, regs[_REG_CFR2], regs[_REG_ASF])
            new = self._tones.get(key)
            if new is None:
                if len(self._tones) >= 4096:
                    self._tones.clear()
                new = self._tones[key] = self._single_tone(word, cfr1, regs)
            f, p, a = new
        sim = self.sim
        if sim.dma_capture is not None:
            shown = shown_for_trace(sim, self, shown)  # all of it, in a recording
            if new != shown:
                if f != shown[0]:
                    record_effect(sim, t, self._sig_freq, f)
                if p != shown[1]:
                    record_effect(sim, t, self._sig_phase, p)
                if a != shown[2]:
                    record_effect(sim, t, self._sig_amp, a)
                self._shown = new
        elif new != shown:
            # record what changed (a waveform holds changes only): record_effect inlined
            rec = sim.recorder
            times, sids, values = rec._t, rec._s, rec._v
            if f != shown[0]:
                times.append(t)
                sids.append(self._sig_freq.id)
                values.append(f)
            if p != shown[1]:
                times.append(t)
                sids.append(self._sig_phase.id)
                values.append(p)
            if a != shown[2]:
                times.append(t)
                sids.append(self._sig_amp.id)
                values.append(a)
            self._shown = new

    def _single_tone(self, word, cfr1, regs):
        """(frequency, phase, amplitude) the chip outputs in single tone with profile
        word ``word`` and control register 1 ``cfr1``."""
        f = (word & 0xffffffff) / self.ftw_per_hz
        p = ((word >> 32) & 0xffff) / 0x10000
        if cfr1 & (1 << 9):  # OSK: the ASF register
            asf = (regs[_REG_ASF] >> 2) & 0x3fff
        elif regs[_REG_CFR2] & (1 << 24):
            asf = (word >> 48) & 0x3fff
        else:
            asf = 0x3fff
        a = asf / float(0x3fff)
        if cfr1 & (0b11 << 6):  # digital core or DAC powered down
            a = 0.0
        return (f, p, a)

    def _effective_ftw(self):
        regs = self._regs
        if regs[_REG_CFR2] & (1 << 16) and not regs[_REG_CFR1] & (1 << 31):
            return regs[_REG_PROFILE0 + self._pins] & 0xffffffff
        return regs[_REG_FTW]

    def _check_frequency(self, frequency):
        if not 0.0 <= frequency <= self._max_frequency:
            raise ValueError("{}: frequency {} Hz outside 0-{:g} Hz (0.4 x sysclk; "
                             "simulator check)".format(self._key, frequency,
                                                       self._max_frequency))

    # ---- register access (see the module docstring for timing)

    @portable
    def set_phase_mode(self, phase_mode):
        """The phase mode of later ``set_mu``/``set`` calls that give none. Does not
        advance the timeline."""
        self.phase_mode = phase_mode

    @portable
    def write16(self, addr, data):
        """Write 16 bits to register ``addr`` (active at the next IO_UPDATE). Advances the
        timeline by the SPI transfer (416 mu)."""
        self.bus._write_words(_WRITE16)
        self._pending[addr] = int(data) & 0xffff

    @portable
    def write32(self, addr, data):
        """Write 32 bits to register ``addr`` (active at the next IO_UPDATE). Advances the
        timeline by the SPI transfers (704 mu)."""
        self.bus._write_words(_WRITE32)
        self._pending[addr] = int(data) & 0xffffffff

    @portable
    def write64(self, addr, data_high, data_low):
        """Write 64 bits to register ``addr`` (active at the next IO_UPDATE). Advances the
        timeline by the SPI transfers (1248 mu)."""
        self.bus._write_words(_WRITE64)
        self._pending[addr] = ((int(data_high) & 0xffffffff) << 32) | \
            (int(data_low) & 0xffffffff)

    def _reg_value(self, addr):
        if addr == _REG_FTW:
            return self._effective_ftw()
        return self._regs.get(addr, 0)

    @portable
    def read16(self, addr):
        """16 bits of the active register ``addr``; the CPU waits for them. Advances the
        timeline by the SPI transfers (2352 mu)."""
        self.bus._xfer(SPI_CONFIG, 8, SPIT_DDS_WR)
        t = self.bus._xfer(SPI_CONFIG | SPI_END | SPI_INPUT, 16, SPIT_DDS_RD)
        self.bus._read_at(t)
        return np.int32(self._reg_value(addr) & 0xffff)

    @portable
    def read32(self, addr):
        """32 bits of the active register ``addr``; the CPU waits for them. Advances the
        timeline by the SPI transfers (4400 mu)."""
        self.bus._xfer(SPI_CONFIG, 8, SPIT_DDS_WR)
        t = self.bus._xfer(SPI_CONFIG | SPI_END | SPI_INPUT, 32, SPIT_DDS_RD)
        self.bus._read_at(t)
        return _i32(self._reg_value(addr))

    @portable
    def read64(self, addr):
        """64 bits of the active register ``addr``; the CPU waits for them. Advances the
        timeline by the SPI transfers (8640 mu)."""
        bus = self.bus
        bus._xfer(SPI_CONFIG, 8, SPIT_DDS_WR)
        t_hi = bus._xfer(SPI_CONFIG | SPI_INPUT, 32, SPIT_DDS_RD)
        t_lo = bus._xfer(SPI_CONFIG | SPI_END | SPI_INPUT, 32, SPIT_DDS_RD)
        bus._read_at(t_hi)
        bus._read_at(t_lo)
        value = self._reg_value(addr) & 0xffffffffffffffff
        return np.int64(value - (1 << 64) if value >> 63 else value)

    @portable
    def write_ram(self, data):
        """Write the 32-bit words ``data`` to the RAM (kept from address 0). Advances the
        timeline by the SPI transfers (176 + 536 mu a word)."""
        bus = self.bus
        bus._xfer(SPI_CONFIG, 8, SPIT_DDS_WR)
        bus.set_config_mu(SPI_CONFIG, 32, SPIT_DDS_WR, self.chip_select)
        for i in range(len(data) - 1):
            bus.write(data[i])
        bus.set_config_mu(SPI_CONFIG | SPI_END, 32, SPIT_DDS_WR, self.chip_select)
        bus.write(data[len(data) - 1])
        # RAM words are written directly (no IO_UPDATE); the simulated RAM keeps them
        # from address 0, whatever the profile's start address.
        self._ram[:len(data)] = [int(d) & 0xffffffff for d in data]

    @portable
    def read_ram(self, data):
        """Fill ``data`` with RAM words from address 0; the CPU waits for them. Advances
        the timeline by the SPI transfers (176 + 4232 mu a word)."""
        bus = self.bus
        bus._xfer(SPI_CONFIG, 8, SPIT_DDS_WR)
        n = len(data) - 1
        ends = []
        if n > 0:
            bus.set_config_mu(SPI_CONFIG | SPI_INPUT, 32, SPIT_DDS_RD, self.chip_select)
        for _ in range(n):
            bus.write(0)
            ends.append(self._tl.now)
        ends.append(bus._xfer(SPI_CONFIG | SPI_INPUT | SPI_END, 32, SPIT_DDS_RD))
        for t in ends:
            bus._read_at(t)
        for i in range(len(data)):
            data[i] = _i32(self._ram[i])

    @portable
    def set_cfr1(self, power_down=0b0000, phase_autoclear=0, drg_load_lrr=0,
                 drg_autoclear=0, phase_clear=0, internal_profile=0, ram_destination=0,
                 ram_enable=0, manual_osk_external=0, osk_enable=0, select_auto_osk=0):
        """Write CFR1 with these fields (active at the next IO_UPDATE). Advances the
        timeline by a 32-bit write (704 mu)."""
        self.write32(_REG_CFR1,
                     (ram_enable << 31) | (ram_destination << 29) |
                     (manual_osk_external << 23) | (internal_profile << 17) |
                     (drg_load_lrr << 15) | (drg_autoclear << 14) |
                     (phase_autoclear << 13) | (phase_clear << 11) | (osk_enable << 9) |
                     (select_auto_osk << 8) | (power_down << 4) | 2)

    @portable
    def set_cfr2(self, asf_profile_enable=1, drg_destination=0, drg_enable=0,
                 drg_nodwell_high=0, drg_nodwell_low=0, effective_ftw=1,
                 sync_validation_disable=0, matched_latency_enable=0):
        """Write CFR2 with these fields (active at the next IO_UPDATE). Advances the
        timeline by a 32-bit write (704 mu)."""
        self.write32(_REG_CFR2,
                     (asf_profile_enable << 24) | (drg_destination << 20) |
                     (drg_enable << 19) | (drg_nodwell_high << 18) |
                     (drg_nodwell_low << 17) | (effective_ftw << 16) |
                     (matched_latency_enable << 7) | (sync_validation_disable << 5))

    # ---- set-up

    @portable
    def init(self, blind=False, dds_channel_idx=0):
        """ARTIQ's initialization sequence and timing (about 155 ms; 254 ms blind); the
        simulated PLL locks at the first poll."""
        tl = self._tl
        sync = self.sync_data
        sync.init()
        if sync.sync_delay_seed >= 0:
            # SYNC tuning needs SYNC_IN from the CPLD and whole sysclk cycles per mu.
            if not self.cpld.sync_div:
                raise ValueError("parent CPLD does not drive SYNC")
            if self.sysclk_per_mu != self.sysclk * self.core.ref_period:
                raise ValueError("incorrect clock ratio for synchronization")
        tl.take_time(50 * _MS)
        # SPI mode (CFR1); the AUX DAC's reset value then shows an AD9910 answers.
        self.set_cfr1()
        self.io_update.pulse(1 * _MS)
        tl.take_time(1 * _MS)
        if not blind:
            if self.read32(_REG_AUX_DAC) & 0xff != 0x7f:
                raise ValueError("Urukul AD9910 AUX_DAC mismatch")
            tl.take_time(50 * _US)
        # Amplitude from the profiles, effective FTW readback, SYNC validation off.
        self.set_cfr2(sync_validation_disable=1)
        self.io_update.pulse(1 * _MS)
        self._start_pll(blind, self._status_bit(dds_channel_idx))
        tl.take_time(10 * _US)
        if sync.sync_delay_seed >= 0 and not blind and self.chip_select != 3:
            self.tune_sync_delay(sync.sync_delay_seed)
        tl.take_time(1 * _MS)
        self.cpld.cfg_write(self.cpld.cfg_reg)

    def _status_bit(self, dds_channel_idx):
        """This chip's bit in the CPLD's status nibbles (chip select 3: the channel
        ``dds_channel_idx`` names)."""
        return dds_channel_idx if self.chip_select == 3 else self.chip_select - 4

    def _start_pll(self, blind, status_bit):
        """CFR3 with the phase detector in reset; with the PLL on, CFR3 again to release
        it and the wait for lock: 100 ms when ``blind``, else the CPLD's PLL_LOCK bit
        polled every ms, for 100 ms at most."""
        tl = self._tl
        cfr3 = _cfr3(self.pll_vco, self.pll_cp, self.pll_en, self.pll_n)
        self.write32(_REG_CFR3, cfr3 | _CFR3_PFD_RESET)
        self.io_update.pulse(1 * _US)
        if not self.pll_en:
            return
        self.write32(_REG_CFR3, cfr3)
        self.io_update.pulse(1 * _MS)
        if blind:
            tl.take_time(100 * _MS)
            return
        for _poll in range(100):
            locked = (urukul_sta_pll_lock(self.cpld.sta_read()) >> status_bit) & 1
            tl.take_time(1 * _MS)
            if locked:
                return
        raise ValueError("PLL lock timeout")

    @portable
    def power_down(self, bits=0b1111):
        """Power down the parts of the chip ``bits`` names (CFR1) and pulse IO_UPDATE.
        Advances the timeline by the write and the pulse (704 mu + 1 µs)."""
        self.set_cfr1(power_down=bits)
        self.io_update.pulse(1 * _US)

    # ---- single tone

    @portable
    def set_mu(self, ftw=0, pow_=0, asf=0x3fff, phase_mode=_PHASE_MODE_DEFAULT,
               ref_time_mu=np.int64(-1), profile=DEFAULT_PROFILE, ram_destination=-1):
        """Write a single-tone profile (or the FTW/POW/ASF registers) and pulse
        IO_UPDATE; returns the POW written (with the phase-tracking offset)."""
        ftw = int(ftw) & 0xffffffff
        if isinstance(asf, np.integer):
            asf = int(asf)  # the same value; Python's int arithmetic is the faster
        if ftw / self.ftw_per_hz > self._max_frequency:
            raise ValueError("{}: FTW {:#x} is {} Hz, above {:g} Hz (0.4 x sysclk; "
                             "simulator check)".format(self._key, ftw, ftw / self.ftw_per_hz,
                                                       self._max_frequency))
        if not 0 <= asf <= 0x3fff:
            raise ValueError("{}: ASF {} outside 0-0x3fff (simulator check)".format(
                self._key, asf))
        if not 0 <= profile <= 7:
            raise ValueError("{}: profile {} outside 0-7 (simulator check)".format(
                self._key, profile))
        if ram_destination not in (-1, RAM_DEST_FTW, RAM_DEST_POW, RAM_DEST_ASF,
                                   RAM_DEST_POWASF):
            raise ValueError("{}: unknown RAM destination {} (simulator check)".format(
                self._key, ram_destination))
        tl = self._tl
        if ram_destination == -1 and phase_mode == _PHASE_MODE_DEFAULT and \
                self.phase_mode == PHASE_MODE_CONTINUOUS:
            # The common case (a single-tone profile, continuous phase): the steps below
            # without their branches
            tl.now &= ~7
            written = pow_
            pow_ = int(pow_)
            self.bus._write_words(_WRITE64)
            self._pending[_REG_PROFILE0 + profile] = \
                ((int((asf << 16) | (pow_ & 0xffff)) & 0xffffffff) << 32) | ftw
            tl.now += int(self.sync_data.io_update_delay)
            self.io_update.pulse_mu(8)
            tl.now &= ~7
            # np.int32(pow_) is the np.int32 given (turns_to_pow's) when it is one
            return written if type(written) is np.int32 else _int32_16bit(pow_)
        mode = self.phase_mode if phase_mode == _PHASE_MODE_DEFAULT else phase_mode
        clears_phase = mode != PHASE_MODE_CONTINUOUS
        tl.now &= ~7  # align to the coarse RTIO clock (SYNC_CLK)
        pow_ = int(pow_)
        if clears_phase:
            self._warn_once("phase_mode", "absolute/tracking phase mode: the recorded phase "
                                          "is the written POW, which the ion model treats "
                                          "as a continuous-phase offset")
            self.set_cfr1(phase_autoclear=1)  # the accumulator clears at IO_UPDATE
            if ref_time_mu < 0 and mode == PHASE_MODE_TRACKING:
                ref_time_mu = 0  # tracking without a reference: since time 0
            if ref_time_mu >= 0:
                pow_ = self._tracking_pow(pow_, ftw, ref_time_mu)
        if ram_destination == -1:
            # write64(_REG_PROFILE0 + profile, (asf << 16) | (pow_ & 0xffff), ftw), inlined
            self.bus._write_words(_WRITE64)
            self._pending[_REG_PROFILE0 + profile] = \
                ((int((asf << 16) | (pow_ & 0xffff)) & 0xffffffff) << 32) | ftw
        else:
            self._write_tone_registers(ram_destination, ftw, pow_, asf)
        tl.now += int(self.sync_data.io_update_delay)
        self.io_update.pulse_mu(8)  # the new values take effect at its rising edge
        tl.now &= ~7
        if clears_phase:
            self.set_cfr1()  # the next IO_UPDATE leaves the accumulator running
        return _int32_16bit(pow_)

    def _tracking_pow(self, pow_, ftw, ref_time_mu):
        """``pow_`` plus the phase a tone of ``ftw`` has gone through since
        ``ref_time_mu``, in the core device's 32-bit arithmetic: elapsed mu times FTW
        times sysclk cycles per mu, whose upper 16 bits are turns in POW units."""
        elapsed = int(_i32(int(_i32(self._tl.now)) - int(_i32(ref_time_mu))))
        turns = int(_i32(elapsed * int(_i32(ftw))))
        turns = int(_i32(turns * self.sysclk_per_mu))
        return int(_i32(pow_ + (turns >> 16)))

    def _write_tone_registers(self, ram_destination, ftw, pow_, asf):
        """With RAM playback driving ``ram_destination``, the tone's other parameters go
        to their own registers: FTW, then ASF, then POW."""
        ram_has_pow = ram_destination in (RAM_DEST_POW, RAM_DEST_POWASF)
        ram_has_asf = ram_destination in (RAM_DEST_ASF, RAM_DEST_POWASF)
        if ram_destination != RAM_DEST_FTW:
            self.set_ftw(ftw)
        if not ram_has_asf:
            self.set_asf(asf)
        if not ram_has_pow:
            self.set_pow(pow_)

    @portable
    def get_mu(self, profile=DEFAULT_PROFILE):
        """(FTW, POW, ASF) of a profile, read back over SPI (8640 mu; the CPU waits)."""
        data = int(self.read64(_REG_PROFILE0 + profile))
        return (_i32(data), np.int32((data >> 32) & 0xffff),
                np.int32((data >> 48) & 0x3fff))

    @portable
    def set_profile_ram(self, start, end, step=1, profile=_DEFAULT_PROFILE_RAM,
                        nodwell_high=0, zero_crossing=0, mode=1):
        """Write RAM profile ``profile`` (address range, step, mode; active at the next
        IO_UPDATE). Advances the timeline by a 64-bit write (1248 mu)."""
        hi = (step << 8) | (end >> 2)
        lo = ((end << 30) | (start << 14) | (nodwell_high << 5) | (zero_crossing << 3) |
              mode)
        self.write64(_REG_PROFILE0 + profile, hi, lo)

    @portable
    def set_ftw(self, ftw):
        """Write the FTW register, not a profile (active at the next IO_UPDATE). Advances
        the timeline by a 32-bit write (704 mu)."""
        self.write32(_REG_FTW, ftw)

    @portable
    def set_asf(self, asf):
        """Write the ASF register, not a profile (active at the next IO_UPDATE). Advances
        the timeline by a 32-bit write (704 mu)."""
        self.write32(_REG_ASF, asf << 2)

    @portable
    def set_pow(self, pow_):
        """Write the POW register, not a profile (active at the next IO_UPDATE). Advances
        the timeline by a 16-bit write (416 mu)."""
        self.write16(_REG_POW, pow_)

    @portable
    def get_ftw(self):
        """The effective FTW read back (a profile's in single tone); the CPU waits.
        Advances the timeline by a 32-bit read (4400 mu)."""
        return self.read32(_REG_FTW)

    @portable
    def get_asf(self):
        """The ASF register read back; the CPU waits. Advances the timeline by a 32-bit
        read (4400 mu)."""
        return np.int32(int(self.read32(_REG_ASF)) >> 2)

    @portable
    def get_pow(self):
        """The POW register read back; the CPU waits. Advances the timeline by a 16-bit
        read (2352 mu)."""
        return self.read16(_REG_POW)

    # ---- conversions (ARTIQ's)

    @portable
    def frequency_to_ftw(self, frequency):
        """The 32-bit frequency tuning word of ``frequency`` Hz, rounded to nearest."""
        return _i32(round(self.ftw_per_hz * frequency))

    @portable
    def ftw_to_frequency(self, ftw):
        """The frequency, in Hz, of tuning word ``ftw``."""
        return ftw / self.ftw_per_hz

    @portable
    def turns_to_pow(self, turns):
        """The 16-bit phase offset word of ``turns``."""
        # the low 16 bits of the int32 wrap are those of the integer itself
        pow_ = int(round(turns * 0x10000)) & 0xffff
        value = _INT32_16BIT.get(pow_)  # _int32_16bit, its lookup inlined
        return value if value is not None else _int32_16bit(pow_)

    @portable
    def pow_to_turns(self, pow_):
        """The phase, in turns, of phase offset word ``pow_``."""
        return pow_ / 0x10000

    @portable
    def amplitude_to_asf(self, amplitude):
        """The 14-bit amplitude scale factor of ``amplitude`` (0 to 1 of full scale)."""
        code = _i32(round(amplitude * 0x3fff))  # 14 bits, 0x3fff full scale
        if not 0 <= code <= 0x3fff:
            raise ValueError("Invalid AD9910 fractional amplitude!")
        return code

    @portable
    def asf_to_amplitude(self, asf):
        """The amplitude, as a fraction of full scale, of scale factor ``asf``."""
        return asf / float(0x3fff)

    @portable
    def frequency_to_ram(self, frequency, ram):
        """Fill ``ram`` with the RAM words of the frequencies ``frequency`` (Hz), for the
        FTW destination."""
        for i in range(len(ram)):
            ram[i] = self.frequency_to_ftw(frequency[i])

    @portable
    def turns_to_ram(self, turns, ram):
        """Fill ``ram`` with the RAM words of the phases ``turns``, for the POW
        destination."""
        for i in range(len(ram)):
            ram[i] = _i32(int(self.turns_to_pow(turns[i])) << 16)

    @portable
    def amplitude_to_ram(self, amplitude, ram):
        """Fill ``ram`` with the RAM words of the amplitudes ``amplitude``, for the ASF
        destination."""
        for i in range(len(ram)):
            ram[i] = _i32(int(self.amplitude_to_asf(amplitude[i])) << 18)

    @portable
    def turns_amplitude_to_ram(self, turns, amplitude, ram):
        """Fill ``ram`` with the RAM words of phase and amplitude pairs, for the POW and
        ASF destination."""
        for i in range(len(ram)):
            ram[i] = _i32((int(self.turns_to_pow(turns[i])) << 16) |
                          (int(self.amplitude_to_asf(amplitude[i])) << 2))

    # ---- the register (not profile) setters and getters

    def _warn_register(self):
        self._warn_once("register", "set_frequency/set_phase/set_amplitude write the "
                                    "FTW/POW/ASF registers without IO_UPDATE; a single-tone "
                                    "output (set, set_mu) does not use them")

    @portable
    def set_frequency(self, frequency):
        """Write the FTW register for ``frequency`` Hz, without IO_UPDATE (a single tone
        does not use it). Advances the timeline by a 32-bit write (704 mu)."""
        self._warn_register()
        self.set_ftw(self.frequency_to_ftw(frequency))

    @portable
    def set_amplitude(self, amplitude):
        """Write the ASF register for ``amplitude``, without IO_UPDATE (a single tone
        does not use it). Advances the timeline by a 32-bit write (704 mu)."""
        self._warn_register()
        self.set_asf(self.amplitude_to_asf(amplitude))

    @portable
    def set_phase(self, turns):
        """Write the POW register for ``turns``, without IO_UPDATE (a single tone does
        not use it). Advances the timeline by a 16-bit write (416 mu)."""
        self._warn_register()
        self.set_pow(self.turns_to_pow(turns))

    @portable
    def get_frequency(self):
        """The effective frequency read back, in Hz; the CPU waits. Advances the
        timeline by a 32-bit read (4400 mu)."""
        return self.ftw_to_frequency(self.get_ftw())

    @portable
    def get_amplitude(self):
        """The ASF register read back, as a fraction of full scale; the CPU waits.
        Advances the timeline by a 32-bit read (4400 mu)."""
        return self.asf_to_amplitude(self.get_asf())

    @portable
    def get_phase(self):
        """The POW register read back, in turns; the CPU waits. Advances the timeline by
        a 16-bit read (2352 mu)."""
        return self.pow_to_turns(self.get_pow())

    @portable
    def set(self, frequency=0.0, phase=0.0, amplitude=1.0, phase_mode=_PHASE_MODE_DEFAULT,
            ref_time_mu=np.int64(-1), profile=DEFAULT_PROFILE, ram_destination=-1):
        """Set a single-tone profile in SI units (see ``set_mu``); returns the phase
        written, in turns."""
        self._check_frequency(frequency)
        return self.pow_to_turns(self.set_mu(
            self.frequency_to_ftw(frequency), self.turns_to_pow(phase),
            self.amplitude_to_asf(amplitude), phase_mode, ref_time_mu, profile,
            ram_destination))

    @portable
    def get(self, profile=DEFAULT_PROFILE):
        """(frequency in Hz, phase in turns, amplitude) of ``profile``, read back; the
        CPU waits. Advances the timeline by a 64-bit read (8640 mu)."""
        ftw, pow_, asf = self.get_mu(profile)
        return (self.ftw_to_frequency(ftw), self.pow_to_turns(pow_),
                self.asf_to_amplitude(asf))

    # ---- the channel's share of the CPLD (beyond UrukulChannel's)

    @portable
    def cfg_osk(self, state):
        """Set this channel's OSK pin (rev. 9 only). Advances the timeline by one
        configuration write."""
        self.cpld.cfg_osk(self.chip_select - 4, state)

    @portable
    def cfg_drctl(self, state):
        """Set this channel's DRCTL pin (rev. 9 only). Advances the timeline by one
        configuration write."""
        self.cpld.cfg_drctl(self.chip_select - 4, state)

    @portable
    def cfg_drhold(self, state):
        """Set this channel's DRHOLD pin (rev. 9 only). Advances the timeline by one
        configuration write."""
        self.cpld.cfg_drhold(self.chip_select - 4, state)

    @portable
    def set_profile(self, profile):
        """Select ``profile`` on this channel's PROFILE pins (rev. 8: every channel's);
        the output changes when the register latches. Advances the timeline by one
        configuration write."""
        self.cpld.set_profile(self.chip_select - 4, profile)

    # ---- synchronization (deterministic stand-ins; see the module docstring)

    @portable
    def set_sync(self, in_delay, window, en_sync_gen=0):
        """Write the SYNC register: SYNC_IN delay, validation window, SYNC generator.
        Advances the timeline by a 32-bit write (704 mu)."""
        self.write32(_REG_SYNC,
                     (window << 28) | (1 << 27) | (en_sync_gen << 26) | (in_delay << 3))

    @portable
    def clear_smp_err(self):
        """Clear the SYNC sampling error: SYNC validation off, then on, each made active
        by a 1 µs IO_UPDATE pulse. Advances the timeline by 2 × (704 mu + 1 µs) + 10 µs."""
        self.set_cfr2(sync_validation_disable=1)
        self.io_update.pulse(1 * _US)
        self._tl.take_time(10 * _US)
        self.set_cfr2(sync_validation_disable=0)
        self.io_update.pulse(1 * _US)

    @portable
    def tune_sync_delay(self, search_seed=15, dds_channel_idx=0):
        """ARTIQ's search for a SYNC_IN delay and validation window; the simulated chip
        never reports a sampling error, so it widens the window until the delay span
        runs out and returns ``(search_seed, 5)``."""
        if not self.cpld.sync_div:
            raise ValueError("parent cpld does not drive SYNC")
        bit = self._status_bit(dds_channel_idx)
        # Delays tried around the seed per window (fewer as the window widens), the
        # window kept below the widest that worked, the narrowest acceptable.
        span, margin, narrowest = 13, 1, 0
        for window in range(16):
            valid = self._valid_sync_delay(search_seed, span - 2 * window, window, bit)
            if valid >= 0:
                search_seed = valid  # and try a wider window around it
                continue
            if window <= narrowest:
                break  # not even the narrowest window works
            backed_off = max(narrowest, window - 1 - margin)
            self._apply_sync(search_seed, backed_off)
            return search_seed, backed_off
        raise ValueError("no valid window/delay")

    def _apply_sync(self, in_delay, window):
        """SYNC_IN delay and validation window set, sampling errors cleared, 100 µs for
        the chip to sample SYNC_IN with them."""
        self.set_sync(in_delay, window)
        self.clear_smp_err()
        self._tl.take_time(100 * _US)

    def _valid_sync_delay(self, seed, tries, window, status_bit):
        """The first of ``tries`` delays around ``seed`` (seed, seed - 1, seed + 1,
        seed - 2, ...; those outside 0-31 skipped) at which the CPLD shows no sampling
        error for this chip, or -1."""
        for k in range(tries):
            offset = k >> 1 if k % 2 == 0 else -(k >> 1) - 1
            in_delay = seed + offset
            if not 0 <= in_delay <= 31:
                continue
            self._apply_sync(in_delay, window)
            errors = urukul_sta_smp_err(self.cpld.sta_read())
            self._tl.take_time(100 * _US)
            if not (errors >> status_bit) & 1:
                return in_delay
        return -1

    @portable
    def measure_io_update_alignment(self, delay_start, delay_stop):
        """ARTIQ's DRG measurement sequence and timing; the result comes from a
        simulated SYNC_CLK whose rising edge is ``_SYNC_EDGE_MU`` into each period."""
        tl = self._tl
        # A frequency ramp into the FTW, one step per SYNC_CLK cycle, without limits.
        self.set_cfr1(drg_load_lrr=1, drg_autoclear=1)
        self.set_cfr2(drg_enable=1)
        self.write64(_REG_RAMP_LIMIT, -1, 0)
        self.write32(_REG_RAMP_RATE, 0x00010000)
        self.write64(_REG_RAMP_STEP, -1, 0)
        coarse = (tl.now + 8) & ~7  # the next coarse RTIO cycle
        start, stop = coarse + delay_start, coarse + 0x1000 + delay_stop
        tl.now = start
        self.io_update.pulse_mu(16 - delay_start)  # the ramp starts
        self.set_cfr1()
        self.write64(_REG_RAMP_STEP, 0, 0)
        tl.now = stop
        self.io_update.pulse_mu(16 - delay_stop)  # the ramp stops
        self.read32(_REG_FTW)
        tl.take_time(100 * _US)
        self.set_cfr2(drg_enable=0)
        self.io_update.pulse_mu(8)
        period = 4 * self.sysclk_per_mu

        def sync_cycle(time_mu):  # the SYNC_CLK cycle an IO_UPDATE at time_mu lands in
            return -((_SYNC_EDGE_MU - time_mu) // period)
        steps = sync_cycle(stop) - sync_cycle(start) + 1
        return np.int32(steps & 1)

    @portable
    def tune_io_update_delay(self):
        """ARTIQ's scan for the IO_UPDATE delay farthest from the SYNC_CLK edge."""
        period = 4 * self.sysclk_per_mu  # one SYNC_CLK cycle, in mu
        repeat = 100

        def odd_cycles(start, stop):  # of ``repeat`` measurements
            return sum(int(self.measure_io_update_alignment(start, stop))
                       for _ in range(repeat))
        for i in range(period):
            if odd_cycles(i, i + 2):
                continue  # the edge is not certainly between i and i + 2
            left, right = odd_cycles(i, i + 1), odd_cycles(i + 1, i + 2)
            if left == right and left in (0, repeat):
                raise ValueError("no clear IO_UPDATE-SYNC_CLK alignment edge found")
            return (i + 1 + period // 2) & (period - 1)
        raise ValueError("no IO_UPDATE-SYNC_CLK alignment edge found")


def _require(condition, message):
    """ARTIQ checks the PLL and clock parameters with ``assert``."""
    if not condition:
        raise AssertionError(message)
