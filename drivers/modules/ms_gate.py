"""The Mølmer–Sørensen gate: two tones, red and blue of a motional sideband by a detuning,
on the same ions at once.

Tone frequencies come from calibrations: ``carrier`` (the DDS frequency on resonance),
``sideband`` (the motional mode, Hz) and ``detuning`` (from the sideband, Hz):
red = carrier − sideband − detuning, blue = carrier + sideband + detuning. ``gate_time``
is the duration of the fully entangling gate (θ = π/2); other angles scale it. The spin
phase of the interaction is the mean of the two tones' phases.
"""
from numpy import int64

from control.constants import PI
from control.lang import TFloat, kernel, parallel
from control.modules import Module

__all__ = ["MsGate"]

HALF_PI = PI / 2


class MsGate(Module):
    """``build(red, blue, beam_class)``: the two tones' DDS channels."""

    def build(self, red, blue, beam_class):
        self.red = beam_class(self, "red", dds=red, frequency=0.0)
        self.blue = beam_class(self, "blue", dds=blue, frequency=0.0)
        self.declare_invariants("red", "blue")

    def init(self):
        carrier = self.get_calibration("carrier")
        sideband = self.get_calibration("sideband")
        detuning = self.get_calibration("detuning")
        red = carrier - sideband - detuning
        blue = carrier + sideband + detuning
        if red <= 0:
            from control.modules import CalibrationError
            raise CalibrationError("{}: the red tone would be at {} Hz".format(
                self.module_key, red))
        # The tones' own init (after this one) converts these to frequency words.
        self.red.fixed_frequency = red
        self.blue.fixed_frequency = blue
        self.setattr_calibration("gate_time", unit="s", to_mu=True, min=1e-7, max=1e-2)

    @kernel
    def ms(self, theta: TFloat, phi: TFloat):
        """exp(-i theta/2 S_phi S_phi) on the pair; ``phi`` in radians."""
        turns = phi / (2.0 * PI)
        if theta < 0.0:
            # A global beam gives both ions the same spin phase, so the sign of the
            # interaction cannot be flipped by phases: exp(+i a XX) = -exp(-i (2 pi - a) XX).
            theta += 2.0 * PI
        self.red.set_phase(turns)
        self.blue.set_phase(turns)
        duration = int64(round(self.gate_time * theta / HALF_PI))
        with parallel:
            self.red.pulse_mu(duration)
            self.blue.pulse_mu(duration)

    @kernel
    def init_device(self):
        self.red.init_device()
        self.blue.init_device()
