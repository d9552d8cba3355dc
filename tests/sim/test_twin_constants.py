"""The simulated twins' register maps and wire constants are ARTIQ's, value for value.

The twins state them in their own words (bit positions, ranges, register maps by
address); this holds every value to the one in ARTIQ's drivers: the constants a twin
module shares with its ARTIQ module by name, the CPLD layouts' bit offsets, and the DDS
register addresses the twins name their own way.
"""
import importlib

import pytest

pytestmark = pytest.mark.artiq
pytest.importorskip("artiq")

# twin module -> its ARTIQ module
MODULES = {
    "control.sim.devices.spi": "artiq.coredevice.spi2",
    "control.sim.devices.urukul": "artiq.coredevice.urukul",
    "control.sim.devices.ad9910": "artiq.coredevice.ad9910",
    "control.sim.devices.edge_counter": "artiq.coredevice.edge_counter",
}

# the twins' own names for ARTIQ's register constants
AD9910_REGISTERS = {
    "_REG_CFR1": "_AD9910_REG_CFR1", "_REG_CFR2": "_AD9910_REG_CFR2",
    "_REG_CFR3": "_AD9910_REG_CFR3", "_REG_AUX_DAC": "_AD9910_REG_AUX_DAC",
    "_REG_IO_UPDATE": "_AD9910_REG_IO_UPDATE", "_REG_FTW": "_AD9910_REG_FTW",
    "_REG_POW": "_AD9910_REG_POW", "_REG_ASF": "_AD9910_REG_ASF",
    "_REG_SYNC": "_AD9910_REG_SYNC", "_REG_RAMP_LIMIT": "_AD9910_REG_RAMP_LIMIT",
    "_REG_RAMP_STEP": "_AD9910_REG_RAMP_STEP", "_REG_RAMP_RATE": "_AD9910_REG_RAMP_RATE",
    "_REG_PROFILE0": "_AD9910_REG_PROFILE0", "_REG_RAM": "_AD9910_REG_RAM",
}
AD9912_REGISTERS = {
    "_SER_CONF": "AD9912_SER_CONF", "_PRODUCT_ID_HIGH": "AD9912_PRODIDH",
    "_POWER_DOWN": "AD9912_PWRCNTRL1", "_N_DIVIDER": "AD9912_N_DIV",
    "_PLL_CONFIG": "AD9912_PLLCFG", "_FTW_LOW": "AD9912_FTW0", "_FTW_HIGH": "AD9912_FTW5",
    "_FTW_LOW_WORD_HIGH": "AD9912_FTW3", "_POW_HIGH": "AD9912_POW1",
}


def _constants(module):
    return {name: value for name, value in vars(module).items()
            if name.lstrip("_").isupper() and isinstance(value, int)}


@pytest.mark.parametrize("twin, artiq", sorted(MODULES.items()))
def test_shared_constants_have_artiqs_values(twin, artiq):
    ours = _constants(importlib.import_module(twin))
    theirs = _constants(importlib.import_module(artiq))
    shared = sorted(set(ours) & set(theirs))
    assert shared
    assert {n: ours[n] for n in shared} == {n: theirs[n] for n in shared}


@pytest.mark.parametrize("layout", ["ProtoRev8", "ProtoRev9"])
def test_cpld_layouts_have_artiqs_bit_offsets(layout):
    ours = getattr(importlib.import_module("control.sim.devices.urukul"), layout)
    theirs = getattr(importlib.import_module("artiq.coredevice.urukul"), layout)
    offsets = sorted(name for name in dir(theirs) if name.startswith("CFG_"))
    assert {n: getattr(ours, n) for n in offsets} == {n: getattr(theirs, n) for n in offsets}


@pytest.mark.parametrize("twin, artiq, names", [
    ("control.sim.devices.ad9910", "artiq.coredevice.ad9910", AD9910_REGISTERS),
    ("control.sim.devices.ad9912", "artiq.coredevice.ad9912_reg", AD9912_REGISTERS),
])
def test_dds_register_addresses_are_artiqs(twin, artiq, names):
    ours, theirs = importlib.import_module(twin), importlib.import_module(artiq)
    assert {n: getattr(ours, n) for n in names} == \
        {n: getattr(theirs, a) for n, a in names.items()}


def test_status_readers_match_artiqs():
    ours = importlib.import_module("control.sim.devices.urukul")
    theirs = importlib.import_module("artiq.coredevice.urukul")
    word = 0x7fabcdef
    for name in ("urukul_sta_rf_sw", "urukul_sta_smp_err", "urukul_sta_pll_lock",
                 "urukul_sta_ifc_mode", "urukul_sta_proto_rev", "urukul_sta_drover"):
        assert getattr(ours, name)(word) == getattr(theirs, name)(word), name
