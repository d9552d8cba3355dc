"""SI units with their prefixes, for hosts without ARTIQ.

Matches ``artiq.language.units`` of ARTIQ 9 (``9.9565+3740b92.beta``, the version the lab's
``artiq-lab`` build installs): the same names, in ``__all__`` in the same order, with the
same values (each the float ``10.0 ** exponent`` ARTIQ computes, written out). Each unit
has only the prefixes ARTIQ gives it: there is no ``ks`` or ``MV``. Parity is checked by
``tests/test_lang.py``, which runs each check on this module and, in the ARTIQ lane
(``make test-artiq``), on ARTIQ's.

``NumberValue`` and ``Scannable`` look a unit's name up here to find its scale, so a name
added here becomes a unit the dashboard accepts.
"""

# time
ps = 1e-12
ns = 1e-9
us = 1e-6
ms = 1e-3
s = 1.0

# frequency
mHz = 1e-3
Hz = 1.0
kHz = 1e3
MHz = 1e6
GHz = 1e9

# ratio
dB = 1.0

# voltage
uV = 1e-6
mV = 1e-3
V = 1.0
kV = 1e3

# current
uA = 1e-6
mA = 1e-3
A = 1.0

# power
nW = 1e-9
uW = 1e-6
mW = 1e-3
W = 1.0

__all__ = ["ps", "ns", "us", "ms", "s",
           "mHz", "Hz", "kHz", "MHz", "GHz",
           "dB",
           "uV", "mV", "V", "kV",
           "uA", "mA", "A",
           "nW", "uW", "mW", "W"]
