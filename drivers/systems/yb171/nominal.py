"""The 171Yb+ trap's nominal calibrations, plain data a lab edits for its own trap (what they
are for: ``drivers.systems.nominal_calibrations``)."""

NOMINAL = {
    "yb171.cooling.duration": 1e-3,
    "yb171.pumping.duration": 20e-6,
    "yb171.detection.window": 300e-6,
    "yb171.detection.threshold": 3,
    "yb171.drive.frequencies": [200.0e6, 212.5e6],  # DDS frequency of each ion's line
    "yb171.drive.pi_time": 10e-6,
    "yb171.drive.amplitude": 0.5,
    "yb171.drive.attenuation": 0.0,
    "yb171.ms.carrier": 205.0e6,
    "yb171.ms.sideband": 3.0e6,
    "yb171.ms.detuning": 25.0e3,
    "yb171.ms.gate_time": 200e-6,  # 5 loops of the 25 kHz detuning: the gate closes
    "yb171.ms.red.attenuation": 0.0,
    "yb171.ms.blue.attenuation": 0.0,
    "yb171.trap_rf.frequency": 20.0e6,
    "yb171.trap_rf.power": 5.0,
    "yb171.oven.current": 2.5,
    "yb171.mw_source.frequency": 12.4e9,
    "yb171.mw_source.power": 10.0,
}
