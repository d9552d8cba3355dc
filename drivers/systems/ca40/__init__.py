"""40Ca+ trap: two optical qubits on the 729 nm S1/2 – D5/2 transition (|0> = S, |1> = D).

Single-qubit gates by addressed 729 nm beams, one AOM per ion on its own AD9912 channel
(Urukul attenuators set the power), MS gates by a bichromatic 729 nm beam from two more
AD9912 channels, 397 nm detection on a PMT per ion read by the gateware ``EdgeCounter``
(S is bright, D dark), 397 nm cooling with the 866 nm repumper, and optical pumping by
σ-polarized 397 nm light with the 854 nm quench laser.
"""
from control.modules import System, module

from drivers.modules.cooling import DopplerCooling
from drivers.modules.dds_beam import Ad9912Beam
from drivers.modules.detection import PmtDetection
from drivers.modules.instruments import Oven, TrapRf
from drivers.modules.ms_gate import MsGate
from drivers.modules.optical_drive import AddressedDrive
from drivers.modules.pumping import QuenchedPumping
from drivers.modules.ttl_beam import TTLBeam
from drivers.operations import IonTrapOperations

__all__ = ["System", "Ca40"]


class Ca40(System):
    system_name = "ca40"
    # Devices the hardware-in-the-loop checks exercise directly (hil/checks.py).
    HIL_DEVICES = {"ttl": "cool_397", "dds": "beam729_ion0"}
    # The calibrations the portable calibration graph measures (kernels.calibration).
    calibration_roles = {
        "detection.threshold": "detection.threshold",
        "qubit_frequency": ["drive.beam0.frequency", "drive.beam1.frequency"],
        "pi_time": "drive.pi_time",
        "ms.detuning": "ms.detuning",
        "ms.gate_time": "ms.gate_time",
    }

    repump = module(TTLBeam, ttl="repump_866")
    cooling = module(DopplerCooling, ttl="cool_397", repumper="repump")
    pumping = module(QuenchedPumping, ttl="pump_397s", quench="quench_854")
    detection = module(PmtDetection, counters=["pmt0", "pmt1"], light="detect_397",
                       repumper="repump", bright_state=0)
    drive = module(AddressedDrive, beams=["beam729_ion0", "beam729_ion1"],
                   beam_class=Ad9912Beam)
    ms = module(MsGate, red="beam729_red", blue="beam729_blue", beam_class=Ad9912Beam)
    # This trap plays Z rotations as pulses (no virtual Z): its compiled sequences differ.
    ops = module(IonTrapOperations, num_qubits=2, virtual_z=False)

    trap_rf = module(TrapRf, device="trap_rf")
    oven = module(Oven, device="oven")


# The trap this package gives drivers.systems, under the name it reads.
System = Ca40  # type: ignore[misc]
