"""Timeline cost of Urukul SPI transactions, as ``artiq.coredevice.spi2.SPIMaster``
advances it: ``set_config_mu`` takes one coarse period (``ref_multiplier`` mu) and a write
of ``n`` bits at divider ``div`` takes ``((n + 1) * div + 1) * ref_multiplier`` mu."""

# Urukul SPI clock dividers (artiq.coredevice.urukul)
SPIT_CFG_WR = 2
SPIT_ATT_WR = 6
SPIT_DDS_WR = 2


def config_mu(core):
    return core.ref_multiplier


def write_mu(core, bits, div):
    return ((bits + 1) * div + 1) * core.ref_multiplier


def transaction_mu(core, transfers):
    """``transfers``: ``[(bits, div), ...]``, each preceded by its ``set_config_mu``."""
    return sum(config_mu(core) + write_mu(core, bits, div) for bits, div in transfers)
