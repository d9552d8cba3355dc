"""Simulated ``artiq.coredevice.urukul``: the Urukul CPLD (configuration register, RF
switches, profile pins, IO_UPDATE, digital step attenuators).

Same constructor, methods, constants, conversions and errors as ARTIQ's driver, for CPLD
protocol revisions 8 and 9 (default 9, as ARTIQ). The board's SPI bus is
``CPLD.bus``, a :class:`~control.sim.devices.spi.SPIBus` (the timing twin of
``artiq.coredevice.spi2.SPIMaster``, see :mod:`control.sim.devices.spi`): the
``spi_device`` entry itself is not built, as the CPLD and its DDS channels are its only
users. Every SPI word goes through the slack model (an SPI-heavy sequence can underflow,
as on hardware) and is not recorded.

Timeline per method, with the default 8 mu coarse period (``P9``/``P8``: protocol rev.):

* ``cfg_write`` and everything that writes the configuration (``cfg_sw``,
  ``cfg_switches``, ``set_profile``, ``cfg_*``): 896 mu (P9: 24 + 28 bits at div 2),
  416 mu (P8: 24 bits);
* ``sta_read``: 4144 mu (P9), 3216 mu (P8), CPU waits for the data;
* ``set_all_att_mu``/``set_att_mu``/``set_att``: 1600 mu (32 bits at div 6);
* ``get_att_mu``/``get_channel_att_mu``/``get_channel_att``: 15840 mu (a 32-bit read at
  div 16, 10 µs, a 32-bit write back), CPU waits for the data;
* ``io_rst``: two configuration writes; ``init``: 1 µs + status read (or a configuration
  write when ``blind``) + 100 µs + a configuration write (+ SYNC alignment) + 1 ms,
  exact — the status read always matches the protocol revision;
* ``mu_to_att``, ``att_to_mu``, ``set_sync_div`` (one event on the SYNC clock
  generator): no advance.

Effects are recorded when the hardware makes them: the configuration register and the
attenuators latch at the end of their SPI transaction. Switch and attenuator changes are
recorded on the DDS channel's own signals, ``cfg_sw`` (bool) and ``attenuation`` (real,
dB, ``mu_to_att`` of the latched byte), found from the device database (or when a DDS
channel attaches), so they are recorded even for a channel whose driver was never built.
With proto_rev 9 only channels whose ATT_EN bit is set latch a new attenuation. Profile
pin changes reach the channel's AD9910 at once; IO_UPDATE (the TTL, or the configuration
bit through ``RegIOUpdate``) reaches every DDS channel of the board, as it is wired.

Checks: ARTIQ's — ``att_to_mu`` raises ``ValueError("Invalid urukul.CPLD attenuation!")``
outside its 8-bit code, an unsupported ``proto_rev`` raises ``ValueError``, invalid
``clk_div``/``sync_div`` raise ``AssertionError``, SPI lengths and dividers raise
``ValueError``; the simulator's own — an attenuation outside 0–31.5 dB (the attenuators'
range), an 8-bit attenuation code outside 0–255, a channel outside 0–3, a profile
outside 0–7 each raise ``ValueError``.
"""
import numpy as np

from control.lang import portable
from control.sim.devices.rtio import record_effect
from control.sim.devices.spi import SPI_CS_POLARITY, SPI_END, SPI_INPUT, SPIBus, bus_channel
from control.sim.devices.ttl import _TTLBase

__all__ = ["CPLD", "UrukulChannel", "RegIOUpdate", "ProtoRev8", "ProtoRev9", "DEFAULT_PROFILE",
           "urukul_sta_rf_sw", "urukul_sta_smp_err", "urukul_sta_pll_lock",
           "urukul_sta_ifc_mode", "urukul_sta_proto_rev", "urukul_sta_drover"]

# The Urukul's SPI configuration: chip selects active high, every other flag clear.
SPI_CONFIG = SPI_CS_POLARITY

# SPI clock dividers (write, read) per target: the CPLD's own registers, the attenuators'
# shift register (30 MHz at most), the DDS chips.
SPIT_CFG_WR, SPIT_CFG_RD = 2, 16
SPIT_ATT_WR, SPIT_ATT_RD = 6, 16
SPIT_DDS_WR, SPIT_DDS_RD = 2, 16

# Decoded chip selects: the configuration register, the attenuators, the DDS chips
# together (through MASK_NU), then DDS channel 0 to 3.
CS_CFG, CS_ATT, CS_DDS_MULTI, CS_DDS_CH0, CS_DDS_CH1, CS_DDS_CH2, CS_DDS_CH3 = range(1, 8)

# The configuration register starts, in both protocol revisions, with a nibble of RF
# switches, a nibble of LEDs and the profile pins; each revision lays out the rest
# (ProtoRev8, ProtoRev9).
CFG_RF_SW, CFG_LED, CFG_PROFILE = 0, 4, 8

# The status register: a nibble (one bit per channel) for each of the RF switches,
# sampling errors, PLL locks and interface mode, then 7 bits of protocol revision; the
# over-range flags from bit 23.
STA_RF_SW, STA_SMP_ERR, STA_PLL_LOCK, STA_IFC_MODE, STA_PROTO_REV = range(0, 20, 4)
STA_DROVER = 23

# The CPLD protocol revisions the driver (and the simulation) know.
STA_PROTO_REV_8, STA_PROTO_REV_9 = 8, 9

# The profile the CPLD selects from the start, and the one single-tone sets write unless
# told otherwise.
DEFAULT_PROFILE = 7

_MS = 1e-3
_US = 1e-6


def _status_field(name, offset, bits):
    """The ``urukul_sta_*`` reader of a ``bits``-wide field at ``offset``."""
    mask = (1 << bits) - 1

    def field(sta):
        return (sta >> offset) & mask
    field.__name__ = field.__qualname__ = name
    field.__doc__ = "Bits {}-{} of a status register value ({}).".format(
        offset, offset + bits - 1, name[len("urukul_sta_"):])
    return portable(field)


urukul_sta_rf_sw = _status_field("urukul_sta_rf_sw", STA_RF_SW, 4)
urukul_sta_smp_err = _status_field("urukul_sta_smp_err", STA_SMP_ERR, 4)
urukul_sta_pll_lock = _status_field("urukul_sta_pll_lock", STA_PLL_LOCK, 4)
urukul_sta_ifc_mode = _status_field("urukul_sta_ifc_mode", STA_IFC_MODE, 4)
urukul_sta_proto_rev = _status_field("urukul_sta_proto_rev", STA_PROTO_REV, 7)
urukul_sta_drover = _status_field("urukul_sta_drover", STA_DROVER, 4)


def _set_bit(word, bit, on):
    """``word`` with bit ``bit`` set (``on``) or cleared."""
    mask = 1 << bit
    return word | mask if on else word & ~mask


def _set_nibble(word, offset, value):
    """``word`` with its four bits from ``offset`` replaced by ``value``'s low four."""
    return (word & ~(0xf << offset)) | ((value & 0xf) << offset)


def _bits(fields, offsets):
    """OR of ``value << offset`` over the named fields."""
    word = 0
    for name, value in fields.items():
        word |= int(value) << offsets[name]
    return word


class ProtoRev8:
    """Configuration register layout of CPLD protocol revision 8 (24 bits): after the
    common fields, one IO_UPDATE bit for the board, the MASK_NU nibble, the clock and
    reset bits."""
    (CFG_IO_UPDATE, CFG_MASK_NU, CFG_CLK_SEL0, CFG_SYNC_SEL, CFG_RST, CFG_IO_RST,
     CFG_CLK_SEL1, CFG_CLK_DIV) = 12, 13, 17, 18, 19, 20, 21, 22

    def __init__(self, cpld):
        self.cpld = cpld

    @staticmethod
    @portable
    def urukul_cfg(rf_sw, led, profile, io_update, mask_nu, clk_sel, sync_sel, rst, io_rst,
                   clk_div):
        """The rev. 8 configuration word of these field values."""
        c = ProtoRev8
        return _bits({"rf": rf_sw, "led": led, "prof": profile, "iou": io_update,
                      "nu": mask_nu, "cs0": clk_sel & 1, "cs1": (clk_sel >> 1) & 1,
                      "sync": sync_sel, "rst": rst, "iorst": io_rst, "div": clk_div},
                     {"rf": CFG_RF_SW, "led": CFG_LED, "prof": CFG_PROFILE,
                      "iou": c.CFG_IO_UPDATE, "nu": c.CFG_MASK_NU, "cs0": c.CFG_CLK_SEL0,
                      "cs1": c.CFG_CLK_SEL1, "sync": c.CFG_SYNC_SEL, "rst": c.CFG_RST,
                      "iorst": c.CFG_IO_RST, "div": c.CFG_CLK_DIV})


class ProtoRev9:
    """Configuration register layout of CPLD protocol revision 9 (52 bits): after the
    common fields (three profile bits per channel), a nibble per channel each of OSK,
    DRCTL, DRHOLD, IO_UPDATE and MASK_NU, the clock and reset bits, the ATT_EN nibble."""
    CFG_OSK, CFG_DRCTL, CFG_DRHOLD, CFG_IO_UPDATE, CFG_MASK_NU = range(20, 40, 4)
    (CFG_CLK_SEL0, CFG_SYNC_SEL, CFG_RST, CFG_IO_RST, CFG_CLK_SEL1, CFG_CLK_DIV,
     CFG_ATT_EN) = 40, 41, 42, 43, 44, 45, 47

    def __init__(self, cpld):
        self.cpld = cpld

    @staticmethod
    @portable
    def urukul_cfg(rf_sw, led, profile, osk, drctl, drhold, io_update, mask_nu, clk_sel,
                   sync_sel, rst, io_rst, clk_div, att_en):
        """The rev. 9 configuration word of these field values (``profile``: three bits
        per channel; ``osk`` to ``att_en``: a nibble, one bit per channel)."""
        c = ProtoRev9
        return _bits({"rf": rf_sw, "led": led, "prof": profile, "osk": osk, "drctl": drctl,
                      "drhold": drhold, "iou": io_update, "nu": mask_nu,
                      "cs0": clk_sel & 1, "cs1": (clk_sel >> 1) & 1, "sync": sync_sel,
                      "rst": rst, "iorst": io_rst, "div": clk_div, "att": att_en},
                     {"rf": CFG_RF_SW, "led": CFG_LED, "prof": CFG_PROFILE,
                      "osk": c.CFG_OSK, "drctl": c.CFG_DRCTL, "drhold": c.CFG_DRHOLD,
                      "iou": c.CFG_IO_UPDATE, "nu": c.CFG_MASK_NU, "cs0": c.CFG_CLK_SEL0,
                      "cs1": c.CFG_CLK_SEL1, "sync": c.CFG_SYNC_SEL, "rst": c.CFG_RST,
                      "iorst": c.CFG_IO_RST, "div": c.CFG_CLK_DIV, "att": c.CFG_ATT_EN})


def _initial_configuration(proto_rev, rf_sw, clk_sel, sync_sel, clk_div):
    """The layout class of ``proto_rev`` and the configuration word the driver starts
    from: every channel on the default profile, nothing pulsed or reset (rev. 9: every
    attenuator enabled)."""
    if proto_rev == STA_PROTO_REV_8:
        return ProtoRev8, ProtoRev8.urukul_cfg(
            rf_sw=rf_sw, led=0, profile=DEFAULT_PROFILE, io_update=0, mask_nu=0,
            clk_sel=clk_sel, sync_sel=sync_sel, rst=0, io_rst=0, clk_div=clk_div)
    if proto_rev == STA_PROTO_REV_9:
        every_channel = sum(DEFAULT_PROFILE << (3 * ch) for ch in range(4))
        return ProtoRev9, ProtoRev9.urukul_cfg(
            rf_sw=rf_sw, led=0, profile=every_channel, osk=0, drctl=0, drhold=0,
            io_update=0, mask_nu=0, clk_sel=clk_sel, sync_sel=sync_sel, rst=0, io_rst=0,
            clk_div=clk_div, att_en=0b1111)
    raise ValueError(f"Urukul unsupported proto_rev: {proto_rev}")


class _NoSyncClock:
    """The ``sync`` of a board without a SYNC clock generator: setting it does nothing."""

    @portable
    def set_mu(self, ftw):
        pass


class RegIOUpdate:
    """IO_UPDATE through the CPLD configuration register (when the board has no
    IO_UPDATE TTL): the IO_UPDATE bit of the channel (chip select 3: of every channel)
    set, the pulse duration, the register as it was written back."""

    def __init__(self, cpld, chip_select):
        self.cpld = cpld
        self.chip_select = chip_select

    def _pulse(self, advance, duration):
        cpld = self.cpld
        restore = cpld.cfg_reg
        if self.chip_select == CS_DDS_MULTI:
            cpld.cfg_io_update_all(0xf)
        else:
            cpld.cfg_io_update(self.chip_select & 0x3, True)
        advance(duration)
        cpld.cfg_write(restore)

    @portable
    def pulse_mu(self, duration):
        """Pulse IO_UPDATE for ``duration`` machine units through the configuration
        register. Advances the timeline by the two register writes and the duration."""
        self._pulse(self.cpld._tl.take_time_mu, duration)

    @portable
    def pulse(self, duration):
        """:meth:`pulse_mu` for ``duration`` seconds. Advances the timeline by the two
        register writes and the duration."""
        self._pulse(self.cpld._tl.take_time, duration)


class CPLD:
    """Urukul CPLD SPI router and configuration interface (``artiq.coredevice.urukul.CPLD``).

    :param spi_device: SPI bus device name (its timing is simulated here).
    :param io_update_device: IO_UPDATE TTLOut device name.
    :param dds_reset_device: DDS reset TTLOut device name.
    :param sync_device: AD9910 ``SYNC_IN`` TTLClockGen device name.
    :param refclk: reference clock frequency (Hz).
    :param clk_sel, clk_div, sync_sel, rf_sw, att, sync_div, proto_rev, core_device: as
        ARTIQ's ``CPLD``.
    """
    kernel_invariants = {"refclk", "bus", "core", "io_update", "clk_div", "proto_rev"}

    def __init__(self, dmgr, spi_device, io_update_device=None, dds_reset_device=None,
                 sync_device=None, sync_sel=0, clk_sel=0, clk_div=0, rf_sw=0,
                 refclk=125e6, att=0x00000000, sync_div=None, proto_rev=0x09,
                 core_device="core", _key=None):
        core = self.core = dmgr.get(core_device)
        self.sim = core.sim
        self._tl = self.sim.timeline
        self._key = "urukul_cpld" if _key is None else _key
        if not 0 <= clk_div <= 3:
            raise AssertionError("Urukul clk_div must be 0-3, not {}".format(clk_div))
        self.refclk, self.clk_div = refclk, clk_div
        self.bus = SPIBus(core, bus_channel(dmgr, spi_device), spi_device)
        # The board's TTLs, in the device manager's order of ARTIQ's driver.
        self.io_update = None if io_update_device is None else dmgr.get(io_update_device)
        if dds_reset_device is not None:
            self.dds_reset = dmgr.get(dds_reset_device)
        if sync_device is None:
            if sync_div is not None:
                raise AssertionError("Urukul sync_div needs a sync_device")
            self.sync, sync_div = _NoSyncClock(), 0
        else:
            self.sync = dmgr.get(sync_device)
            sync_div = 2 if sync_div is None else sync_div
        self.proto_rev = proto_rev
        layout, cfg = _initial_configuration(proto_rev, rf_sw, clk_sel, sync_sel, clk_div)
        self.version = layout(self)
        self.cfg_reg = np.int64(cfg)
        self.att_reg = _i32(att)
        self.sync_div = sync_div
        self._p9 = layout is ProtoRev9

        # The hardware: what the registers hold (the simulation starts with the board
        # configured as the driver's arguments say).
        self._cfg_hw = int(self.cfg_reg)
        self._att_hw = int(att) & 0xffffffff
        self._channels = [None] * 4   # attached DDS drivers
        self._attached = ()
        self._sig_att = [None] * 4
        self._sig_sw = [None] * 4
        self._find_channels(dmgr)
        if isinstance(self.io_update, _TTLBase):
            self.io_update._add_edge_hook(self._io_update_edge)

    # ---- channels

    def _find_channels(self, dmgr):
        """Register the ``attenuation``/``cfg_sw`` signals of the DDS channels the
        device database puts on this board, built or not."""
        get_ddb = getattr(dmgr, "get_device_db", None)
        if get_ddb is None or self._key is None:
            return
        try:
            ddb = get_ddb()
        except Exception:
            return
        from control.sim import resolve
        for name, desc in ddb.items():
            if not isinstance(desc, dict) or desc.get("class") not in ("AD9910", "AD9912"):
                continue
            args = desc.get("arguments", {})
            cs = args.get("chip_select")
            cpld = args.get("cpld_device")
            if not isinstance(cs, int) or not 4 <= cs <= 7 or not isinstance(cpld, str):
                continue
            try:
                if resolve(ddb, cpld) != self._key:
                    continue
            except (KeyError, ValueError):
                continue
            self._register_channel(cs - 4, name)

    def _register_channel(self, channel, key):
        sim = self.sim
        self._sig_att[channel] = sim.signal(
            key, "attenuation", "real", init=self.mu_to_att(self._att_hw >> (8 * channel)))
        self._sig_sw[channel] = sim.signal(key, "cfg_sw", "bool",
                                           init=(self._cfg_hw >> channel) & 1)

    def _attach(self, channel, dds):
        """Called by the constructor of the DDS channel ``channel`` (0-3)."""
        self._channels[channel] = dds
        # what an IO_UPDATE edge goes through: the attached chips, in channel order
        self._attached = tuple(d for d in self._channels if d is not None)
        sig = self._sig_att[channel]
        if sig is None or sig.device != dds._key:
            self._register_channel(channel, dds._key)

    def _channel_profile(self, channel, cfg=None):
        cfg = self._cfg_hw if cfg is None else cfg
        if self._p9:
            return (cfg >> (CFG_PROFILE + 3 * channel)) & 7
        return (cfg >> CFG_PROFILE) & 7

    def _check_channel(self, channel):
        if not 0 <= channel <= 3:
            raise ValueError("{}: Urukul channel {} does not exist: 0-3 (simulator check)"
                             .format(self._key, channel))

    # ---- effects at the end of SPI transactions

    def _latch_cfg(self, cfg, t):
        old = self._cfg_hw
        cfg = int(cfg) & ((1 << 64) - 1)
        self._cfg_hw = cfg
        changed = old ^ cfg
        if not changed:
            return
        sim = self.sim
        if changed & 0xf:
            for ch in range(4):
                if (changed >> ch) & 1 and self._sig_sw[ch] is not None:
                    record_effect(sim, t, self._sig_sw[ch], (cfg >> ch) & 1)
        for ch in range(4):
            dds = self._channels[ch]
            if dds is not None and self._channel_profile(ch, old) != \
                    self._channel_profile(ch, cfg):
                dds._profile_pins(self._channel_profile(ch, cfg), t)
        if self._p9:
            rising = (cfg & ~old) >> ProtoRev9.CFG_IO_UPDATE & 0xf
            for ch in range(4):
                if (rising >> ch) & 1 and self._channels[ch] is not None:
                    self._channels[ch]._io_update(t)
        elif (cfg & ~old) >> ProtoRev8.CFG_IO_UPDATE & 1:
            self._io_update_edge(t)

    def _io_update_edge(self, t):
        """A rising edge of IO_UPDATE: every DDS chip on the board updates."""
        for dds in self._attached:
            if dds._pending:  # a chip with nothing buffered keeps all
                dds._io_update(t)

    def _latch_att(self, att_reg, t):
        old = self._att_hw
        new = int(att_reg) & 0xffffffff
        if self._p9:  # only channels with ATT_EN set take the new setting
            en = (self._cfg_hw >> ProtoRev9.CFG_ATT_EN) & 0xf
            mask = sum(0xff << (8 * ch) for ch in range(4) if (en >> ch) & 1)
            new = (old & ~mask) | (new & mask)
        self._att_hw = new
        for ch in range(4):
            byte = (new >> (8 * ch)) & 0xff
            if byte != (old >> (8 * ch)) & 0xff and self._sig_att[ch] is not None:
                record_effect(self.sim, t, self._sig_att[ch], self.mu_to_att(byte))

    # ---- configuration register

    @portable
    def cfg_write(self, cfg):
        """Write the configuration register (P9: 896 mu, P8: 416 mu); it latches at the
        end of the transaction."""
        cfg = int(cfg)
        if self._p9:
            self.bus._xfer(SPI_CONFIG, 24, SPIT_CFG_WR)
            t = self.bus._xfer(SPI_CONFIG | SPI_END, 28, SPIT_CFG_WR)
        else:
            t = self.bus._xfer(SPI_CONFIG | SPI_END, 24, SPIT_CFG_WR)
        self.cfg_reg = np.int64(cfg)
        self._latch_cfg(cfg, t)

    @portable
    def sta_read(self):
        """Read the status register (P9: 4144 mu, P8: 3216 mu; the CPU waits): RF switch
        bits, no SMP_ERR, every PLL locked, this protocol revision."""
        if self._p9:
            self.bus._xfer(SPI_CONFIG, 24, SPIT_CFG_WR)
            t = self.bus._xfer(SPI_CONFIG | SPI_END | SPI_INPUT, 28, SPIT_CFG_RD)
        else:
            t = self.bus._xfer(SPI_CONFIG | SPI_END | SPI_INPUT, 24, SPIT_CFG_RD)
        self.bus._read_at(t)
        return np.int32(((self._cfg_hw & 0xf) << STA_RF_SW) | (0xf << STA_PLL_LOCK) |
                        (self.proto_rev << STA_PROTO_REV))

    @portable
    def init(self, blind=False):
        """Initialize the board (exact ARTIQ timing: about 1.1 ms; see the module
        docstring)."""
        cfg = int(self.cfg_reg)
        io_rst = ProtoRev9.CFG_IO_RST if self._p9 else ProtoRev8.CFG_IO_RST
        self.cfg_reg = np.int64(cfg | (1 << io_rst))
        self.bus.set_config_mu(SPI_CONFIG, 24, SPIT_CFG_WR, CS_CFG)
        self._tl.take_time(1 * _US)
        if blind:
            self.cfg_write(self.cfg_reg)
        elif urukul_sta_proto_rev(self.sta_read()) != self.proto_rev:
            raise ValueError("Urukul proto_rev mismatch")
        self._tl.take_time(100 * _US)
        self.cfg_write(cfg)
        if self.sync_div:
            self._tl.now &= ~0xf  # align to RTIO/2
            self.set_sync_div(self.sync_div)
        self._tl.take_time(1 * _MS)

    @portable
    def io_rst(self):
        """Pulse the DDS chips' IO_RESET through the configuration register. Advances the
        timeline by two configuration writes."""
        bit = 1 << (ProtoRev9.CFG_IO_RST if self._p9 else ProtoRev8.CFG_IO_RST)
        self.cfg_write(int(self.cfg_reg) | bit)
        self.cfg_write(int(self.cfg_reg) & ~bit)

    @portable
    def set_profile(self, channel, profile):
        """Set the PROFILE pins of ``channel`` (P8: shared by all four channels)."""
        if not 0 <= profile <= 7:
            raise ValueError("{}: profile {} outside 0-7 (simulator check)".format(
                self._key, profile))
        if self._p9:
            self._check_channel(channel)
            shift = CFG_PROFILE + 3 * channel
        else:
            shift = CFG_PROFILE
        self.cfg_write((int(self.cfg_reg) & ~(7 << shift)) | ((profile & 7) << shift))

    @portable
    def _configure_bit(self, bit_offset, channel, on):
        self._check_channel(channel)
        self.cfg_write(_set_bit(int(self.cfg_reg), bit_offset + channel, on))

    @portable
    def _configure_all_bits(self, bit_offset, state):
        self.cfg_write(_set_nibble(int(self.cfg_reg), bit_offset, int(state)))

    def _p9_only(self):
        if not self._p9:
            raise NotImplementedError(
                "This function is not implemented for this Urukul version.")

    @portable
    def cfg_mask_nu(self, channel, on):
        """Set the MASK_NU bit of ``channel`` (leave it out of multi-channel DDS writes).
        Advances the timeline by one configuration write."""
        offset = ProtoRev9.CFG_MASK_NU if self._p9 else ProtoRev8.CFG_MASK_NU
        self._configure_bit(offset, channel, on)

    @portable
    def cfg_mask_nu_all(self, state):
        """Set the MASK_NU bits of all channels (``state``: one bit each). Advances the
        timeline by one configuration write."""
        offset = ProtoRev9.CFG_MASK_NU if self._p9 else ProtoRev8.CFG_MASK_NU
        self._configure_all_bits(offset, state)

    @portable
    def cfg_att_en(self, channel, on):
        """Set the ATT_EN bit of ``channel`` (its attenuator takes new settings; rev. 9
        only). Advances the timeline by one configuration write."""
        self._p9_only()
        self._configure_bit(ProtoRev9.CFG_ATT_EN, channel, on)

    @portable
    def cfg_att_en_all(self, state):
        """Set the ATT_EN bits of all channels (rev. 9 only). Advances the timeline by one
        configuration write."""
        self._p9_only()
        self._configure_all_bits(ProtoRev9.CFG_ATT_EN, state)

    @portable
    def cfg_osk(self, channel, on):
        """Set the OSK pin of ``channel`` (rev. 9 only). Advances the timeline by one
        configuration write."""
        self._p9_only()
        self._configure_bit(ProtoRev9.CFG_OSK, channel, on)

    @portable
    def cfg_osk_all(self, state):
        """Set the OSK pins of all channels (rev. 9 only). Advances the timeline by one
        configuration write."""
        self._p9_only()
        self._configure_all_bits(ProtoRev9.CFG_OSK, state)

    @portable
    def cfg_drctl(self, channel, on):
        """Set the DRCTL pin of ``channel`` (rev. 9 only). Advances the timeline by one
        configuration write."""
        self._p9_only()
        self._configure_bit(ProtoRev9.CFG_DRCTL, channel, on)

    @portable
    def cfg_drctl_all(self, state):
        """Set the DRCTL pins of all channels (rev. 9 only). Advances the timeline by one
        configuration write."""
        self._p9_only()
        self._configure_all_bits(ProtoRev9.CFG_DRCTL, state)

    @portable
    def cfg_drhold(self, channel, on):
        """Set the DRHOLD pin of ``channel`` (rev. 9 only). Advances the timeline by one
        configuration write."""
        self._p9_only()
        self._configure_bit(ProtoRev9.CFG_DRHOLD, channel, on)

    @portable
    def cfg_drhold_all(self, state):
        """Set the DRHOLD pins of all channels (rev. 9 only). Advances the timeline by one
        configuration write."""
        self._p9_only()
        self._configure_all_bits(ProtoRev9.CFG_DRHOLD, state)

    @portable
    def cfg_io_update(self, channel, on):
        """Set the IO_UPDATE bit of ``channel`` (rev. 8: the board's one bit); a rising
        bit updates the DDS. Advances the timeline by one configuration write."""
        if self._p9:
            self._configure_bit(ProtoRev9.CFG_IO_UPDATE, channel, on)
        else:  # one IO_UPDATE bit for the whole board
            self._configure_bit(ProtoRev8.CFG_IO_UPDATE, 0, on)

    @portable
    def cfg_io_update_all(self, state):
        """Set the IO_UPDATE bits of all channels (rev. 8: the board's one bit, set if
        any is). Advances the timeline by one configuration write."""
        if self._p9:
            self._configure_all_bits(ProtoRev9.CFG_IO_UPDATE, state)
        else:
            self.cfg_io_update(0, (state & 0xf) != 0)

    @portable
    def cfg_sw(self, channel, on):
        """Set the CFG RF switch bit of ``channel`` (OR-ed with the channel's RF switch
        TTL); recorded as the channel's ``cfg_sw`` when the register latches."""
        self._check_channel(channel)
        self.cfg_write(_set_bit(int(self.cfg_reg), CFG_RF_SW + channel, on))

    @portable
    def cfg_switches(self, state):
        """Set the CFG RF switch bits of all channels (``state``: one bit each). Advances
        the timeline by one configuration write."""
        self.cfg_write(_set_nibble(int(self.cfg_reg), CFG_RF_SW, int(state)))

    # ---- attenuators

    # An attenuator's 8-bit code counts eighths of a dB down from 31.5 dB: 255 is no
    # attenuation, 0 the most.

    @portable
    def mu_to_att(self, att_mu):
        """The attenuation, in dB, of 8-bit code ``att_mu``."""
        eighths = 0xff - (int(att_mu) & 0xff)
        return eighths / 8

    @portable
    def att_to_mu(self, att):
        """The 8-bit code of ``att`` dB (0 to 31.5 dB, rounded to an eighth of a dB)."""
        eighths = np.int32(round(att * 8))
        code = np.int32(0xff) - eighths
        if not 0 <= code <= 0xff:
            raise ValueError("Invalid urukul.CPLD attenuation!")
        if not 0.0 <= att <= 31.5:
            raise ValueError("{}: attenuation {} dB outside 0-31.5 dB, the attenuators' "
                             "range (simulator check)".format(self._key, att))
        return code

    @portable
    def set_att_mu(self, channel, att):
        """Set the attenuator of ``channel`` (8-bit code: 255 minimum, 0 maximum);
        writes all four (1600 mu)."""
        self._check_channel(channel)
        if not 0 <= att <= 255:
            raise ValueError("{}: attenuation code {} outside 0-255 (simulator check: it "
                             "would change the other channels)".format(self._key, att))
        shift = 8 * channel
        others = int(self.att_reg) & ~(0xff << shift)
        self.set_all_att_mu(others | (int(att) << shift))

    @portable
    def set_all_att_mu(self, att_reg):
        """Write the four attenuators (32 bits at divider 6: 1600 mu); they latch at the
        end of the transfer."""
        t = self.bus._xfer(SPI_CONFIG | SPI_END, 32, SPIT_ATT_WR)
        self.att_reg = _i32(att_reg)
        self._latch_att(att_reg, t)

    @portable
    def set_att(self, channel, att):
        """Set the attenuator of ``channel`` to ``att`` dB; writes all four. Advances the
        timeline by the transfer (1600 mu)."""
        self.set_att_mu(channel, self.att_to_mu(att))

    @portable
    def get_att_mu(self):
        """Read the attenuators back (15840 mu; the CPU waits for the data) and write
        the same value back, as ARTIQ does."""
        bus = self.bus
        t = bus._xfer(SPI_CONFIG | SPI_INPUT, 32, SPIT_ATT_RD)
        bus.set_config_mu(SPI_CONFIG | SPI_END, 32, SPIT_ATT_WR, CS_ATT)
        self._tl.take_time(10 * _US)
        bus._read_at(t)
        self.att_reg = _i32(self._att_hw)
        bus.write(self.att_reg)
        self._latch_att(self._att_hw, self._tl.now)
        return self.att_reg

    @portable
    def get_channel_att_mu(self, channel):
        """The 8-bit attenuation code of ``channel``, read back as :meth:`get_att_mu`
        does (15840 mu; the CPU waits)."""
        self._check_channel(channel)
        return np.int32((int(self.get_att_mu()) >> (channel * 8)) & 0xff)

    @portable
    def get_channel_att(self, channel):
        """The attenuation of ``channel`` in dB, read back as :meth:`get_att_mu` does
        (15840 mu; the CPU waits)."""
        return self.mu_to_att(self.get_channel_att_mu(channel))

    @portable
    def set_sync_div(self, div):
        """Set the SYNC_IN clock to the coarse RTIO clock divided by ``div`` (a power of
        two): one event on the clock generator. Does not advance the timeline."""
        # The SYNC_IN generator divides the coarse RTIO clock by 16 / its tuning word.
        ftw, remainder = divmod(16, div)
        if remainder:
            raise AssertionError("Urukul sync_div must be a power of two")
        self.sync.set_mu(ftw)


# np.int32 of each 16-bit value made so far: a DDS returns one (a phase word) per pulse,
# and a lookup costs a tenth of making the numpy scalar (immutable, so shared).
_INT32_16BIT: dict[int, np.int32] = {}


def _int32_16bit(x):
    """``np.int32(x)`` for ``x`` an int in 0-0xffff (else made anew)."""
    value = _INT32_16BIT.get(x)
    if value is None:
        value = np.int32(x)
        if 0 <= x <= 0xffff:
            _INT32_16BIT[x] = value
    return value


def _i32(x):
    """``x`` as an int32, wrapping as the core device does."""
    x = int(x) & 0xffffffff
    return np.int32(x - (1 << 32) if x & 0x80000000 else x)


class UrukulChannel:
    """A DDS channel's share of its CPLD (attenuator, RF switch, config bits), as the
    AD9910 and AD9912 drivers both expose it: ``chip_select`` 4–7 is CPLD channel 0–3."""

    def _join_board(self, chip, dmgr, chip_select, cpld_device, sw_device, lowest_cs,
                    invariants):
        """Set up what both DDS drivers have first: the CPLD, its core and bus, the chip
        select (``lowest_cs`` to 7, else ``AssertionError`` as ARTIQ's ``assert``), the RF
        switch TTL as ``sw`` when given; ``kernel_invariants`` are those and
        ``invariants``."""
        self.kernel_invariants = {"cpld", "core", "bus", "chip_select"} | set(invariants)
        board = self.cpld = dmgr.get(cpld_device)
        self.core, self.bus = board.core, board.bus
        if not lowest_cs <= chip_select <= CS_DDS_CH3:
            raise AssertionError("{} chip_select must be {}-{}, not {}".format(
                chip, lowest_cs, CS_DDS_CH3, chip_select))
        self.chip_select = chip_select
        if sw_device:  # the RF switch TTL, which kernels read as an invariant
            self.kernel_invariants.add("sw")
            self.sw = dmgr.get(sw_device)

    def _io_update_line(self):
        """The board's IO_UPDATE TTL, or pulses through the configuration register."""
        return self.cpld.io_update or RegIOUpdate(self.cpld, self.chip_select)

    @portable
    def set_att_mu(self, att):
        """Set this channel's attenuator to 8-bit code ``att``. Advances the timeline by
        the attenuator transfer (1600 mu)."""
        self.cpld.set_att_mu(self.chip_select - 4, att)

    @portable
    def set_att(self, att):
        """Set this channel's attenuator to ``att`` dB. Advances the timeline by the
        attenuator transfer (1600 mu)."""
        self.cpld.set_att(self.chip_select - 4, att)

    @portable
    def get_att_mu(self):
        """This channel's attenuation code, read back from the board (15840 mu; the CPU
        waits)."""
        return self.cpld.get_channel_att_mu(self.chip_select - 4)

    @portable
    def get_att(self):
        """This channel's attenuation in dB, read back from the board (15840 mu; the CPU
        waits)."""
        return self.cpld.get_channel_att(self.chip_select - 4)

    @portable
    def cfg_sw(self, state):
        """Set this channel's CFG RF switch bit. Advances the timeline by one
        configuration write."""
        self.cpld.cfg_sw(self.chip_select - 4, state)

    @portable
    def cfg_mask_nu(self, state):
        """Set this channel's MASK_NU bit. Advances the timeline by one configuration
        write."""
        self.cpld.cfg_mask_nu(self.chip_select - 4, state)

    @portable
    def cfg_att_en(self, state):
        """Set this channel's ATT_EN bit (rev. 9 only). Advances the timeline by one
        configuration write."""
        self.cpld.cfg_att_en(self.chip_select - 4, state)
