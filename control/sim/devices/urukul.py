"""Simulated ``artiq.coredevice.urukul.CPLD``: RF switches (``cfg_sw``) and the digital
step attenuators of the four channels.

Attenuator and switch changes are recorded on the DDS channel's own signals
(``attenuation``, ``cfg_sw``) — each DDS attaches itself to its CPLD — so the ion model and
the waveform see them per channel. SPI transactions advance the timeline as ARTIQ's driver
does (proto_rev 9: configuration writes are 24 + 28 bits; attenuators 32 bits at divider
6). ``att_to_mu`` raises ARTIQ's ``ValueError`` outside 0–31.5 dB.
"""
import numpy as np

from control.lang import portable
from control.sim.devices._spi import SPIT_ATT_WR, SPIT_CFG_WR, transaction_mu

__all__ = ["CPLD"]


class CPLD:
    kernel_invariants = {"refclk", "bus", "core", "io_update", "clk_div"}

    def __init__(self, dmgr, spi_device, io_update_device=None, dds_reset_device=None,
                 sync_device=None, sync_sel=0, clk_sel=0, clk_div=0, rf_sw=0,
                 refclk=125e6, att=0x00000000, sync_div=None, proto_rev=0x08,
                 core_device="core", _key=None):
        self.core = dmgr.get(core_device)
        self.sim = self.core.sim
        self.tm = self.core.tm
        self.refclk = refclk
        self.clk_div = clk_div
        self.proto_rev = proto_rev
        self._key = _key or "urukul_cpld"
        self.bus = None  # the SPI master is implied: transactions are timed here
        self.io_update = dmgr.get(io_update_device) if io_update_device else None
        self.att_reg = int(att) & 0xffffffff
        self.rf_sw = rf_sw
        self._channels = [None] * 4
        cfg_bits = [(24, SPIT_CFG_WR), (28, SPIT_CFG_WR)] if proto_rev >= 0x09 \
            else [(24, SPIT_CFG_WR)]
        self._cfg_mu = transaction_mu(self.core, cfg_bits)
        self._att_mu = transaction_mu(self.core, [(32, SPIT_ATT_WR)])

    def _attach(self, channel, dds):
        """Called by a DDS channel's constructor."""
        self._channels[channel] = dds

    # ---- configuration register

    @portable
    def cfg_write(self, cfg):
        self.tm.now += self._cfg_mu

    @portable
    def cfg_sw(self, channel, on):
        if not 0 <= channel < 4:
            raise ValueError("Urukul channel {} does not exist (0-3)".format(channel))
        if on:
            self.rf_sw |= 1 << channel
        else:
            self.rf_sw &= ~(1 << channel)
        dds = self._channels[channel]
        if dds is not None:
            self.sim.output(dds._cfg_sw, 1 if on else 0)
        self.cfg_write(self.rf_sw)

    @portable
    def cfg_switches(self, state):
        for channel in range(4):
            self.cfg_sw(channel, bool(state & (1 << channel)))

    @portable
    def init(self, blind=False):
        # ARTIQ: write the configuration, read the protocol revision back (a blocking
        # read) and wait 1 ms for the clock to settle.
        self.cfg_write(0)
        self.sim.wait_until(self.tm.now)
        self.tm.now += int(round(1e-3 / self.core.ref_period))

    # ---- attenuators

    @portable
    def att_to_mu(self, att):
        code = np.int32(255) - np.int32(round(att * 8))
        if code < 0 or code > 255:
            raise ValueError("Invalid urukul.CPLD attenuation!")
        return code

    @portable
    def mu_to_att(self, att_mu):
        return (255 - (att_mu & 0xff)) / 8

    @portable
    def set_all_att_mu(self, att_reg):
        att_reg = int(att_reg) & 0xffffffff
        self.att_reg = att_reg
        for channel in range(4):
            dds = self._channels[channel]
            if dds is not None:
                self.sim.output(dds._att, self.mu_to_att((att_reg >> (channel * 8)) & 0xff))
        self.tm.now += self._att_mu

    @portable
    def set_att_mu(self, channel, att):
        if not 0 <= channel < 4:
            raise ValueError("Urukul channel {} does not exist (0-3)".format(channel))
        a = self.att_reg & ~(0xff << (channel * 8)) & 0xffffffff
        a |= (int(att) & 0xff) << (channel * 8)
        self.set_all_att_mu(a)

    @portable
    def set_att(self, channel, att):
        self.set_att_mu(channel, self.att_to_mu(att))

    @portable
    def get_att_mu(self):
        self.sim.wait_until(self.tm.now + self._att_mu)
        self.tm.now += self._att_mu
        return np.int32(np.uint32(self.att_reg).astype(np.int32))

    @portable
    def get_channel_att_mu(self, channel):
        return np.int32((int(self.get_att_mu()) >> (channel * 8)) & 0xff)

    @portable
    def get_channel_att(self, channel):
        return self.mu_to_att(self.get_channel_att_mu(channel))

    @portable
    def set_profile(self, channel, profile=7):
        self.cfg_write(0)

    @portable
    def set_sync_div(self, div):
        pass
