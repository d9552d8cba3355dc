"""Exceptions of the instrument drivers.

Every message names the VISA resource and, where there is one, the command, so
that a failure seen in an experiment log (often through a controller RPC,
where only the message survives) says which instrument and which command
without a debugger.
"""


class InstrumentDriverError(Exception):
    """Base class: catch this to handle any failure of an instrument driver."""


class InstrumentError(InstrumentDriverError):
    """The instrument reported an error in its error queue."""


class InstrumentTimeout(InstrumentDriverError, TimeoutError):
    """The instrument did not answer within its timeout, after all retries."""


class InstrumentReplyError(InstrumentDriverError):
    """The instrument answered something the driver cannot interpret."""


class InstrumentConnectionError(InstrumentDriverError, ConnectionError):
    """The resource could not be opened or nothing answered there
    (wrong resource string, wrong backend, instrument switched off),
    or the driver was already closed."""


class SafetyLimitError(InstrumentDriverError, ValueError):
    """A setting was refused by the driver's configured safety limits;
    nothing was sent to the instrument."""
