"""A beam switched by a TTL (an AOM's RF switch): repumpers, cooling, detection light."""
from control.lang import kernel
from control.modules import Module

__all__ = ["TTLBeam"]


class TTLBeam(Module):
    """On, off and pulses of one TTL-switched beam."""

    def build(self, ttl):
        self.setattr_device(ttl, "ttl")

    @kernel
    def on(self):
        self.ttl.on()

    @kernel
    def off(self):
        self.ttl.off()

    @kernel
    def pulse_mu(self, duration):
        self.ttl.pulse_mu(duration)

    @kernel
    def init_device(self):
        self.ttl.off()
