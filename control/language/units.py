"""SI prefixes of the units, as ``artiq.language.units`` registers them."""

__all__ = []

_PREFIXES = "pnum_kMG"
_SMALLEST_EXPONENT = -12


def _register_unit(unit, prefixes):
    exponent = _SMALLEST_EXPONENT
    for prefix in _PREFIXES:
        if prefix in prefixes:
            name = unit if prefix == "_" else prefix + unit
            globals()[name] = 10.0 ** exponent
            __all__.append(name)
        exponent += 3


_register_unit("s", "pnum_")
_register_unit("Hz", "m_kMG")
_register_unit("dB", "_")
_register_unit("V", "um_k")
_register_unit("A", "um_")
_register_unit("W", "num_")
