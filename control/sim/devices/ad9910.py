"""Simulated ``artiq.coredevice.ad9910.AD9910`` (single-tone profiles).

Conversions and quantization as ARTIQ's driver: 32-bit FTW at ``sysclk = refclk /
[4, 1, 2, 4][clk_div] * pll_n`` (1 GHz with the usual 125 MHz / 4 × 32... as configured),
16-bit POW, 14-bit ASF; ``amplitude_to_asf`` raises ARTIQ's ``ValueError`` outside [0, 1].
``set_mu`` takes the same timeline as the hardware: align to the coarse clock, a 64-bit
profile write over SPI (8 + 32 + 32 bits at divider 2: 1248 mu with an 8 mu coarse
period), ``io_update_delay``, an 8 mu IO_UPDATE pulse, align again. The frequency, phase
and amplitude events are recorded at the IO_UPDATE, when the chip applies them.
Simulator-only check: a frequency outside 0–400 MHz raises ``ValueError``. Only the
continuous phase mode is simulated (the default); RAM modes are not.
"""
import numpy as np

from control.lang import portable
from control.sim.devices._spi import SPIT_DDS_WR, transaction_mu
from control.sim.devices._urukul_dds import UrukulDds

__all__ = ["AD9910", "PHASE_MODE_CONTINUOUS", "PHASE_MODE_ABSOLUTE",
           "PHASE_MODE_TRACKING", "DEFAULT_PROFILE"]

PHASE_MODE_DEFAULT = -1
PHASE_MODE_CONTINUOUS = 0
PHASE_MODE_ABSOLUTE = 1
PHASE_MODE_TRACKING = 2
DEFAULT_PROFILE = 7


class AD9910(UrukulDds):
    kernel_invariants = {"chip_select", "cpld", "core", "bus", "ftw_per_hz",
                         "sysclk_per_mu", "sysclk", "sw"}

    def __init__(self, dmgr, chip_select, cpld_device, sw_device=None, pll_n=40, pll_cp=7,
                 pll_vco=5, sync_delay_seed=-1, io_update_delay=0, pll_en=1, _key=None,
                 **ignored):
        super().__init__(dmgr, chip_select, cpld_device, sw_device, _key)
        if not 4 <= chip_select <= 7:
            raise ValueError("AD9910 chip_select must be 4-7, not {}".format(chip_select))
        clk = self.cpld.refclk / [4, 1, 2, 4][self.cpld.clk_div]
        self.sysclk = clk * pll_n if pll_en else clk
        if pll_en and not 12 <= pll_n <= 127:
            raise ValueError("Invalid AD9910 PLL multiplication")
        self.ftw_per_hz = (1 << 32) / self.sysclk
        self.sysclk_per_mu = int(round(self.sysclk * self.core.ref_period))
        self.io_update_delay = io_update_delay
        self.phase_mode = PHASE_MODE_CONTINUOUS
        self.bus = None
        self._amp = self.sim.signal(self._key, "amplitude", "real", init=0.0)
        self._profile = [(0, 0, 0)] * 8
        self._write64_mu = transaction_mu(self.core, [(8, SPIT_DDS_WR), (32, SPIT_DDS_WR),
                                                      (32, SPIT_DDS_WR)])

    # ---- conversions (ARTIQ's)

    @portable
    def frequency_to_ftw(self, frequency):
        return np.int32(round(self.ftw_per_hz * frequency))

    @portable
    def ftw_to_frequency(self, ftw):
        return (int(ftw) & 0xffffffff) / self.ftw_per_hz

    @portable
    def turns_to_pow(self, turns):
        return np.int32(round(turns * 0x10000)) & np.int32(0xffff)

    @portable
    def pow_to_turns(self, pow_):
        return pow_ / 0x10000

    @portable
    def amplitude_to_asf(self, amplitude):
        code = np.int32(round(amplitude * 0x3fff))
        if code < 0 or code > 0x3fff:
            raise ValueError("Invalid AD9910 fractional amplitude!")
        return code

    @portable
    def asf_to_amplitude(self, asf):
        return asf / float(0x3fff)

    # ---- set-up

    @portable
    def init(self, blind=False, dds_channel_idx=0):
        # ARTIQ's init writes CFR1/CFR2/CFR3, waits for the PLL to lock (polling, about
        # 1 ms) and synchronizes: modelled as the register writes plus 1 ms.
        self.tm.now += 3 * transaction_mu(self.core, [(8, SPIT_DDS_WR), (32, SPIT_DDS_WR)])
        self.sim.wait_until(self.tm.now)
        self.tm.now += int(round(1e-3 / self.core.ref_period))

    @portable
    def set_phase_mode(self, phase_mode):
        if phase_mode != PHASE_MODE_CONTINUOUS:
            raise NotImplementedError("the simulated AD9910 models the continuous phase "
                                      "mode only")
        self.phase_mode = phase_mode

    # ---- single tone

    @portable
    def set_mu(self, ftw=0, pow_=0, asf=0x3fff, phase_mode=PHASE_MODE_DEFAULT,
               ref_time_mu=np.int64(-1), profile=DEFAULT_PROFILE, ram_destination=-1):
        if phase_mode not in (PHASE_MODE_DEFAULT, PHASE_MODE_CONTINUOUS):
            raise NotImplementedError("the simulated AD9910 models the continuous phase "
                                      "mode only")
        if not 0 <= asf <= 0x3fff:
            raise ValueError("{}: ASF {} outside 0-0x3fff".format(self._key, asf))
        frequency = self.ftw_to_frequency(ftw)
        self._check_frequency(frequency)
        self._align()
        self.tm.now += self._write64_mu
        if self.sim.faults.get(self._key, {}).get("stuck"):
            self.tm.now += 8
            return np.int32(pow_)  # a chip that ignores writes: nothing changes
        self._profile[profile] = (int(ftw), int(pow_) & 0xffff, int(asf))
        t = self._io_update(int(self.io_update_delay))
        self._align()
        if profile == DEFAULT_PROFILE:
            self._record(t, frequency, self.pow_to_turns(int(pow_) & 0xffff),
                         self.asf_to_amplitude(asf))
        return np.int32(pow_)

    @portable
    def set(self, frequency=0.0, phase=0.0, amplitude=1.0, phase_mode=PHASE_MODE_DEFAULT,
            ref_time_mu=np.int64(-1), profile=DEFAULT_PROFILE, ram_destination=-1):
        self._check_frequency(frequency)
        return self.pow_to_turns(self.set_mu(
            self.frequency_to_ftw(frequency), self.turns_to_pow(phase),
            self.amplitude_to_asf(amplitude), phase_mode, ref_time_mu, profile,
            ram_destination))

    @portable
    def get_mu(self, profile=DEFAULT_PROFILE):
        """Read the profile back (SPI read: the CPU waits for it)."""
        self.tm.now += self._write64_mu
        self.sim.wait_until(self.tm.now)
        ftw, pow_, asf = self._profile[profile]
        return np.int32(ftw), np.int32(pow_), np.int32(asf)

    @portable
    def get(self, profile=DEFAULT_PROFILE):
        ftw, pow_, asf = self.get_mu(profile)
        return self.ftw_to_frequency(ftw), self.pow_to_turns(pow_), self.asf_to_amplitude(asf)

    @portable
    def get_frequency(self):
        return self.get()[0]

    @portable
    def get_phase(self):
        return self.get()[1]

    @portable
    def get_amplitude(self):
        return self.get()[2]

    @portable
    def set_frequency(self, frequency):
        ftw, pow_, asf = self._profile[DEFAULT_PROFILE]
        self.set_mu(self.frequency_to_ftw(frequency), pow_, asf)

    @portable
    def set_phase(self, turns):
        ftw, pow_, asf = self._profile[DEFAULT_PROFILE]
        self.set_mu(ftw, self.turns_to_pow(turns), asf)

    @portable
    def set_amplitude(self, amplitude):
        ftw, pow_, asf = self._profile[DEFAULT_PROFILE]
        self.set_mu(ftw, pow_, self.amplitude_to_asf(amplitude))
