"""Driver of an SCPI DC power supply, e.g. the current source of an atomic oven.

An oven is run by current; too much current, or too sudden a change, burns
the oven or coats the trap. The limits are therefore in the driver, from its
configuration: ``max_current`` and a ramp limit ``max_current_step``, plus a
voltage compliance limit ``max_voltage``.
"""
import time

from .errors import SafetyLimitError
from .limits import STEP_TOLERANCE, check_range, check_ramp_step, check_step, ramp_points
from .visa_base import VisaInstrument


class PowerSupply(VisaInstrument):
    """SCPI DC power supply with safety limits.

    Sends ``VOLT <V>``, ``CURR <A>`` (the current limit, i.e. the set point
    in constant-current mode), ``OUTP ON|OFF``; reads ``VOLT?``, ``CURR?``,
    ``OUTP?``, ``MEAS:CURR?``, ``MEAS:VOLT?`` and ``SYST:ERR?``.

    Current changes larger than ``max_current_step`` from the read-back set
    point are refused, output on or off (use ``ramp_current``); switching the
    output on is refused while the set point is more than one step above 0 A,
    since that is a jump from 0 A.
    """

    SIM_FILE = "power_supply.yaml"
    SIM_RESOURCE = "TCPIP0::192.168.1.21::inst0::INSTR"
    READ_TERMINATION = "\n"
    WRITE_TERMINATION = "\n"

    def __init__(self, resource=None, *, max_voltage=5.0, max_current=2.0,
                 max_current_step=0.2, **visa_kwargs):
        """See VisaInstrument for ``resource`` and ``visa_kwargs``.

        :param max_voltage: highest voltage set point allowed, V.
        :param max_current: highest current set point allowed, A.
        :param max_current_step: largest current change per setting, A; None for no ramp limit.
        """
        name = resource or type(self).__name__
        self.max_voltage = float(max_voltage)
        self.max_current = float(max_current)
        self.max_current_step = None if max_current_step is None else float(max_current_step)
        if not self.max_voltage > 0 or not self.max_current > 0:
            raise ValueError("{}: max_voltage and max_current must be positive, not {} V, {} A"
                             .format(name, max_voltage, max_current))
        if self.max_current_step is not None and not self.max_current_step > 0:
            raise ValueError("{}: max_current_step must be positive or None, not {}"
                             .format(name, max_current_step))
        super().__init__(resource, **visa_kwargs)

    def set_voltage(self, volts):
        check_range(self.resource, "voltage", volts, 0.0, self.max_voltage, "V")
        self._send_setting("VOLT {:.6f}".format(volts))

    def get_voltage(self):
        """The voltage set point, V."""
        return self._query_float("VOLT?")

    def _check_current(self, amps):
        check_range(self.resource, "current", amps, 0.0, self.max_current, "A")

    def set_current(self, amps):
        """Set the current set point; refused if above ``max_current`` or
        further than ``max_current_step`` from the read-back set point."""
        self._check_current(amps)
        if self.max_current_step is not None:
            check_step(self.resource, "current", self.get_current(), amps,
                       self.max_current_step, "A", "ramp_current")
        self._send_setting("CURR {:.6f}".format(amps))

    def get_current(self):
        """The current set point, A (see measure_current for the actual current)."""
        return self._query_float("CURR?")

    def ramp_current(self, target, step=None, dwell=0.0):
        """Walk the current set point to ``target`` in steps no larger than
        ``step`` (default and maximum: ``max_current_step``), waiting ``dwell``
        seconds between steps. The target is checked before the first step.
        Returns the read-back set point."""
        self._check_current(target)
        step = check_ramp_step(self.resource, "current", step, self.max_current_step, "A")
        points = ramp_points(self.get_current(), target, step)
        for i, amps in enumerate(points):
            if i and dwell:
                time.sleep(dwell)
            self._send_setting("CURR {:.6f}".format(amps))
        return self.get_current()

    def measure_current(self):
        """The measured output current, A."""
        return self._query_float("MEAS:CURR?")

    def measure_voltage(self):
        """The measured output voltage, V."""
        return self._query_float("MEAS:VOLT?")

    def set_output(self, on):
        """Switch the output. Switching on checks the read-back set points
        first (they may have been changed from the front panel)."""
        if on:
            amps = self.get_current()
            self._check_current(amps)
            check_range(self.resource, "voltage", self.get_voltage(), 0.0, self.max_voltage, "V")
            if (self.max_current_step is not None
                    and amps > self.max_current_step + STEP_TOLERANCE):
                raise SafetyLimitError(
                    "{}: output on refused: the current set point {:g} A would be a jump "
                    "from 0 A larger than the configured maximum step {:g} A; set it to at "
                    "most {:g} A, switch on, then use ramp_current(); nothing was sent"
                    .format(self.resource, amps, self.max_current_step, self.max_current_step))
        self._send_setting("OUTP ON" if on else "OUTP OFF")

    def get_output(self):
        return self._query_bool("OUTP?")

    def status(self):
        return {
            "resource": self.resource,
            "identity": self.identity,
            "voltage_v": self.get_voltage(),
            "current_a": self.get_current(),
            "output": self.get_output(),
            "measured_current_a": self.measure_current(),
            "measured_voltage_v": self.measure_voltage(),
        }

    def limits(self):
        return {
            "max_voltage_v": self.max_voltage,
            "max_current_a": self.max_current,
            "max_current_step_a": self.max_current_step,
        }
