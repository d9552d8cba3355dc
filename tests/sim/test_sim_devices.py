"""The simulated core-device drivers behave, and take time, as ARTIQ's drivers on a crate.

The crate is what ``artiq_ddb_template`` writes for a Kasli 2.0 (125 MHz RTIO, 1 ns
machine unit, 8 mu coarse period) with one DIO card (ttl0-3 TTLInOut with edge counters,
ttl4-7 TTLOut), one Urukul with AD9910s and one with AD9912s (two EEMs each: RF switch
TTLs), CPLD protocol revision 9. Times are exact machine units, derived in comments from
ARTIQ's drivers (``spi2.SPIMaster``: ``set_config_mu`` 8 mu, a write of ``n`` bits at
divider ``d`` ``((n + 1) * d + 1) * 8`` mu).
"""
import pytest

from control.lang import (RTIOUnderflow, at_mu, delay, delay_mu, kernel, now_mu, parallel,
                          sequential, ns, us)
from control.managers import DeviceManager
from control.sim import enable
from control.sim.devices.dma import DMAError
from control.sim.devices.generic import Generic


# ---- the crate: artiq_ddb_template's entries for this Kasli

def _local(module, cls, **arguments):
    return {"type": "local", "module": "artiq.coredevice." + module, "class": cls,
            "arguments": arguments}


def kasli_ddb():
    ddb = {
        "core": _local("core", "Core", host="192.168.1.70", ref_period=1e-9,
                       analyzer_proxy="core_analyzer", target="rv32g",
                       satellite_cpu_targets={}),
        "core_log": {"type": "controller", "host": "::1", "port": 1068,
                     "command": "aqctl_corelog -p {port} --bind {bind} 192.168.1.70"},
        "core_cache": {"type": "local", "module": "artiq.coredevice.cache",
                       "class": "CoreCache"},
        "core_dma": {"type": "local", "module": "artiq.coredevice.dma", "class": "CoreDMA"},
        "i2c_switch0": _local("i2c", "I2CSwitch", address=0xe0),
        "i2c_switch1": _local("i2c", "I2CSwitch", address=0xe2),
    }
    channel = 0
    for i in range(8):  # DIO: bank 0 input, bank 1 output
        ddb["ttl{}".format(i)] = _local("ttl", "TTLInOut" if i < 4 else "TTLOut",
                                        channel=channel)
        channel += 1
    for i in range(4):
        ddb["ttl{}_counter".format(i)] = _local("edge_counter", "EdgeCounter",
                                                channel=channel)
        channel += 1
    for u, (dds, pll_n) in enumerate((("ad9910", 32), ("ad9912", 8))):
        name = "urukul{}".format(u)
        ddb["eeprom_" + name] = _local("kasli_i2c", "KasliEEPROM", port="EEM{}".format(2 * u + 1),
                                       busno=0, sw0_device="i2c_switch0",
                                       sw1_device="i2c_switch1")
        ddb["spi_" + name] = _local("spi2", "SPIMaster", channel=channel)
        ddb["ttl_{}_io_update".format(name)] = _local("ttl", "TTLOut", channel=channel + 1)
        channel += 2
        for i in range(4):
            ddb["ttl_{}_sw{}".format(name, i)] = _local("ttl", "TTLOut", channel=channel)
            channel += 1
        ddb[name + "_cpld"] = _local("urukul", "CPLD", spi_device="spi_" + name,
                                     sync_device=None,
                                     io_update_device="ttl_{}_io_update".format(name),
                                     refclk=125e6, clk_sel=2, clk_div=0, proto_rev=9)
        for i in range(4):
            ddb["{}_ch{}".format(name, i)] = _local(
                dds, dds.upper(), pll_n=pll_n, pll_en=1, chip_select=4 + i,
                cpld_device=name + "_cpld", sw_device="ttl_{}_sw{}".format(name, i))
    ddb["zotino0"] = _local("zotino", "Zotino", spi_device="spi_zotino0",
                            ldac_device="ttl_zotino0_ldac", clr_device="ttl_zotino0_clr")
    ddb["pmt"] = "ttl0"  # a lab's role name
    return ddb


class FakeModel:
    """Answers ``counts`` with a fixed number and remembers what it was asked."""

    def __init__(self, n):
        self.n = n
        self.asked = []

    def counts(self, device, t0, t1):
        self.asked.append((device, int(t0), int(t1)))
        return self.n


@pytest.fixture
def crate():
    dmgr = DeviceManager(enable(kasli_ddb()))
    yield dmgr
    dmgr.close_devices()


class Exp:
    """Kernels run on the simulated core; devices looked up by name."""

    def __init__(self, dmgr, *names):
        self.dmgr = dmgr
        self.core = dmgr.get("core")
        self.sim = dmgr.get("control_sim")
        for name in names:
            setattr(self, name, dmgr.get(name))

    # -- TTL

    @kernel
    def pulse_train(self, n, period, width):
        self.core.break_realtime()
        t0 = now_mu()
        for _ in range(n):
            self.ttl4.pulse_mu(width)
            delay_mu(period - width)
        self.ttl4.pulse(1 * us)  # delay(1 us) = 1000 mu
        return t0, now_mu()

    @kernel
    def nested(self):
        self.core.break_realtime()
        t0 = now_mu()
        with parallel:
            self.ttl4.pulse_mu(1000)
            with sequential:
                self.ttl5.pulse(200 * ns)
                delay(300 * ns)
                self.ttl5.pulse_mu(100)
            with sequential:
                delay_mu(50)
                self.ttl6.on()
        self.ttl7.pulse_mu(10)
        return t0, now_mu()

    @kernel
    def tight_loop(self, n, gap):
        self.core.break_realtime()
        for _ in range(n):
            self.ttl4.pulse_mu(8)
            delay_mu(gap)

    # -- inputs

    @kernel
    def gate_and_count(self, window):
        self.core.break_realtime()
        t0 = now_mu()
        t_end = self.ttl0.gate_rising_mu(window)
        return t0, t_end, self.ttl0.count(t_end)

    @kernel
    def two_gates_then_reads(self):
        self.core.break_realtime()
        t0 = now_mu()
        end1 = self.ttl0.gate_rising_mu(1000)
        delay_mu(500)
        end2 = self.ttl0.gate_rising(2 * us)  # 2000 mu
        return t0, end1, end2, self.ttl0.count(end1), self.ttl0.count(end2)

    @kernel
    def count_only(self, t):
        return self.ttl0.count(t)

    @kernel
    def edge_count(self, window):
        self.core.break_realtime()
        t0 = now_mu()
        t_end = self.ttl0_counter.gate_rising_mu(window)
        t_s = self.ttl0_counter.gate_rising(1 * us)  # seconds_to_mu: floor, 999 mu
        return (t0, t_end, self.ttl0_counter.fetch_count(), t_s,
                self.ttl0_counter.fetch_timestamped_count())

    @kernel
    def fetch_only(self):
        return self.ttl0_counter.fetch_count()

    # -- Urukul

    @kernel
    def dds_set(self, offset, frequency, phase, amplitude):
        self.core.break_realtime()
        at_mu((now_mu() & ~7) + offset)
        t0 = now_mu()
        self.urukul0_ch0.set(frequency, phase=phase, amplitude=amplitude)
        return t0, now_mu()

    @kernel
    def dds_get(self):
        self.core.break_realtime()
        t0 = now_mu()
        values = self.urukul0_ch0.get()
        return t0, now_mu(), values

    @kernel
    def dds_many(self, n):
        self.core.break_realtime()
        for i in range(n):
            self.urukul0_ch0.set_mu(0x1000000 + i)

    @kernel
    def dds_9912(self, frequency, phase):
        self.core.break_realtime()
        t0 = now_mu()
        self.urukul1_ch0.set(frequency, phase)
        t1 = now_mu()
        self.core.break_realtime()
        return t0, t1, self.urukul1_ch0.get()

    @kernel
    def dds_9912_write_after_set(self, ftw, pow_, new_pow):
        self.core.break_realtime()
        self.urukul1_ch0.set_mu(ftw, pow_)
        self.urukul1_ch0.write(0x1ad, new_pow, 2)  # the POW register alone
        self.urukul1_ch0.io_update.pulse(10 * ns)
        self.core.break_realtime()
        return self.urukul1_ch0.get_mu()

    @kernel
    def cpld_ops(self):
        self.core.break_realtime()
        t0 = now_mu()
        self.urukul0_cpld.set_att(2, 10.5)
        t1 = now_mu()
        self.urukul0_cpld.cfg_sw(1, True)
        t2 = now_mu()
        self.urukul0_cpld.set_att(3, 6.0)  # channel 3's driver is never built
        return t0, t1, t2, now_mu()

    @kernel
    def att_readback(self):
        self.core.break_realtime()
        self.urukul0_ch1.set_att(12.25)
        t0 = now_mu()
        att = self.urukul0_ch1.get_att()
        return t0, now_mu(), att

    @kernel
    def set_att(self, att):
        self.core.break_realtime()
        self.urukul0_ch0.set_att(att)

    @kernel
    def shared_io_update(self):
        self.core.break_realtime()
        # channel 1: a profile written without IO_UPDATE ...
        self.urukul0_ch1.write64(0x15, (0x3fff << 16) | 0x4000, 0x20000000)
        t0 = now_mu() & ~7
        # ... takes effect with channel 0's IO_UPDATE: one line for the board
        self.urukul0_ch0.set_mu(0x10000000)
        return t0

    @kernel
    def profiles(self):
        self.core.break_realtime()
        self.urukul0_ch0.set_mu(0x10000000, profile=7)
        self.urukul0_ch0.set_mu(0x20000000, profile=3)  # not the selected profile
        t0 = now_mu()
        self.urukul0_ch0.set_profile(3)
        return t0, now_mu()

    @kernel
    def inits(self):
        self.core.break_realtime()
        t0 = now_mu()
        self.urukul0_cpld.init()
        t1 = now_mu()
        self.urukul0_ch0.init()
        t2 = now_mu()
        self.urukul1_ch0.init()
        return t0, t1, t2, now_mu()

    # -- DMA

    @kernel
    def dma_record(self):
        self.core.break_realtime()
        t0 = now_mu()
        with self.core_dma.record("seq"):
            self.ttl4.pulse_mu(100)
            delay_mu(200)
            self.ttl5.pulse_mu(50)
        return t0, now_mu()

    @kernel
    def dma_play(self):
        self.core.break_realtime()
        t0 = now_mu()
        self.core_dma.playback("seq")
        t1 = now_mu()
        handle = self.core_dma.get_handle("seq")
        self.core_dma.playback_handle(handle)
        return t0, t1, now_mu()

    @kernel
    def dma_stale_handle(self):
        handle = self.core_dma.get_handle("seq")
        self.core_dma.erase("other")
        self.core_dma.playback_handle(handle)

    @kernel
    def dma_nested(self):
        with self.core_dma.record("a"):
            with self.core_dma.record("b"):
                pass

    # -- generic

    @kernel
    def touch_generic(self):
        self.core.break_realtime()
        self.i2c_switch0.set(3)
        self.zotino0.write_dac(0, 1.5)
        self.zotino0.load()


def events(sim, device, name=None):
    return [(t, n, v) for t, n, v in sim.events(device, name)]


# ---- TTL

def test_ttl_pulse_train_is_exact(crate):
    k = Exp(crate, "ttl4")
    t0, t_end = k.pulse_train(5, 2000, 300)
    expected = []
    for i in range(5):
        expected += [(t0 + 2000 * i, "state", True), (t0 + 2000 * i + 300, "state", False)]
    expected += [(t0 + 10000, "state", True), (t0 + 11000, "state", False)]
    assert events(k.sim, "ttl4") == expected
    assert t_end == t0 + 11000


def test_parallel_and_sequential_blocks(crate):
    k = Exp(crate, "ttl4", "ttl5", "ttl6", "ttl7")
    t0, t_end = k.nested()
    assert events(k.sim, "ttl4") == [(t0, "state", True), (t0 + 1000, "state", False)]
    # 200 ns pulse, 300 ns gap, 100 mu pulse: one branch of the parallel block
    assert events(k.sim, "ttl5") == [(t0, "state", True), (t0 + 200, "state", False),
                                     (t0 + 500, "state", True), (t0 + 600, "state", False)]
    assert events(k.sim, "ttl6") == [(t0 + 50, "state", True)]
    # the block ends with its longest branch (1000 mu), then ttl7 pulses
    assert events(k.sim, "ttl7") == [(t0 + 1000, "state", True), (t0 + 1010, "state", False)]
    assert t_end == t0 + 1010


def test_underflow_with_too_little_delay_and_none_with_enough(crate):
    k = Exp(crate, "ttl4")
    # 16 mu per pulse; each costs the CPU two events (1.4 us): the 125 us of slack from
    # break_realtime run out after about 90 pulses
    with pytest.raises(RTIOUnderflow):
        k.tight_loop(1000, 8)
    assert k.sim.underflows == 1
    k.tight_loop(1000, 2000)  # 2008 mu per pulse: more than the CPU needs
    assert k.sim.underflows == 1


def test_negative_pulse_is_refused(crate):
    ttl = crate.get("ttl4")
    with pytest.raises(ValueError, match="negative pulse"):
        ttl.pulse_mu(-5)


# ---- inputs

def test_ttl_gate_and_count_ask_the_model_for_the_gate_window(crate):
    k = Exp(crate, "ttl0")
    k.sim.model = model = FakeModel(7)
    t0, t_end, n = k.gate_and_count(5000)
    assert t_end == t0 + 5000 and n == 7
    assert model.asked == [("ttl0", t0, t0 + 5000)]
    # the CPU waited for the gate (plus ARTIQ's gate latency, 13 coarse cycles)
    assert k.sim.timeline.cpu >= t_end + 104
    assert events(k.sim, "ttl0", "sensitivity") == [(t0, "sensitivity", 1),
                                                    (t_end, "sensitivity", 0)]


def test_several_gates_are_read_first_in_first_out(crate):
    k = Exp(crate, "ttl0")
    k.sim.model = model = FakeModel(3)
    t0, end1, end2, n1, n2 = k.two_gates_then_reads()
    assert (end1, end2) == (t0 + 1000, t0 + 3500)
    assert (n1, n2) == (3, 3)
    assert model.asked == [("ttl0", t0, t0 + 1000), ("ttl0", t0 + 1500, t0 + 3500)]


def test_count_with_no_gate_raises(crate):
    k = Exp(crate, "ttl0")
    k.sim.model = FakeModel(1)
    with pytest.raises(RuntimeError, match="no gate"):
        k.count_only(10_000)
    t0, t_end, n = k.gate_and_count(1000)
    with pytest.raises(RuntimeError, match="already read"):
        k.count_only(t_end)  # the same gate twice


def test_edge_counter_gate_and_fetch(crate):
    k = Exp(crate, "ttl0_counter")
    k.sim.model = model = FakeModel(11)
    t0, t_end, n, t_s, (ts, n2) = k.edge_count(3000)
    assert (t_end, n) == (t0 + 3000, 11)
    assert t_s == t_end + 999 and (ts, n2) == (t_s, 11)
    assert model.asked == [("ttl0_counter", t0, t0 + 3000),
                           ("ttl0_counter", t_end, t_end + 999)]
    assert events(k.sim, "ttl0_counter", "gate") == [
        (t0, "gate", True), (t_end, "gate", False), (t_end, "gate", True),
        (t_s, "gate", False)]
    with pytest.raises(RuntimeError, match="no count event"):
        k.fetch_only()


def test_inputs_see_nothing_without_a_model(crate):
    k = Exp(crate, "ttl0")
    assert k.sim.model is None
    assert k.gate_and_count(1000)[2] == 0


# ---- AD9910

FTW_PER_HZ = 2 ** 32 / 1e9  # 125 MHz / 4 * 32 = 1 GHz


def test_ad9910_set_records_quantized_values_at_io_update(crate):
    k = Exp(crate, "urukul0_ch0")
    t0, t_end = k.dds_set(3, 80e6, 0.3, 0.5)
    start = t0 & ~7  # set_mu aligns to the coarse clock
    t_io = start + 1248  # 64-bit profile write: 160 + 544 + 544 mu
    assert t_end == t_io + 8  # 8 mu IO_UPDATE pulse, then aligned again
    ftw = round(80e6 * FTW_PER_HZ)
    pow_ = round(0.3 * 65536)
    asf = round(0.5 * 0x3fff)
    assert events(k.sim, "urukul0_ch0", "frequency") == [(t_io, "frequency", ftw / FTW_PER_HZ)]
    assert events(k.sim, "urukul0_ch0", "phase") == [(t_io, "phase", pow_ / 65536)]
    assert events(k.sim, "urukul0_ch0", "amplitude") == [(t_io, "amplitude", asf / 0x3fff)]
    assert events(k.sim, "ttl_urukul0_io_update") == [(t_io, "state", True),
                                                       (t_io + 8, "state", False)]
    t0, t1, (f, p, a) = k.dds_get()
    assert t1 - t0 == 8640  # 64-bit read: 160 + 2 * (8 + 4232) mu
    assert (f, p, a) == (ftw / FTW_PER_HZ, pow_ / 65536, asf / 0x3fff)
    assert k.sim.timeline.cpu >= t1  # the CPU waited for the data


@pytest.mark.parametrize("frequency,amplitude,message", [
    (450e6, 1.0, "outside 0-4e\\+08 Hz"),
    (-1e6, 1.0, "outside 0-4e\\+08 Hz"),
    (80e6, 1.5, "Invalid AD9910 fractional amplitude!"),
    (80e6, -0.1, "Invalid AD9910 fractional amplitude!"),
])
def test_ad9910_range_checks(crate, frequency, amplitude, message):
    k = Exp(crate, "urukul0_ch0")
    with pytest.raises(ValueError, match=message):
        k.dds_set(0, frequency, 0.0, amplitude)
    with pytest.raises(KeyError):
        k.sim.events("urukul0_ch0", "nothing")  # unknown signals are refused


@pytest.mark.parametrize("att,message", [
    (31.75, "outside 0-31.5 dB"),             # the simulator's check (ARTIQ: code 1)
    (40.0, "Invalid urukul.CPLD attenuation!"),  # ARTIQ's
    (-1.0, "Invalid urukul.CPLD attenuation!"),
])
def test_attenuation_range(crate, att, message):
    k = Exp(crate, "urukul0_ch0")
    with pytest.raises(ValueError, match=message):
        k.set_att(att)


def test_spi_words_cost_slack(crate):
    k = Exp(crate, "urukul0_ch0")
    # set_mu: 6 SPI words and 2 IO_UPDATE edges (8 events, 2.8 us of CPU) in 1.256 us of
    # timeline: back to back they drain the 125 us of break_realtime after about 80
    k.dds_many(20)
    with pytest.raises(RTIOUnderflow, match="spi_urukul0"):
        k.dds_many(400)


def test_io_update_is_shared_by_the_board(crate):
    k = Exp(crate, "urukul0_ch0", "urukul0_ch1")
    t0 = k.shared_io_update()
    t_io = t0 + 1248
    assert events(k.sim, "urukul0_ch1", "frequency") == [
        (t_io, "frequency", 0x20000000 / FTW_PER_HZ)]
    assert events(k.sim, "urukul0_ch1", "phase") == [(t_io, "phase", 0.25)]


def test_profile_pins_select_the_output(crate):
    k = Exp(crate, "urukul0_ch0")
    t0, t1 = k.profiles()
    assert t1 == t0 + 896  # one configuration write (24 + 28 bits)
    f = [v for t, n, v in events(k.sim, "urukul0_ch0", "frequency")]
    assert f == [0x10000000 / FTW_PER_HZ, 0x20000000 / FTW_PER_HZ]
    assert events(k.sim, "urukul0_ch0", "frequency")[-1][0] == t1  # when the CPLD latches


def test_init_sequences_take_artiqs_time(crate):
    k = Exp(crate, "urukul0_cpld", "urukul0_ch0", "urukul1_ch0")
    t0, t1, t2, t3 = k.inits()
    # CPLD: config 8, 1 us, status read 416 + 3728, 100 us, config write 896, 1 ms
    assert t1 - t0 == 8 + 1000 + 4144 + 100_000 + 896 + 1_000_000
    # AD9910: 50 ms + 6 x 1 ms + 50 us + 10 us + 1 us, four 32-bit writes (704 each),
    # AUX_DAC read 4400, PLL status read 4144, CPLD config write 896
    assert t2 - t1 == 56_061_000 + 4 * 704 + 4400 + 4144 + 896
    # AD9912: four one-byte writes (448 each), four 2 us pulses, ID read 2480, 50 us, 1 ms
    assert t3 - t2 == 4 * 448 + 4 * 2000 + 2480 + 50_000 + 1_000_000


# ---- AD9912 and the CPLD

def test_ad9912_set_and_get(crate):
    k = Exp(crate, "urukul1_ch0")
    t0, t1, (f, p) = k.dds_9912(123.456e6, 0.75)
    ftw_per_hz = 2 ** 48 / 1e9  # 125 MHz * 8
    ftw = round(123.456e6 * ftw_per_hz)
    t_io = t0 + 1376  # 16 + 32 + 32 bits, streamed
    assert t1 == t_io + 10  # 10 ns IO_UPDATE pulse
    assert events(k.sim, "urukul1_ch0", "frequency") == [(t_io, "frequency", ftw / ftw_per_hz)]
    assert events(k.sim, "urukul1_ch0", "phase") == [(t_io, "phase", 0.75)]
    assert (f, p) == (ftw / ftw_per_hz, 0.75)
    with pytest.raises(KeyError):
        k.sim.events("urukul1_ch0", "amplitude")  # the AD9912 has no amplitude
    with pytest.raises(ValueError, match="outside 0-4e\\+08 Hz"):
        k.dds_9912(401e6, 0.0)


def test_ad9912_io_update_after_a_register_write_reads_the_registers(crate):
    # the tone set_mu hands its own IO_UPDATE is not what a later IO_UPDATE takes
    k = Exp(crate, "urukul1_ch0")
    ftw, pow_ = k.dds_9912_write_after_set(0x123456789a, 0x1000, 0x2abc)
    assert (int(ftw), int(pow_)) == (0x123456789a, 0x2abc)
    phases = [v for _, _, v in events(k.sim, "urukul1_ch0", "phase")]
    assert phases == [0x1000 / (1 << 14), 0x2abc / (1 << 14)]


def test_cpld_records_attenuation_and_switch_on_the_channel(crate):
    k = Exp(crate, "urukul0_cpld")
    t0, t1, t2, t3 = k.cpld_ops()
    assert t1 == t0 + 1600  # 32 bits at divider 6, latched at the end
    assert t2 == t1 + 896
    assert events(k.sim, "urukul0_ch2", "attenuation") == [(t1, "attenuation", 10.5)]
    assert events(k.sim, "urukul0_ch1", "cfg_sw") == [(t2, "cfg_sw", True)]
    assert events(k.sim, "urukul0_ch3", "attenuation") == [(t3, "attenuation", 6.0)]
    assert events(k.sim, "urukul0_ch0", "attenuation") == []
    assert k.sim.peek("urukul0_ch0", "attenuation", t3) == 31.875  # att_reg 0


def test_attenuation_readback(crate):
    k = Exp(crate, "urukul0_ch1")
    t0, t1, att = k.att_readback()
    assert att == 12.25
    assert t1 - t0 == 4240 + 8 + 10_000 + 1592  # read, config, 10 us, write back


# ---- DMA, cache, generic

def test_dma_replays_events_shifted_to_now(crate):
    k = Exp(crate, "core_dma", "ttl4", "ttl5")
    t0, t_after = k.dma_record()
    assert t_after == t0  # recording does not advance the timeline
    assert k.sim.events("ttl4") == []  # nor submits anything
    p0, p1, p2 = k.dma_play()
    assert (p1, p2) == (p0 + 350, p0 + 700)
    expected4, expected5 = [], []
    for start in (p0, p1):
        expected4 += [(start, "state", True), (start + 100, "state", False)]
        expected5 += [(start + 300, "state", True), (start + 350, "state", False)]
    assert events(k.sim, "ttl4") == expected4
    assert events(k.sim, "ttl5") == expected5
    with pytest.raises(DMAError, match="Invalid handle"):
        k.dma_stale_handle()
    with pytest.raises(DMAError, match="already recording"):
        k.dma_nested()


def test_core_cache(crate):
    cache = crate.get("core_cache")
    assert cache.get("x") == []
    cache.put("x", [1, 2, 3])
    assert cache.get("x") == [1, 2, 3]
    cache.put("x", [])
    assert cache.get("x") == []


def test_unknown_drivers_go_to_generic_and_never_raise(crate):
    k = Exp(crate, "i2c_switch0", "zotino0")
    assert isinstance(k.zotino0, Generic) and isinstance(k.i2c_switch0, Generic)
    k.touch_generic()
    assert k.zotino0.call_count == 2
    assert [c[0] for c in k.zotino0.calls] == ["write_dac", "load"]
    assert [v for t, n, v in events(k.sim, "zotino0", "calls")] == [1, 2]
    with pytest.raises(AttributeError):
        k.zotino0.__len__  # Python internals are not calls


def test_proto_rev_8_without_io_update_ttl_pulses_through_the_cpld():
    ddb = kasli_ddb()
    ddb["urukul0_cpld"]["arguments"].update(proto_rev=8, io_update_device=None)
    dmgr = DeviceManager(enable(ddb))
    k = Exp(dmgr, "urukul0_ch0")
    t0, t_end = k.dds_set(0, 10e6, 0.0, 1.0)
    # RegIOUpdate: a 24-bit configuration write (416 mu) sets IO_UPDATE, which the chip
    # sees when the CPLD latches it; 8 mu later another write clears it
    t_io = t0 + 1248 + 416
    assert [t for t, n, v in events(k.sim, "urukul0_ch0", "frequency")] == [t_io]
    assert t_end == t_io + 8 + 416
    dmgr.close_devices()


def test_input_timestamps_and_timeouts(crate):
    k = Exp(crate, "ttl0", "ttl0_counter")
    k.sim.model = FakeModel(4)

    class Reads(Exp):
        @kernel
        def run(self):
            self.core.break_realtime()
            t_end = self.ttl0.gate_rising_mu(10_000)
            stamps = []
            t = self.ttl0.timestamp_mu(t_end)
            while t >= 0:
                stamps.append(t)
                t = self.ttl0.timestamp_mu(t_end)
            return t_end, stamps, self.ttl0_counter.fetch_timestamped_count(now_mu())

    r = Reads(crate, "ttl0", "ttl0_counter")
    t_end, stamps, timed_out = r.run()
    assert len(stamps) == 4 and stamps == sorted(stamps)
    assert all(t_end - 10_000 <= t < t_end for t in stamps)
    assert timed_out == (-1, 0)  # no count event: the timeout answers


def test_the_twin_drops_the_core_device_proxies():
    """No core device stands behind a simulated crate: its log, moninj and analyzer proxies
    go (the dashboard would try their ports), the instruments' controllers stay."""
    ddb = kasli_ddb()
    ddb["core_moninj"] = {"type": "controller", "host": "::1", "port": 1384,
                          "command": "aqctl_moninj_proxy --port-control {port} 1.2.3.4"}
    ddb["synth"] = {"type": "controller", "host": "::1", "port": 3300,
                    "command": "aqctl_synth -p {port} --bind {bind} --resource X"}
    twin = enable(ddb)
    assert "core_log" not in twin and "core_moninj" not in twin
    assert "analyzer_proxy" not in twin["core"]["arguments"]
    assert twin["synth"]["command"].endswith("--simulation") and "--resource" not in \
        twin["synth"]["command"]
