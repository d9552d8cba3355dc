"""Photon counters with one kernel interface, over either ARTIQ input device.

``TTLGateCounter`` counts edges on a ``TTLInOut`` (``gate_rising_mu`` + ``count``);
``EdgeGateCounter`` uses the gateware ``EdgeCounter`` (``gate_rising_mu`` +
``fetch_count``). :func:`counter_for` picks the right one from the device database, so a
detection module works with either without knowing which.
"""
from control.lang import TInt32, TInt64, kernel
from control.modules import Module

__all__ = ["TTLGateCounter", "EdgeGateCounter", "counter_for"]


class TTLGateCounter(Module):
    def build(self, device):
        self.setattr_device(device, "input")

    @kernel
    def gate_mu(self, duration: TInt64) -> TInt64:
        """Open the gate for ``duration`` mu from now; returns the gate's end."""
        return self.input.gate_rising_mu(duration)

    @kernel
    def fetch(self, gate_end: TInt64) -> TInt32:
        """The count of the gate that ends at ``gate_end`` (blocks until then)."""
        return self.input.count(gate_end)


class EdgeGateCounter(Module):
    def build(self, device):
        self.setattr_device(device, "input")

    @kernel
    def gate_mu(self, duration: TInt64) -> TInt64:
        return self.input.gate_rising_mu(duration)

    @kernel
    def fetch(self, gate_end: TInt64) -> TInt32:
        return self.input.fetch_count()


_BY_CLASS = {"TTLInOut": TTLGateCounter, "EdgeCounter": EdgeGateCounter}


def counter_for(parent, name, device):
    """A counter module over ``device``, of the class its device-database entry needs."""
    desc = parent.device_description(device)  # names device, module and DB if missing
    cls = _BY_CLASS.get(desc.get("class"))
    if cls is None:
        raise ValueError("{}: device {!r} is a {}, not a photon counter (TTLInOut or "
                         "EdgeCounter)".format(parent.module_key, device, desc.get("class")))
    return cls(parent, name, device=device)
