"""The simulated 40Ca+ trap: the ion model wired to this crate's channels, and the
calibrations a simulated run starts from (a lab's dataset database holds the real ones).

The model is given the physics the calibrations describe (perfectly calibrated), plus the
errors in ``ERRORS``; tests and the command line override them. |0> = S1/2 is bright.
"""
import math
import os

from drivers.systems import simkit

HERE = os.path.dirname(os.path.abspath(__file__))


def on_dds_grid(frequency):
    return simkit.on_dds_grid(frequency, bits=48)  # this crate's DDS tuning-word width


CALIBRATIONS = {
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
    "ca40.ms.gate_time": 120e-6,
    "ca40.ms.red.attenuation": 0.0,
    "ca40.ms.blue.attenuation": 0.0,
    "ca40.trap_rf.frequency": 30.0e6,
    "ca40.trap_rf.power": 8.0,
    "ca40.oven.current": 3.0,
}

ERRORS = {"depolarizing": 5e-4, "depolarizing_2q": 5e-3, "prep_error": 1e-3}

BRIGHT_RATE = 6.0e4  # counts/s of 397 nm fluorescence from an ion in S1/2
DARK_RATE = 3.0e3    # counts/s of background


def model(errors=None, calibrations=CALIBRATIONS):
    _, r, sw = simkit.crate(HERE)
    c = calibrations
    beams = {}
    for q in (0, 1):
        att = c["ca40.drive.beam{}.attenuation".format(q)]
        # Rabi frequency at full scale, so the attenuated beam has the calibrated pi time.
        rabi_full = 1 / (2 * c["ca40.drive.pi_time"]) / 10 ** (-att / 20)
        dds = "beam729_ion{}".format(q)
        beams["729_ion{}".format(q)] = {
            "kind": "rotation", "dds": r(dds), "switch": sw(dds), "qubits": [q],
            "resonance_hz": on_dds_grid(c["ca40.drive.beam{}.frequency".format(q)]),
            "rabi_hz": rabi_full}
    beams.update({
        "729_ms": {"kind": "ms", "dds": [r("beam729_red"), r("beam729_blue")],
                   "switch": [sw("beam729_red"), sw("beam729_blue")], "qubits": [0, 1],
                   "ms_rate": (math.pi / 2) / c["ca40.ms.gate_time"],
                   "carrier_hz": on_dds_grid(c["ca40.ms.carrier"]), "sideband_hz": c["ca40.ms.sideband"],
                   "detuning_hz": c["ca40.ms.detuning"]},
        # sigma 397 and the 854 quench together pump into S1/2(-1/2) = |0>
        "pump": {"kind": "pump", "switch": [r("pump_397s"), r("quench_854")],
                 "qubits": [0, 1], "min_time": 5e-6},
        "cool": {"kind": "cooling", "switch": r("cool_397")},
        "detect": {"kind": "detection", "switch": r("detect_397")},
    })
    return {
        "qubits": 2,
        "beams": beams,
        "detectors": simkit.detectors(r, ["pmt0", "pmt1"], "detect", BRIGHT_RATE,
                                      DARK_RATE, bright_state=0),
        "errors": dict(ERRORS if errors is None else errors),
    }


def sim_config(errors=None, seed=None, vcd=None, calibrations=None):
    """Keyword arguments for ``control.sim.enable`` (``errors`` replaces ``ERRORS``)."""
    return simkit.sim_config(model, CALIBRATIONS, errors, seed, vcd, calibrations)
