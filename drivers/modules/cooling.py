"""Doppler cooling: the cooling beam for a calibrated time, with the repumper on."""
from control.lang import kernel
from control.modules import Module

__all__ = ["DopplerCooling"]


class DopplerCooling(Module):
    """``build(ttl, repumper)``: the cooling beam's TTL, and the system module name of the
    repumper (a ``TTLBeam`` shared with pumping and detection, which owns that TTL)."""

    def build(self, ttl, repumper):
        self.setattr_device(ttl, "ttl")
        self.repumper = self.system.get_module(repumper)
        self.declare_invariants("repumper")

    def init(self):
        self.setattr_calibration("duration", 1e-3, unit="s", to_mu=True, min=0.0, max=1.0)

    @kernel
    def cool(self):
        self.repumper.on()
        self.ttl.pulse_mu(self.duration)

    @kernel
    def init_device(self):
        self.ttl.off()
