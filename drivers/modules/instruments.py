"""Modules over the slow lab instruments (served as ARTIQ controllers): trap RF, atomic
oven, microwave local oscillator. Their methods are host-only: instruments are set between
kernels, never from one. Safety limits live in the instrument drivers themselves; these
modules add the lab's operating points (calibrations) and the checks experiments call in
``prepare``.
"""
from control.lang import host_only
from control.modules import Module, ModuleError

__all__ = ["TrapRf", "Oven", "MicrowaveSource", "TrapNotReady"]


class TrapNotReady(ModuleError):
    """The trap is not in a state to run a kernel experiment (e.g. trap RF off)."""


class _InstrumentModule(Module):
    def build(self, device):
        self.setattr_device(device, "instrument")
        self.device_name = device

    @host_only
    def status(self):
        """The instrument's own status report (a dict)."""
        return self.instrument.status()

    @host_only
    def limits(self):
        """The safety limits the instrument's driver enforces."""
        return self.instrument.limits()


class TrapRf(_InstrumentModule):
    """The trap's RF drive. Calibrations: ``frequency`` (Hz), ``power`` (dBm, operating)."""

    def init(self):
        self.setattr_calibration("frequency", unit="Hz", min=1e6, max=1e9)
        self.setattr_calibration("power", unit="dBm", min=-100.0, max=40.0)

    @host_only
    def ramp_up(self, dwell=0.0):
        """Set the frequency, switch on at the driver's lowest power, ramp to the
        operating power in the steps the driver allows."""
        self.instrument.set_frequency(self.frequency)
        self.instrument.ramp_power(self.power, dwell=dwell)
        self.instrument.set_output(True)

    @host_only
    def ramp_down(self, floor_dbm=None, dwell=0.0):
        floor = self.instrument.limits().get("min_power_dbm", -30.0) \
            if floor_dbm is None else floor_dbm
        self.instrument.ramp_power(floor, dwell=dwell)
        self.instrument.set_output(False)

    @host_only
    def is_on(self):
        return bool(self.instrument.get_output())

    @host_only
    def require_on(self, user="this experiment"):
        """Refuse to run a kernel experiment without trapping RF (call it in
        ``prepare``)."""
        if not self.is_on():
            raise TrapNotReady("{} needs the trap RF on, but {} ({}) reports its output "
                               "off; run the trap RF ramp first".format(
                                   user, self.module_key, self.device_name))
        power = self.instrument.get_power()
        if abs(power - self.power) > 0.5:
            raise TrapNotReady("{} needs the trap RF at {} dBm, but {} is at {} dBm".format(
                user, self.power, self.module_key, power))


class Oven(_InstrumentModule):
    """The atomic oven's current supply. Calibration: ``current`` (A, loading)."""

    def init(self):
        self.setattr_calibration("current", unit="A", min=0.0, max=10.0)

    @host_only
    def ramp_up(self, dwell=0.0):
        self.instrument.set_output(True)
        self.instrument.ramp_current(self.current, dwell=dwell)

    @host_only
    def ramp_down(self, dwell=0.0):
        self.instrument.ramp_current(0.0, dwell=dwell)
        self.instrument.set_output(False)


class MicrowaveSource(_InstrumentModule):
    """The microwave local oscillator mixed with a DDS (171Yb+ qubit at 12.6 GHz).
    Calibrations: ``frequency`` (Hz), ``power`` (dBm)."""

    def init(self):
        self.setattr_calibration("frequency", unit="Hz", min=1e9, max=20e9)
        self.setattr_calibration("power", unit="dBm", min=-100.0, max=30.0)

    @host_only
    def apply(self):
        """Set the oscillator to its calibrated frequency and power, output on."""
        self.instrument.set_frequency(self.frequency)
        self.instrument.ramp_power(self.power)
        self.instrument.set_output(True)
