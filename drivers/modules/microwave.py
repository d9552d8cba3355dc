"""Single-qubit gates by microwaves through one AD9910 channel (171Yb+ hyperfine qubit).

The DDS makes the intermediate frequency that a synthesizer mixes up to 12.6 GHz; a
magnetic-field gradient separates the ions' resonances, so a qubit is addressed by the
frequency of the pulse. Rotation angle sets the pulse length from the calibrated π time;
the axis is the DDS phase.
"""
import numpy as np
from numpy import int64

from control.constants import PI
from control.lang import TFloat, TInt32, kernel
from drivers.modules.dds_beam import DdsChannel

__all__ = ["MicrowaveDrive"]


class MicrowaveDrive(DdsChannel):
    """``build(dds, num_qubits)``; calibrations ``frequencies`` (Hz per qubit, at the DDS),
    ``pi_time``, ``amplitude`` and ``attenuation``."""

    def build(self, dds, num_qubits):
        self.setattr_dds(dds)
        self.num_qubits = num_qubits
        self.declare_invariants("num_qubits")

    def init(self):
        freqs = self.get_calibration("frequencies")
        if len(freqs) != self.num_qubits:
            from control.modules import CalibrationError
            raise CalibrationError("{} needs {} frequencies, one per qubit, not {!r}".format(
                self.calibration_key("frequencies"), self.num_qubits, freqs))
        # an array, not a list: ARTIQ quotes a list as a global the optimizer cannot fold
        self.ftws = np.array([self.dds.frequency_to_ftw(f) for f in freqs], dtype=np.int32)
        self.setattr_calibration("pi_time", unit="s", to_mu=True, min=1e-9, max=1e-2)
        # The pulse length is worked out in floating point, from a float: an int64
        # pi_time would be converted on every pulse where rotate is not inlined, and on
        # the simulator numpy's int64-by-float arithmetic costs 0.8 µs a pulse.
        self.pi_time_float = float(self.pi_time)
        self.setattr_calibration("amplitude", 1.0, min=0.0, max=1.0)
        self.setattr_calibration("attenuation", unit="dB", min=0.0, max=31.5)
        self.asf = self.dds.amplitude_to_asf(self.amplitude)
        self.declare_invariants("ftws", "asf", "pi_time_float")

    @kernel
    def rotate(self, theta: TFloat, phi: TFloat, qubit: TInt32):
        """Rotate ``qubit`` by ``theta`` about cos(phi) X + sin(phi) Y."""
        turns = phi / (2.0 * PI)
        if theta < 0.0:
            theta = -theta
            turns += 0.5
        self.dds.set_mu(self.ftws[qubit], self.dds.turns_to_pow(turns), self.asf)
        self.switch.pulse_mu(int64(round(self.pi_time_float * theta / PI)))

    @kernel
    def init_device(self):
        self.switch.off()
        self.dds.set_att(self.attenuation)
        self.dds.set_mu(self.ftws[0], 0, self.asf)

