"""The synthesizer interface, and its safety-limited implementation over VISA.

``Synthesizer`` is what experiments and controllers rely on, whatever the
model: SI units (Hz, dBm, bool). ``LimitedSynthesizer`` holds the safety rules
once (frequency range, power range, power step) so that every model enforces
them the same way; a model only supplies its command strings.
"""
import abc
import time

from .limits import check_range, check_ramp_step, check_step, ramp_points
from .visa_base import VisaInstrument


class Synthesizer(abc.ABC):
    """Interface of a CW synthesizer (trap RF, microwave qubit drive)."""

    @abc.abstractmethod
    def set_frequency(self, hz):
        """Set the output frequency in Hz."""

    @abc.abstractmethod
    def get_frequency(self):
        """Return the output frequency in Hz, read back from the instrument."""

    @abc.abstractmethod
    def set_power(self, dbm):
        """Set the output power in dBm."""

    @abc.abstractmethod
    def get_power(self):
        """Return the output power in dBm, read back from the instrument."""

    @abc.abstractmethod
    def set_output(self, on):
        """Switch the RF output on (True) or off (False)."""

    @abc.abstractmethod
    def get_output(self):
        """Return True if the RF output is on, read back from the instrument."""

    @abc.abstractmethod
    def status(self):
        """Return a dict of the read-back state, for logs and dashboards."""

    @abc.abstractmethod
    def limits(self):
        """Return a dict of the configured safety limits."""

    @abc.abstractmethod
    def close(self):
        """Release the instrument (idempotent); leaves the output as it is."""

    @abc.abstractmethod
    def ping(self):
        """Return True if the instrument answers."""


class LimitedSynthesizer(VisaInstrument, Synthesizer):
    """A synthesizer over VISA with safety limits enforced in the driver.

    Limits come from the configuration (constructor arguments), so that no
    caller can forget them. A refused setting raises SafetyLimitError before
    anything is sent. Power changes larger than ``max_power_step_db`` from
    the read-back power are refused in either direction (a jump of trap RF
    heats the trap or loses the ions), whether the output is on or off; use
    ``ramp_power``.

    Subclasses define the frequency unit and commands of their model.
    """

    #: Instrument range, used when no narrower frequency limit is configured.
    MIN_FREQUENCY: float | None = None
    MAX_FREQUENCY: float | None = None
    MIN_POWER_DBM: float | None = None
    FREQUENCY_QUERY: str | None = None
    POWER_QUERY: str | None = None
    OUTPUT_QUERY: str | None = None
    #: The instrument's frequency unit in Hz (1e6 for a model that talks MHz).
    FREQUENCY_UNIT = 1.0

    def __init__(self, resource=None, *, min_frequency=None, max_frequency=None,
                 min_power_dbm=None, max_power_dbm=0.0, max_power_step_db=1.0,
                 **visa_kwargs):
        """See VisaInstrument for ``resource`` and ``visa_kwargs``
        (backend, simulation, timeout, attempts, retry_delay, terminations).

        :param min_frequency: lowest frequency allowed, Hz (default: the model's minimum).
        :param max_frequency: highest frequency allowed, Hz (default: the model's maximum).
        :param min_power_dbm: lowest power allowed (default: the model's minimum).
        :param max_power_dbm: highest power allowed, dBm.
        :param max_power_step_db: largest power change per setting, dB; None for no ramp limit.
        """
        name = resource or type(self).__name__
        self.min_frequency = self.MIN_FREQUENCY if min_frequency is None else float(min_frequency)
        self.max_frequency = self.MAX_FREQUENCY if max_frequency is None else float(max_frequency)
        self.min_power_dbm = self.MIN_POWER_DBM if min_power_dbm is None else float(min_power_dbm)
        self.max_power_dbm = float(max_power_dbm)
        self.max_power_step_db = None if max_power_step_db is None else float(max_power_step_db)
        if not self.min_frequency < self.max_frequency:
            raise ValueError("{}: frequency limits [{}, {}] Hz are empty".format(
                name, self.min_frequency, self.max_frequency))
        if self.min_power_dbm is not None and not self.min_power_dbm <= self.max_power_dbm:
            raise ValueError("{}: power limits [{}, {}] dBm are empty".format(
                name, self.min_power_dbm, self.max_power_dbm))
        if self.max_power_step_db is not None and not self.max_power_step_db > 0:
            raise ValueError("{}: max_power_step_db must be positive or None, not {}".format(
                name, self.max_power_step_db))
        super().__init__(resource, **visa_kwargs)

    # --- the model's commands

    def _frequency_command(self, value):
        """Command setting the frequency to ``value`` in the instrument's unit."""
        raise NotImplementedError

    def _power_command(self, dbm):
        raise NotImplementedError

    def _output_command(self, on):
        raise NotImplementedError

    # --- the interface

    def set_frequency(self, hz):
        check_range(self.resource, "frequency", hz, self.min_frequency, self.max_frequency, "Hz")
        self._send_setting(self._frequency_command(hz / self.FREQUENCY_UNIT))

    def get_frequency(self):
        return self._query_float(self.FREQUENCY_QUERY) * self.FREQUENCY_UNIT

    def _check_power(self, dbm):
        check_range(self.resource, "power", dbm, self.min_power_dbm, self.max_power_dbm, "dBm")

    def set_power(self, dbm):
        """Set the power; refused if out of range or further than
        ``max_power_step_db`` from the read-back power."""
        self._check_power(dbm)
        if self.max_power_step_db is not None:
            check_step(self.resource, "power", self.get_power(), dbm,
                       self.max_power_step_db, "dBm", "ramp_power")
        self._send_setting(self._power_command(dbm))

    def get_power(self):
        return self._query_float(self.POWER_QUERY)

    def ramp_power(self, target_dbm, step=None, dwell=0.0):
        """Walk the power to ``target_dbm`` in steps no larger than ``step``
        (default and maximum: ``max_power_step_db``), waiting ``dwell`` seconds
        between steps. The target is checked before the first step. Returns
        the read-back power."""
        self._check_power(target_dbm)
        step = check_ramp_step(self.resource, "power", step, self.max_power_step_db, "dB")
        points = ramp_points(self.get_power(), target_dbm, step)
        for i, dbm in enumerate(points):
            if i and dwell:
                time.sleep(dwell)
            self._send_setting(self._power_command(dbm))
        return self.get_power()

    def set_output(self, on):
        """Switch the output; before switching on, the read-back power is
        checked against the limits (it may have been set from the front panel)."""
        if on:
            self._check_power(self.get_power())
        self._send_setting(self._output_command(bool(on)))

    def get_output(self):
        return self._query_bool(self.OUTPUT_QUERY)

    def status(self):
        return {
            "resource": self.resource,
            "identity": self.identity,
            "frequency_hz": self.get_frequency(),
            "power_dbm": self.get_power(),
            "output": self.get_output(),
        }

    def limits(self):
        return {
            "min_frequency_hz": self.min_frequency,
            "max_frequency_hz": self.max_frequency,
            "min_power_dbm": self.min_power_dbm,
            "max_power_dbm": self.max_power_dbm,
            "max_power_step_db": self.max_power_step_db,
        }

    # close() and ping() come from VisaInstrument.
