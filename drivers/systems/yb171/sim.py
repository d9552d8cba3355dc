"""The simulated 171Yb+ trap: the ion model wired to this crate's channels. A simulated
run starts from the trap's nominal calibrations (``nominal.py``; a lab's dataset database
holds the real ones).

The model is built from the trap's truth (``drivers.systems.simkit`` names its keys),
which by default is the physics the calibrations describe (a perfectly calibrated trap),
plus the errors in ``ERRORS``; tests and the command line override them. The truth can be
moved away from the calibrations and made to drift in simulated time::

    sim_config(truth_offsets={"resonance_hz": [20e3, -20e3], "rabi_scale": 1.05,
                              "bright_rate_scale": 0.9, "ms_detuning_hz": 2e3},
               drift=[{"param": "resonance_hz", "qubit": 0, "walk": 20.0}], seed=1)

Truth and calibrations (``truth_from_calibrations`` one way, ``calibrations_from_truth``
the other; ``IonModel.truth()`` reports the latter at the current simulated time):

* ``yb171.drive.frequencies`` — ``resonance_hz``, per qubit;
* ``yb171.drive.pi_time`` — 1 / (2 ``rabi_hz`` a) at the drive's calibrated amplitude and
  attenuation, a = ``amplitude`` · 10^(−``attenuation``/20) (the mean over the qubits: the
  microwave drives both, with one π time);
* ``yb171.ms.carrier`` — ``ms_carrier_hz``; ``yb171.ms.sideband`` — the lab's own (only
  sideband + detuning places the tones); ``yb171.ms.detuning`` — ``ms_mode_hz`` +
  ``ms_detuning_hz`` − the calibrated sideband (the truth offset ``ms_detuning_hz`` moves
  the mode, so this moves with it and the gate time does not);
* ``yb171.ms.gate_time`` — (π/2) / (``ms_rate`` a_red a_blue), at the tones' calibrated
  amplitudes and attenuations;
* ``yb171.detection.bright_rate`` / ``dark_rate`` — the count rates per qubit (counts/s):
  not calibrations a module reads, but what a detection calibration measures (its threshold
  is a choice: ``simkit.best_threshold``).
"""
import math
import os

from drivers.systems import simkit
from drivers.systems.yb171.nominal import NOMINAL

HERE = os.path.dirname(os.path.abspath(__file__))


def on_dds_grid(frequency):
    return simkit.on_dds_grid(frequency, bits=32)  # this crate's DDS tuning-word width


# A simulated run starts from the trap's nominal values.
CALIBRATIONS = dict(NOMINAL)

ERRORS = {"depolarizing": 5e-4, "depolarizing_2q": 5e-3, "prep_error": 1e-3}

# Detection physics: 369 nm fluorescence collected from a bright ion, and background.
BRIGHT_RATE = 1.0e5  # counts/s
DARK_RATE = 1.0e3    # counts/s


#: What ``IonModel.truth()`` calls to turn the model's physics into calibrations.
TRUTH_MAP = "drivers.systems.yb171.sim:calibration_truth"


def _amplitude(c, prefix, amplitude=True):
    """The amplitude a calibrated tone reaches: DDS amplitude times attenuation."""
    a = c.get(prefix + ".amplitude", 1.0) if amplitude else 1.0
    return a * 10 ** (-c.get(prefix + ".attenuation", 0.0) / 20)


def truth_from_calibrations(calibrations=CALIBRATIONS):
    """The truth (``simkit.TRUTH_KEYS``) that ``calibrations`` describe: a perfectly
    calibrated trap."""
    c = calibrations
    rabi_full = 1 / (2 * c["yb171.drive.pi_time"]) / c["yb171.drive.amplitude"] \
        / 10 ** (-c["yb171.drive.attenuation"] / 20)
    return {
        "resonance_hz": [on_dds_grid(f) for f in c["yb171.drive.frequencies"]],
        "rabi_hz": [rabi_full] * 2,
        "ms_rate": (math.pi / 2) / c["yb171.ms.gate_time"]
        / (_amplitude(c, "yb171.ms.red") * _amplitude(c, "yb171.ms.blue")),
        "ms_carrier_hz": on_dds_grid(c["yb171.ms.carrier"]),
        "ms_mode_hz": c["yb171.ms.sideband"],
        "ms_detuning_hz": c["yb171.ms.detuning"],
        "bright_rate": [BRIGHT_RATE] * 2,
        "dark_rate": [DARK_RATE] * 2,
    }


def calibrations_from_truth(truth, calibrations=CALIBRATIONS):
    """What a perfect calibration of the trap whose physics is ``truth`` would write,
    given the lab's other choices in ``calibrations`` (amplitudes, attenuations, the MS
    sideband): see the module docstring."""
    c = calibrations
    drive = _amplitude(c, "yb171.drive")
    ms = truth["ms_rate"] * _amplitude(c, "yb171.ms.red") * _amplitude(c, "yb171.ms.blue")
    out = {"yb171.drive.frequencies": list(truth["resonance_hz"])}
    out.update(simkit.calibrations_of("yb171", truth, c,
                                      [r * drive for r in truth["rabi_hz"]], ms))
    return out


def calibration_truth(physics, calibrations=CALIBRATIONS):
    """``IonModel.truth()``'s map (``TRUTH_MAP``): the model's physics as calibrations."""
    return calibrations_from_truth(simkit.truth_of(physics), calibrations)


def model(errors=None, calibrations=CALIBRATIONS, truth=None):
    """The ion-model config: this crate's channels, with the physics of ``truth``
    (default: what ``calibrations`` describe)."""
    _, r, sw = simkit.crate(HERE)
    t = truth_from_calibrations(calibrations) if truth is None else truth
    rabi = t["rabi_hz"]
    return {
        "qubits": 2,
        "beams": {
            "microwave": {"kind": "rotation", "dds": r("mw_dds"), "switch": sw("mw_dds"),
                          "qubits": [0, 1], "resonance_hz": list(t["resonance_hz"]),
                          "rabi_hz": rabi[0] if len(set(rabi)) == 1 else list(rabi)},
            "raman_ms": {"kind": "ms", "dds": [r("raman_red"), r("raman_blue")],
                         "switch": [sw("raman_red"), sw("raman_blue")], "qubits": [0, 1],
                         "ms_rate": t["ms_rate"], "carrier_hz": t["ms_carrier_hz"],
                         "sideband_hz": t["ms_mode_hz"], "detuning_hz": t["ms_detuning_hz"]},
            "pump": {"kind": "pump", "switch": r("pump_369"), "qubits": [0, 1],
                     "min_time": 5e-6},
            "cool": {"kind": "cooling", "switch": r("cool_369")},
            "detect": {"kind": "detection", "switch": r("detect_369")},
        },
        "detectors": simkit.detectors(r, ["pmt0", "pmt1"], "detect", t["bright_rate"],
                                      t["dark_rate"], bright_state=1),
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
