"""Simulated ``artiq.coredevice.ad9912.AD9912``.

As ARTIQ's driver: 48-bit FTW at ``sysclk = refclk / [1, 1, 2, 4][clk_div] * pll_n``,
14-bit POW, no amplitude control (the Urukul attenuator sets the power). ``set_mu`` takes
the hardware's timeline: a streamed 16 + 32 + 32-bit SPI write at divider 2 (1384 mu with
an 8 mu coarse period) then a 10 ns IO_UPDATE pulse, when the new frequency and phase are
recorded. Simulator-only check: a frequency outside 0–400 MHz raises ``ValueError``.
"""
import numpy as np

from control.lang import portable
from control.sim.devices._spi import SPIT_DDS_WR, transaction_mu
from control.sim.devices._urukul_dds import UrukulDds

__all__ = ["AD9912"]


class AD9912(UrukulDds):
    kernel_invariants = {"chip_select", "cpld", "core", "bus", "ftw_per_hz", "sw"}

    def __init__(self, dmgr, chip_select, cpld_device, sw_device=None, pll_n=10, pll_en=1,
                 _key=None, **ignored):
        super().__init__(dmgr, chip_select, cpld_device, sw_device, _key)
        if not 4 <= chip_select <= 7:
            raise ValueError("AD9912 chip_select must be 4-7, not {}".format(chip_select))
        sysclk = self.cpld.refclk / [1, 1, 2, 4][self.cpld.clk_div]
        if pll_en:
            sysclk *= pll_n
        self.sysclk = sysclk
        self.ftw_per_hz = 1 / sysclk * (np.int64(1) << 48)
        self.bus = None
        self._ftw = np.int64(0)
        self._pow = np.int32(0)
        self._set_mu_mu = transaction_mu(self.core, [(16, SPIT_DDS_WR), (32, SPIT_DDS_WR),
                                                     (32, SPIT_DDS_WR)])

    @portable
    def frequency_to_ftw(self, frequency):
        return np.int64(round(self.ftw_per_hz * frequency)) & ((np.int64(1) << 48) - 1)

    @portable
    def ftw_to_frequency(self, ftw):
        return ftw / self.ftw_per_hz

    @portable
    def turns_to_pow(self, phase):
        return np.int32(round((1 << 14) * phase)) & 0xffff

    @portable
    def pow_to_turns(self, pow_):
        return pow_ / (1 << 14)

    @portable
    def init(self):
        # ARTIQ: read the chip ID (blocking), write the PLL and power-down registers,
        # wait for the PLL: modelled as three writes and 1 ms.
        self.sim.wait_until(self.tm.now)
        self.tm.now += 3 * transaction_mu(self.core, [(16, SPIT_DDS_WR), (8, SPIT_DDS_WR)])
        self.tm.now += int(round(1e-3 / self.core.ref_period))

    @portable
    def set_mu(self, ftw, pow_=0):
        frequency = self.ftw_to_frequency(ftw)
        self._check_frequency(frequency)
        self.tm.now += self._set_mu_mu
        if self.sim.faults.get(self._key, {}).get("stuck"):
            self.tm.now += 10
            return  # a chip that ignores writes: nothing changes
        self._ftw = np.int64(ftw)
        self._pow = np.int32(pow_ & 0x3fff)
        t = self.tm.now
        if self.io_update is not None:
            self.io_update.pulse_mu(10)
        else:
            self.tm.now += 10
        self._record(t, frequency, self.pow_to_turns(self._pow))

    @portable
    def set(self, frequency, phase=0.0):
        self._check_frequency(frequency)
        self.set_mu(self.frequency_to_ftw(frequency), self.turns_to_pow(phase))

    @portable
    def get_mu(self):
        self.tm.now += 2 * self._set_mu_mu
        self.sim.wait_until(self.tm.now)
        return self._ftw, self._pow

    @portable
    def get(self):
        ftw, pow_ = self.get_mu()
        return self.ftw_to_frequency(ftw), self.pow_to_turns(pow_)
