"""RTIO exceptions for when ARTIQ is absent; ``control.lang`` exports ARTIQ's otherwise.

They carry the same meaning as ``artiq.coredevice.exceptions``: an event submitted with a
timestamp already in the past (underflow) or more events than the FIFOs hold (overflow).
"""


class RTIOUnderflow(Exception):
    """An RTIO event was submitted after its timestamp had passed."""
    artiq_builtin = True


class RTIOOverflow(Exception):
    """More RTIO input or output events than the FIFO holds."""
    artiq_builtin = True
