"""Optical pumping into |0>: a pumping beam, optionally with a quench (repump) laser."""
from control.lang import kernel, parallel
from control.modules import Module

__all__ = ["OpticalPumping", "QuenchedPumping"]


class OpticalPumping(Module):
    """One TTL-switched pumping beam for a calibrated time."""

    def build(self, ttl):
        self.setattr_device(ttl, "ttl")

    def init(self):
        self.setattr_calibration("duration", 20e-6, unit="s", to_mu=True, min=0.0, max=0.1)

    @kernel
    def pump(self):
        self.ttl.pulse_mu(self.duration)

    @kernel
    def init_device(self):
        self.ttl.off()


class QuenchedPumping(OpticalPumping):
    """Pumping beam and quench laser together (e.g. 397 σ and 854 for 40Ca+)."""

    def build(self, ttl, quench):
        super().build(ttl)
        self.setattr_device(quench, "quench")

    @kernel
    def pump(self):
        with parallel:
            self.ttl.pulse_mu(self.duration)
            self.quench.pulse_mu(self.duration)

    @kernel
    def init_device(self):
        self.ttl.off()
        self.quench.off()
