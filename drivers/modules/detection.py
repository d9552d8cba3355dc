"""State detection with one photon counter per ion (a PMT array or one PMT per ion).

The detection light and the repumper are on for a calibrated window while every
counter's gate is open; then each count is compared with the threshold. Which state is
bright is the trap's physics (``bright_state``): 171Yb+ |1> (F=1) scatters, 40Ca+ |0>
(S1/2) scatters while |1> (D5/2) stays dark.
"""
import numpy as np

from control.lang import TInt32, at_mu, delay_mu, kernel, now_mu
from control.modules import Module

from drivers.modules.counters import counter_for

__all__ = ["PmtDetection"]


class PmtDetection(Module):
    """``build(counters, light, repumper, bright_state)``: counter device names (one per
    qubit, TTLInOut or EdgeCounter), the detection light's TTL, the repumper module's name
    and the bright qubit state."""

    def build(self, counters, light, repumper, bright_state):
        if bright_state not in (0, 1):
            raise ValueError("bright_state is 0 or 1, not {!r}".format(bright_state))
        self.counters = [counter_for(self, "counter{}".format(i), dev)
                         for i, dev in enumerate(counters)]
        self.num_channels = len(self.counters)
        self.setattr_device(light, "light")
        self.repumper = self.system.get_module(repumper)
        self.bright_state = bright_state
        self.declare_invariants("counters", "num_channels", "repumper", "bright_state")
        # Written by kernels: the last detection's gate ends, counts and bits.
        self.gate_end = [np.int64(0)] * self.num_channels
        self.counts = [0] * self.num_channels
        self.bits = [0] * self.num_channels

    def init(self):
        self.setattr_calibration("window", unit="s", to_mu=True, min=1e-6, max=0.1)
        self.setattr_calibration("threshold", unit="counts", min=0)
        self.setattr_calibration("recovery", 10e-6, unit="s", to_mu=True, min=0.0, max=0.1)

    @kernel
    def detect_all(self):
        """Count on every channel at once; results in ``counts`` and ``bits``."""
        t0 = now_mu()
        self.repumper.on()
        self.light.on()
        for i in range(self.num_channels):
            at_mu(t0)
            self.gate_end[i] = self.counters[i].gate_mu(self.window)
        at_mu(t0 + self.window)
        self.light.off()
        for i in range(self.num_channels):
            c = self.counters[i].fetch(self.gate_end[i])
            self.counts[i] = c
            bright = 1 if c > self.threshold else 0
            self.bits[i] = bright if self.bright_state == 1 else 1 - bright
        # The reads left no slack: give the CPU room before the next events.
        delay_mu(self.recovery)

    @kernel
    def bit(self, channel: TInt32) -> TInt32:
        return self.bits[channel]

    @kernel
    def count(self, channel: TInt32) -> TInt32:
        return self.counts[channel]

    @kernel
    def init_device(self):
        self.light.off()
