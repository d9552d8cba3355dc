"""A beam behind an AOM driven by an Urukul DDS channel, with its RF switch.

``DdsChannel`` is what every module over one DDS channel shares (this beam, the
microwave drive): the channel, and the RF switch TTL its device-database entry names
(``sw_device``), which ARTIQ's DDS driver opens and the module owns.

Two classes because the two DDS chips differ in kernel signatures (ARTIQ's compiler type
checks every branch, so one class with an ``if`` cannot serve both): ``Ad9910Beam``
(32-bit frequency word, amplitude) and ``Ad9912Beam`` (48-bit frequency word, no
amplitude). Frequency, amplitude and attenuation are calibrations, converted to machine
words once on the host and folded into the kernel.
"""
from control.lang import TFloat, kernel
from control.modules import Module

__all__ = ["DdsChannel", "DdsBeam", "Ad9910Beam", "Ad9912Beam"]


class DdsChannel(Module):
    """A module over one Urukul DDS channel and its RF switch."""

    def setattr_dds(self, dds):
        """``self.dds``, the DDS channel ``dds``, and ``self.switch``, its RF switch
        (the channel driver's ``sw``), both kernel invariants; this module owns both.
        A ``ValueError`` if the channel's device-database entry names no ``sw_device``."""
        self.setattr_device(dds, "dds")
        sw = self.device_description(dds).get("arguments", {}).get("sw_device")
        if sw is None:
            raise ValueError("DDS channel {!r} of {} has no sw_device: the module needs "
                             "its RF switch".format(dds, self.module_key))
        self.claim_device(sw)  # the DDS driver opened it; this module owns it
        self.switch = self.dds.sw
        self.declare_invariants("switch")


class DdsBeam(DdsChannel):
    """Common part: devices, calibrations and switching.

    ``build(dds, frequency=None)``: ``frequency`` (Hz) fixes the tone instead of the
    ``frequency`` calibration (a parent module that computes its tones passes it).
    """

    def build(self, dds, frequency=None):
        self.setattr_dds(dds)
        self.fixed_frequency = frequency

    def init(self):
        if self.fixed_frequency is None:
            self.setattr_calibration("frequency", unit="Hz", min=0.0, max=self.max_frequency)
        else:
            self.frequency = self.fixed_frequency
        self.setattr_calibration("attenuation", unit="dB", min=0.0, max=31.5)
        self.ftw = self.dds.frequency_to_ftw(self.frequency)
        self.declare_invariants("ftw", "frequency")

    @kernel
    def on(self):
        self.switch.on()

    @kernel
    def off(self):
        self.switch.off()

    @kernel
    def pulse_mu(self, duration):
        self.switch.pulse_mu(duration)


class Ad9910Beam(DdsBeam):
    max_frequency = 400e6

    def init(self):
        super().init()
        self.setattr_calibration("amplitude", 1.0, min=0.0, max=1.0)
        self.asf = self.dds.amplitude_to_asf(self.amplitude)
        self.declare_invariants("asf")

    @kernel
    def set_phase(self, turns: TFloat):
        """Write the calibrated tone with this phase (turns)."""
        self.dds.set_mu(self.ftw, self.dds.turns_to_pow(turns), self.asf)

    @kernel
    def init_device(self):
        self.switch.off()
        self.dds.set_att(self.attenuation)
        self.dds.set_mu(self.ftw, 0, self.asf)


class Ad9912Beam(DdsBeam):
    max_frequency = 400e6

    @kernel
    def set_phase(self, turns: TFloat):
        """Write the calibrated tone with this phase (turns)."""
        self.dds.set_mu(self.ftw, self.dds.turns_to_pow(turns))

    @kernel
    def init_device(self):
        self.switch.off()
        self.dds.set_att(self.attenuation)
        self.dds.set_mu(self.ftw, 0)
