"""What the simulated AD9910 and AD9912 share: attachment to the CPLD, the RF switch,
recorded signals and the timing of an update (SPI words, then an IO_UPDATE pulse, at
which instant the new frequency, phase and amplitude take effect)."""
from control.lang import portable

# Frequencies a DDS channel can produce with a 1 GHz system clock (Nyquist, filters):
# beyond this the simulator refuses, the hardware would output an alias.
MAX_FREQUENCY = 400e6


class UrukulDds:
    def __init__(self, dmgr, chip_select, cpld_device, sw_device, _key):
        self.cpld = dmgr.get(cpld_device)
        self.core = self.cpld.core
        self.sim = self.core.sim
        self.tm = self.core.tm
        self.chip_select = chip_select
        self.channel_index = chip_select - 4
        self.sw = dmgr.get(sw_device) if sw_device else None
        self._key = _key or "urukul_ch{}".format(self.channel_index)
        sig = self.sim.signal
        self._freq = sig(self._key, "frequency", "real", init=0.0)
        self._phase = sig(self._key, "phase", "real", init=0.0)
        self._att = sig(self._key, "attenuation", "real", init=31.875)
        self._cfg_sw = sig(self._key, "cfg_sw", "bool", init=0)
        self.io_update = self.cpld.io_update
        self.cpld._attach(self.channel_index, self)

    def _check_frequency(self, frequency):
        if not 0.0 <= frequency <= MAX_FREQUENCY:
            raise ValueError("{}: frequency {} Hz is outside 0-{} Hz".format(
                self._key, frequency, MAX_FREQUENCY))

    def _align(self):
        # ARTIQ aligns DDS updates to the coarse RTIO clock: at_mu(now_mu() & ~7)
        self.tm.now &= ~(self.core.ref_multiplier - 1)

    def _io_update(self, delay_mu=0):
        """Pulse IO_UPDATE (8 mu); returns the instant the new values take effect."""
        self.tm.now += delay_mu
        t = self.tm.now
        if self.io_update is not None:
            self.io_update.pulse_mu(8)
        else:
            self.tm.now += 8
        return t

    def _record(self, t, frequency, turns, amplitude=None):
        saved = self.tm.now
        self.tm.now = t
        self.sim.output(self._freq, frequency)
        self.sim.output(self._phase, turns)
        if amplitude is not None:
            self.sim.output(self._amp, amplitude)
        self.tm.now = saved

    @portable
    def set_att_mu(self, att):
        self.cpld.set_att_mu(self.channel_index, att)

    @portable
    def set_att(self, att):
        self.cpld.set_att(self.channel_index, att)

    @portable
    def get_att_mu(self):
        return self.cpld.get_channel_att_mu(self.channel_index)

    @portable
    def get_att(self):
        return self.cpld.get_channel_att(self.channel_index)

    @portable
    def cfg_sw(self, state):
        self.cpld.cfg_sw(self.channel_index, state)
