"""171Yb+ trap: two hyperfine qubits (|0> = F=0, |1> = F=1, m=0).

Single-qubit gates by 12.6 GHz microwaves (an AD9910 intermediate frequency mixed with a
synthesizer; a field gradient splits the two ions' resonances, so a pulse's frequency picks
its qubit), MS gates by Raman beams on two AD9910 channels, 369 nm detection on a PMT per
ion read by ``TTLInOut`` gates (F=1 is bright), 369 nm cooling and pumping with the 935 nm
repumper.
"""
from control.modules import System, module

from drivers.modules.cooling import DopplerCooling
from drivers.modules.dds_beam import Ad9910Beam
from drivers.modules.detection import PmtDetection
from drivers.modules.instruments import MicrowaveSource, Oven, TrapRf
from drivers.modules.microwave import MicrowaveDrive
from drivers.modules.ms_gate import MsGate
from drivers.modules.pumping import OpticalPumping
from drivers.modules.ttl_beam import TTLBeam
from drivers.operations import IonTrapOperations

__all__ = ["System", "Yb171"]


class Yb171(System):
    system_name = "yb171"
    # Devices the hardware-in-the-loop checks exercise directly (hil/checks.py).
    HIL_DEVICES = {"ttl": "cool_369", "dds": "mw_dds"}
    # The calibrations the portable calibration graph measures (kernels.calibration).
    calibration_roles = {
        "detection.threshold": "detection.threshold",
        "qubit_frequency": ["drive.frequencies[0]", "drive.frequencies[1]"],
        "pi_time": "drive.pi_time",
        "ms.detuning": "ms.detuning",
        "ms.gate_time": "ms.gate_time",
    }

    repump = module(TTLBeam, ttl="repump_935")
    cooling = module(DopplerCooling, ttl="cool_369", repumper="repump")
    pumping = module(OpticalPumping, ttl="pump_369")
    detection = module(PmtDetection, counters=["pmt0", "pmt1"], light="detect_369",
                       repumper="repump", bright_state=1)
    drive = module(MicrowaveDrive, dds="mw_dds", num_qubits=2)
    ms = module(MsGate, red="raman_red", blue="raman_blue", beam_class=Ad9910Beam)
    ops = module(IonTrapOperations, num_qubits=2)

    trap_rf = module(TrapRf, device="trap_rf")
    oven = module(Oven, device="oven")
    mw_source = module(MicrowaveSource, device="mw_synth")


# The trap this package gives drivers.systems, under the name it reads.
System = Yb171  # type: ignore[misc]
