"""The simulated 171Yb+ trap: the ion model wired to this crate's channels, and the
calibrations a simulated run starts from (a lab's dataset database holds the real ones).

The model is given the physics the calibrations describe (perfectly calibrated), plus the
errors in ``ERRORS``; tests and the command line override them.
"""
import math
import os

from drivers.systems import simkit

HERE = os.path.dirname(os.path.abspath(__file__))


def on_dds_grid(frequency):
    return simkit.on_dds_grid(frequency, bits=32)  # this crate's DDS tuning-word width


CALIBRATIONS = {
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
    "yb171.ms.gate_time": 200e-6,
    "yb171.ms.red.attenuation": 0.0,
    "yb171.ms.blue.attenuation": 0.0,
    "yb171.trap_rf.frequency": 20.0e6,
    "yb171.trap_rf.power": 5.0,
    "yb171.oven.current": 2.5,
    "yb171.mw_source.frequency": 12.4e9,
    "yb171.mw_source.power": 10.0,
}

ERRORS = {"depolarizing": 5e-4, "depolarizing_2q": 5e-3, "prep_error": 1e-3}

# Detection physics: 369 nm fluorescence collected from a bright ion, and background.
BRIGHT_RATE = 1.0e5  # counts/s
DARK_RATE = 1.0e3    # counts/s


def model(errors=None, calibrations=CALIBRATIONS):
    _, r, sw = simkit.crate(HERE)
    c = calibrations
    rabi_full = 1 / (2 * c["yb171.drive.pi_time"]) / c["yb171.drive.amplitude"]
    return {
        "qubits": 2,
        "beams": {
            "microwave": {"kind": "rotation", "dds": r("mw_dds"), "switch": sw("mw_dds"),
                          "qubits": [0, 1],
                          "resonance_hz": [on_dds_grid(f) for f in c["yb171.drive.frequencies"]],
                          "rabi_hz": rabi_full},
            "raman_ms": {"kind": "ms", "dds": [r("raman_red"), r("raman_blue")],
                         "switch": [sw("raman_red"), sw("raman_blue")], "qubits": [0, 1],
                         "ms_rate": (math.pi / 2) / c["yb171.ms.gate_time"],
                         "carrier_hz": on_dds_grid(c["yb171.ms.carrier"]),
                         "sideband_hz": c["yb171.ms.sideband"],
                         "detuning_hz": c["yb171.ms.detuning"]},
            "pump": {"kind": "pump", "switch": r("pump_369"), "qubits": [0, 1],
                     "min_time": 5e-6},
            "cool": {"kind": "cooling", "switch": r("cool_369")},
            "detect": {"kind": "detection", "switch": r("detect_369")},
        },
        "detectors": simkit.detectors(r, ["pmt0", "pmt1"], "detect", BRIGHT_RATE,
                                      DARK_RATE, bright_state=1),
        "errors": dict(ERRORS if errors is None else errors),
    }


def sim_config(errors=None, seed=None, vcd=None, calibrations=None):
    """Keyword arguments for ``control.sim.enable`` (``errors`` replaces ``ERRORS``)."""
    return simkit.sim_config(model, CALIBRATIONS, errors, seed, vcd, calibrations)
