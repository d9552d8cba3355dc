"""The simulated 40Ca+ trap: the ion model wired to this crate's channels. A simulated
run starts from the trap's nominal calibrations (``nominal.py``; a lab's dataset database
holds the real ones).

The model is built from the trap's truth (``drivers.systems.simkit`` names its keys),
which by default is the physics the calibrations describe (a perfectly calibrated trap),
plus the errors in ``ERRORS``; tests and the command line override them. |0> = S1/2 is
bright. The truth can be moved away from the calibrations and made to drift in simulated
time::

    sim_config(truth_offsets={"resonance_hz": [20e3, -20e3], "rabi_scale": 1.05,
                              "bright_rate_scale": 0.9, "ms_detuning_hz": 2e3},
               drift=[{"param": "resonance_hz", "walk": 20.0}], seed=1)

Truth and calibrations (``truth_from_calibrations`` one way, ``calibrations_from_truth``
the other; ``IonModel.truth()`` reports the latter at the current simulated time):

* ``ca40.drive.beam<q>.frequency`` — ``resonance_hz`` of qubit q (each ion has its own
  729 beam);
* ``ca40.drive.pi_time`` — 1 / (2 ``rabi_hz`` a_q) at beam q's calibrated attenuation,
  a_q = 10^(−``attenuation``/20) (the mean over the qubits: one π time for both beams);
* ``ca40.ms.carrier`` — ``ms_carrier_hz``; ``ca40.ms.sideband`` — the lab's own (only
  sideband + detuning places the tones); ``ca40.ms.detuning`` — ``ms_mode_hz`` +
  ``ms_detuning_hz`` − the calibrated sideband (the truth offset ``ms_detuning_hz`` moves
  the mode, so this moves with it and the gate time does not);
* ``ca40.ms.gate_time`` — (π/2) / (``ms_rate`` a_red a_blue), at the tones' calibrated
  attenuations;
* ``ca40.detection.bright_rate`` / ``dark_rate`` — the count rates per qubit (counts/s):
  not calibrations a module reads, but what a detection calibration measures (its threshold
  is a choice: ``simkit.best_threshold``).
"""
import math
import os

from drivers.systems import simkit
from drivers.systems.ca40.nominal import NOMINAL

HERE = os.path.dirname(os.path.abspath(__file__))


def on_dds_grid(frequency):
    return simkit.on_dds_grid(frequency, bits=48)  # this crate's DDS tuning-word width


# A simulated run starts from the trap's nominal values.
CALIBRATIONS = dict(NOMINAL)

ERRORS = {"depolarizing": 5e-4, "depolarizing_2q": 5e-3, "prep_error": 1e-3}

BRIGHT_RATE = 6.0e4  # counts/s of 397 nm fluorescence from an ion in S1/2
DARK_RATE = 3.0e3    # counts/s of background


#: What ``IonModel.truth()`` calls to turn the model's physics into calibrations.
TRUTH_MAP = "drivers.systems.ca40.sim:calibration_truth"
QUBITS = (0, 1)


def _attenuation(c, prefix):
    """The amplitude a calibrated AD9912 tone reaches (no DDS amplitude: attenuation)."""
    return 10 ** (-c.get(prefix + ".attenuation", 0.0) / 20)


def truth_from_calibrations(calibrations=CALIBRATIONS):
    """The truth (``simkit.TRUTH_KEYS``) that ``calibrations`` describe: a perfectly
    calibrated trap."""
    c = calibrations
    return {
        "resonance_hz": [on_dds_grid(c["ca40.drive.beam{}.frequency".format(q)])
                         for q in QUBITS],
        # Rabi frequency at full scale, so the attenuated beam has the calibrated pi time.
        "rabi_hz": [1 / (2 * c["ca40.drive.pi_time"])
                    / 10 ** (-c["ca40.drive.beam{}.attenuation".format(q)] / 20)
                    for q in QUBITS],
        "ms_rate": (math.pi / 2) / c["ca40.ms.gate_time"]
        / (_attenuation(c, "ca40.ms.red") * _attenuation(c, "ca40.ms.blue")),
        "ms_carrier_hz": on_dds_grid(c["ca40.ms.carrier"]),
        "ms_mode_hz": c["ca40.ms.sideband"],
        "ms_detuning_hz": c["ca40.ms.detuning"],
        "bright_rate": [BRIGHT_RATE] * len(QUBITS),
        "dark_rate": [DARK_RATE] * len(QUBITS),
    }


def calibrations_from_truth(truth, calibrations=CALIBRATIONS):
    """What a perfect calibration of the trap whose physics is ``truth`` would write,
    given the lab's other choices in ``calibrations`` (attenuations, the MS sideband):
    see the module docstring."""
    c = calibrations
    out = {"ca40.drive.beam{}.frequency".format(q): truth["resonance_hz"][q]
           for q in QUBITS}
    rabi = [truth["rabi_hz"][q] * _attenuation(c, "ca40.drive.beam{}".format(q))
            for q in QUBITS]
    ms = truth["ms_rate"] * _attenuation(c, "ca40.ms.red") * _attenuation(c, "ca40.ms.blue")
    out.update(simkit.calibrations_of("ca40", truth, c, rabi, ms))
    return out


def calibration_truth(physics, calibrations=CALIBRATIONS):
    """``IonModel.truth()``'s map (``TRUTH_MAP``): the model's physics as calibrations."""
    return calibrations_from_truth(simkit.truth_of(physics), calibrations)


def model(errors=None, calibrations=CALIBRATIONS, truth=None):
    """The ion-model config: this crate's channels, with the physics of ``truth``
    (default: what ``calibrations`` describe)."""
    _, r, sw = simkit.crate(HERE)
    t = truth_from_calibrations(calibrations) if truth is None else truth
    beams = {}
    for q in QUBITS:
        dds = "beam729_ion{}".format(q)
        beams["729_ion{}".format(q)] = {
            "kind": "rotation", "dds": r(dds), "switch": sw(dds), "qubits": [q],
            "resonance_hz": t["resonance_hz"][q], "rabi_hz": t["rabi_hz"][q]}
    beams.update({
        "729_ms": {"kind": "ms", "dds": [r("beam729_red"), r("beam729_blue")],
                   "switch": [sw("beam729_red"), sw("beam729_blue")], "qubits": [0, 1],
                   "ms_rate": t["ms_rate"], "carrier_hz": t["ms_carrier_hz"],
                   "sideband_hz": t["ms_mode_hz"], "detuning_hz": t["ms_detuning_hz"]},
        # sigma 397 and the 854 quench together pump into S1/2(-1/2) = |0>
        "pump": {"kind": "pump", "switch": [r("pump_397s"), r("quench_854")],
                 "qubits": [0, 1], "min_time": 5e-6},
        "cool": {"kind": "cooling", "switch": r("cool_397")},
        "detect": {"kind": "detection", "switch": r("detect_397")},
    })
    return {
        "qubits": 2,
        "beams": beams,
        "detectors": simkit.detectors(r, ["pmt0", "pmt1"], "detect", t["bright_rate"],
                                      t["dark_rate"], bright_state=0),
        "errors": dict(ERRORS if errors is None else errors),
    }


def sim_config(errors=None, seed=None, vcd=None, calibrations=None, truth=None,
               truth_offsets=None, drift=None):
    """Keyword arguments for ``control.sim.enable`` (``errors`` replaces ``ERRORS``;
    ``calibrations`` updates ``CALIBRATIONS``; ``truth``, ``truth_offsets`` and ``drift``
    as ``drivers.systems.simkit`` describes)."""
    return simkit.sim_config(model, truth_from_calibrations, CALIBRATIONS, TRUTH_MAP,
                             errors, seed, vcd, calibrations, truth=truth,
                             truth_offsets=truth_offsets, drift=drift)
