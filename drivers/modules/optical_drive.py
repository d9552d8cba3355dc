"""Single-qubit gates on an optical transition with one addressed beam per ion (40Ca+ at
729 nm): each ion's AOM has its own DDS channel, so ions are addressed in space."""
from numpy import int64

from control.constants import PI
from control.lang import TFloat, TInt32, kernel
from control.modules import Module

__all__ = ["AddressedDrive"]


class AddressedDrive(Module):
    """``build(beams, beam_class)``: one DDS channel name per qubit and the beam module
    class for that DDS chip (``Ad9910Beam`` or ``Ad9912Beam``); calibration ``pi_time``."""

    def build(self, beams, beam_class):
        self.beams = [beam_class(self, "beam{}".format(q), dds=dds)
                      for q, dds in enumerate(beams)]
        self.num_qubits = len(self.beams)
        self.declare_invariants("beams", "num_qubits")

    def init(self):
        self.setattr_calibration("pi_time", unit="s", to_mu=True, min=1e-9, max=1e-2)
        # The pulse length is worked out in floating point; with pi_time an int64 the
        # kernel would convert it on every pulse wherever rotate is not inlined.
        self.pi_time_float = float(self.pi_time)
        self.declare_invariants("pi_time_float")

    @kernel
    def rotate(self, theta: TFloat, phi: TFloat, qubit: TInt32):
        """Rotate ``qubit`` by ``theta`` about cos(phi) X + sin(phi) Y."""
        turns = phi / (2.0 * PI)
        if theta < 0.0:
            theta = -theta
            turns += 0.5
        beam = self.beams[qubit]
        beam.set_phase(turns)
        beam.pulse_mu(int64(round(self.pi_time_float * theta / PI)))

    @kernel
    def init_device(self):
        for beam in self.beams:
            beam.init_device()
