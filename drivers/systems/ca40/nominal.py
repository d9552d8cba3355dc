"""The 40Ca+ trap's nominal calibrations, plain data a lab edits for its own trap (what they
are for: ``drivers.systems.nominal_calibrations``)."""

NOMINAL = {
    "ca40.cooling.duration": 1e-3,
    "ca40.pumping.duration": 30e-6,
    "ca40.detection.window": 1e-3,
    "ca40.detection.threshold": 15,
    "ca40.drive.pi_time": 8e-6,
    "ca40.drive.beam0.frequency": 80.0e6,
    "ca40.drive.beam0.attenuation": 3.0,
    "ca40.drive.beam1.frequency": 80.0e6,
    "ca40.drive.beam1.attenuation": 3.0,
    "ca40.ms.carrier": 80.0e6,
    "ca40.ms.sideband": 1.2e6,
    "ca40.ms.detuning": 12.5e3,
    # 2 loops of the 12.5 kHz detuning: the gate closes (detuning × gate time whole)
    "ca40.ms.gate_time": 160e-6,
    "ca40.ms.red.attenuation": 0.0,
    "ca40.ms.blue.attenuation": 0.0,
    "ca40.trap_rf.frequency": 30.0e6,
    "ca40.trap_rf.power": 8.0,
    "ca40.oven.current": 3.0,
}
