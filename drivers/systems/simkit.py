"""What the trap systems' simulator configurations share.

The truth and the calibrations
------------------------------
A simulated trap has a *truth*: the physics of its ions, which the lab does not know and
its calibrations (datasets) try to describe. Each trap's ``sim.py`` builds the truth from
its calibrations (``truth_from_calibrations``: a perfectly calibrated trap, the default),
builds its ion model from the truth (``model``), and turns a truth back into calibration
values (``calibrations_from_truth``, which ``IonModel.truth()`` uses). The truth is a dict
with the same names on every trap (:data:`TRUTH_KEYS`)::

    resonance_hz    per qubit: the DDS frequency that is resonant with the qubit (Hz)
    rabi_hz         per qubit: Rabi frequency at full DDS amplitude, no attenuation (Hz)
    ms_rate         MS angle per second with both tones at full amplitude (rad/s)
    ms_carrier_hz   the DDS frequency the MS tones centre on (Hz)
    ms_mode_hz      the motional mode's frequency: the tones' offset from the carrier
                    before the detuning (Hz)
    ms_detuning_hz  the detuning from the mode that the MS gate is designed for (Hz):
                    at the calibrated gate time its phase-space loops close
    bright_rate     per qubit: counts/s from a bright ion in the detection light
    dark_rate       per qubit: background counts/s

``sim_config(..., truth_offsets=...)`` moves the truth away from the calibrations (the
calibrations, the datasets a run reads, stay what the lab believes). An offset named after
a key adds to it; ``<key without _hz>_scale`` multiplies it. A per-qubit key takes one
value for every qubit or a list, one per qubit::

    truth_offsets={"resonance_hz": [20e3, -20e3],   # qubit 0 20 kHz up, qubit 1 down
                   "rabi_scale": 1.05,              # every Rabi frequency 5 % faster
                   "bright_rate_scale": 0.9,        # 10 % fewer photons
                   "ms_detuning_hz": 2e3}           # the gate needs 2 kHz more detuning

An ``ms_detuning_hz`` offset (or ``ms_detuning_scale``, which asks for that factor of the
detuning) says the gate needs that much more detuning from the lab's sideband: it moves
the motional mode (``ms_mode_hz``) by the offset and keeps ``ms_detuning_hz``, the gate's
design, so the gate still closes at its calibrated time once the lab's detuning follows
(``.ms.detuning`` = mode + design − sideband moves by the offset, ``.ms.gate_time`` does
not). Moving the design itself would give a trap whose gate closes at no calibrated time.

``sim_config(..., truth={...})`` replaces truth values outright (the others still follow
the calibrations), before the offsets; ``ms_detuning_hz`` there is the design itself (its
loops close at the gate time only if detuning × gate time is a whole number).

Drift
-----
``sim_config(..., drift=[...])`` makes the truth move in simulated time (the ion model's
``drift`` section, see :mod:`control.sim.ion_model`). An entry names a truth key as its
``param``, with ``qubit`` for a per-qubit key (without it, every qubit drifts, each its
own walk), a random walk ``walk`` (the key's unit per √s: Hz/√s for frequencies), its
grid ``interval`` (s, default 1 ms) and scheduled ``steps`` ([[time_s, delta], ...])::

    drift=[{"param": "resonance_hz", "qubit": 0, "walk": 20.0},
           {"param": "rabi_hz", "steps": [[0.5, -2e3]]},
           {"param": "ms_mode_hz", "walk": 5.0, "interval": 0.01}]

A drifting MS detuning is a drifting mode: drift ``ms_mode_hz`` (a drift of
``ms_detuning_hz`` moves the gate's design, and the loop closure with it).
Seeded by the simulation's seed: the same seed gives the same drift. An entry that names a
``beam`` or a ``detector`` is an ion-model entry already and goes through unchanged.
"""
import math
import os

from control.device_db import load_device_db
from control.sim import resolve

__all__ = ["on_dds_grid", "crate", "detectors", "sim_config", "TRUTH_KEYS",
           "PER_QUBIT_KEYS", "offset_truth", "truth_of", "drift_entries", "best_threshold"]

#: The truth's parameters, the same on every trap (see the module docstring).
TRUTH_KEYS = ("resonance_hz", "rabi_hz", "ms_rate", "ms_carrier_hz", "ms_mode_hz",
              "ms_detuning_hz", "bright_rate", "dark_rate")
#: The truth's parameters that have one value per qubit.
PER_QUBIT_KEYS = ("resonance_hz", "rabi_hz", "bright_rate", "dark_rate")
# truth key -> the ion model's parameter: of rotation beams, of the MS beam, of detectors
_ROTATION = {"resonance_hz": "resonance_hz", "rabi_hz": "rabi_hz"}
_MS = {"ms_rate": "ms_rate", "ms_carrier_hz": "carrier_hz", "ms_mode_hz": "sideband_hz",
       "ms_detuning_hz": "detuning_hz"}
_DETECTOR = {"bright_rate": "bright_rate", "dark_rate": "dark_rate"}


def on_dds_grid(frequency, bits, sysclk=1e9):
    """The frequency a DDS with a ``bits``-bit tuning word at ``sysclk`` actually makes
    for ``frequency``. A perfectly calibrated ion sits exactly there: with the bare value
    the qubit frame would drift from the DDS phase by the rounding error (0.1 Hz with a
    32-bit word at 1 GHz), a real effect that a real calibration absorbs."""
    step = sysclk / 2 ** bits
    return round(frequency / step) * step


def crate(system_folder):
    """The crate's device database and two helpers: the entry name behind a role name,
    and the RF-switch TTL of a DDS channel."""
    ddb = load_device_db(os.path.join(system_folder, "device_db.py"))

    def name(role):
        return resolve(ddb, role)

    def switch(dds):
        return ddb[name(dds)]["arguments"]["sw_device"]

    return ddb, name, switch


def detectors(name, pmts, beam, bright_rate, dark_rate, bright_state):
    """One detector per qubit, PMT role names in qubit order; ``bright_rate`` and
    ``dark_rate`` one value for all or a list, one per qubit."""
    def per_qubit(value, q):
        return value[q] if isinstance(value, (list, tuple)) else value
    return {name(pmt): {"qubit": q, "beam": beam, "bright_rate": per_qubit(bright_rate, q),
                        "dark_rate": per_qubit(dark_rate, q), "bright_state": bright_state}
            for q, pmt in enumerate(pmts)}


# ---- the truth

def _offset_names():
    names = {}
    for key in TRUTH_KEYS:
        names[key] = (key, False)
        scale = (key[:-3] if key.endswith("_hz") else key) + "_scale"
        names[scale] = (key, True)
    return names


#: offset name -> (truth key, multiplies?)
OFFSET_NAMES = _offset_names()


def _check_truth(truth, qubits):
    unknown = set(truth) - set(TRUTH_KEYS)
    if unknown:
        raise ValueError("unknown truth key(s): {} (known: {})".format(
            ", ".join(sorted(unknown)), ", ".join(TRUTH_KEYS)))
    for key in PER_QUBIT_KEYS:
        if key in truth and len(truth[key]) != qubits:
            raise ValueError("truth {}: {} values for {} qubits".format(
                key, len(truth[key]), qubits))


def offset_truth(truth, offsets):
    """A copy of ``truth`` with ``offsets`` applied (see the module docstring): a key's
    name adds, ``<key without _hz>_scale`` multiplies; per-qubit keys take a value or a
    list of one per qubit. An MS detuning offset moves the mode (``ms_mode_hz``), not the
    gate's design detuning."""
    out = {k: list(v) if isinstance(v, (list, tuple)) else v for k, v in truth.items()}
    for name, value in (offsets or {}).items():
        if name not in OFFSET_NAMES:
            raise ValueError("unknown truth offset {!r}; known: {}".format(
                name, ", ".join(sorted(OFFSET_NAMES))))
        key, scale = OFFSET_NAMES[name]

        def shift(x, d, scale=scale, name=name):
            d = float(d)
            if not math.isfinite(d):
                raise ValueError("truth offset {}: {!r} is not finite".format(name, d))
            return x * d if scale else x + d
        if key in PER_QUBIT_KEYS:
            n = len(out[key])
            values = list(value) if isinstance(value, (list, tuple)) else [value] * n
            if len(values) != n:
                raise ValueError("truth offset {}: {} values for {} qubits".format(
                    name, len(values), n))
            out[key] = [shift(x, d) for x, d in zip(out[key], values)]
        else:
            if isinstance(value, (list, tuple)):
                raise ValueError("truth offset {}: one value, not a list".format(name))
            if key == "ms_detuning_hz":
                # The detuning the gate needs from the lab's sideband is mode + design −
                # sideband: move the mode, so the design (and its loop closure at the
                # calibrated gate time) stays the gate's.
                design = out[key]
                out["ms_mode_hz"] += shift(design, value) - design
            else:
                out[key] = shift(out[key], value)
    return out


def truth_of(physics):
    """The truth (:data:`TRUTH_KEYS`) of an ion model's ``physics()``: each qubit's
    resonance and Rabi frequency from the first rotation beam that drives it, the MS
    parameters from the MS beam, the count rates from each qubit's detector."""
    n = physics["qubits"]
    truth = {key: [None] * n for key in PER_QUBIT_KEYS}
    for beam in physics["beams"].values():
        if beam["kind"] == "rotation":
            for k, q in enumerate(beam["qubits"]):
                for key, param in _ROTATION.items():
                    if truth[key][q] is None:
                        truth[key][q] = beam[param][k]
        elif beam["kind"] == "ms" and "ms_rate" not in truth:
            for key, param in _MS.items():
                truth[key] = beam[param]
    for det in physics["detectors"].values():
        for key, param in _DETECTOR.items():
            if truth[key][det["qubit"]] is None:
                truth[key][det["qubit"]] = det[param]
    return truth


def calibrations_of(system, truth, calibrations, rabi_per_qubit, ms_rate):
    """The calibrations both traps derive alike from ``truth``: one π time (the mean
    over qubits of ``1/(2 rabi)``, with each qubit's Rabi frequency at the lab's drive
    settings in ``rabi_per_qubit``), the MS gate (``ms_rate`` at the lab's tone
    settings; the lab's own sideband) and the count rates."""
    c = calibrations
    pi_times = [1 / (2 * r) if r > 0 else math.inf for r in rabi_per_qubit]
    sideband = c[system + ".ms.sideband"]
    return {
        system + ".drive.pi_time": sum(pi_times) / len(pi_times),
        system + ".ms.carrier": truth["ms_carrier_hz"],
        system + ".ms.sideband": sideband,
        system + ".ms.detuning": truth["ms_mode_hz"] + truth["ms_detuning_hz"] - sideband,
        system + ".ms.gate_time": (math.pi / 2) / ms_rate if ms_rate > 0 else math.inf,
        system + ".detection.bright_rate": list(truth["bright_rate"]),
        system + ".detection.dark_rate": list(truth["dark_rate"]),
    }


def drift_entries(model, drift):
    """The ion model's ``drift`` section for ``drift`` entries that name truth keys (see
    the module docstring), for the ion-model config ``model``."""
    out = []
    for entry in drift or []:
        entry = dict(entry)
        if "beam" in entry or "detector" in entry:
            out.append(entry)  # already an ion-model entry
            continue
        key = entry.pop("param", None)
        qubit = entry.pop("qubit", None)
        targets = []
        if key in _ROTATION:
            for name, beam in model["beams"].items():
                if beam["kind"] == "rotation" and (qubit is None or qubit in beam["qubits"]):
                    t = {"beam": name, "param": _ROTATION[key]}
                    if qubit is not None:
                        t["qubit"] = qubit
                    targets.append(t)
        elif key in _MS:
            if qubit is not None:
                raise ValueError("drift of {}: not per qubit, no qubit".format(key))
            targets = [{"beam": name, "param": _MS[key]}
                       for name, beam in model["beams"].items() if beam["kind"] == "ms"]
        elif key in _DETECTOR:
            targets = [{"detector": dev, "param": _DETECTOR[key]}
                       for dev, det in model["detectors"].items()
                       if qubit is None or det["qubit"] == qubit]
        else:
            raise ValueError("drift of {!r}: the truth's keys are {} (or give an ion-model "
                             "entry with a beam or a detector)".format(
                                 key, ", ".join(TRUTH_KEYS)))
        if not targets:
            raise ValueError("drift of {}: nothing in this trap has it{}".format(
                key, "" if qubit is None else " for qubit {}".format(qubit)))
        out.extend(dict(entry, **t) for t in targets)
    return out


def best_threshold(bright_rate, dark_rate, window):
    """The count threshold (a count above it reads bright) that makes the fewest errors
    for Poisson counts of mean ``(bright_rate + dark_rate) * window`` from a bright ion
    and ``dark_rate * window`` from a dark one, and that error (the mean of the two):
    ``control.counting.best_threshold`` in rates."""
    from control.counting import best_threshold as of_means
    return of_means((bright_rate + dark_rate) * window, dark_rate * window)


def sim_config(model, truth_from_calibrations, calibrations, truth_map, errors=None,
               seed=None, vcd=None, overrides=None, truth=None, truth_offsets=None,
               drift=None):
    """Keyword arguments for ``control.sim.enable``: the ion model that ``model(errors,
    calibrations, truth)`` builds from the truth, and the calibrations as default
    datasets. The truth is ``truth_from_calibrations(calibrations)`` (perfectly
    calibrated) updated with ``truth`` and moved by ``truth_offsets``; ``drift`` makes it
    move in simulated time; ``truth_map`` ("module:function") is what turns the model's
    physics back into calibrations (``IonModel.truth()``)."""
    cal = dict(calibrations, **(overrides or {}))
    physical = truth_from_calibrations(cal)
    qubits = len(physical["resonance_hz"])
    _check_truth(truth or {}, qubits)
    physical.update(truth or {})
    physical = offset_truth(physical, truth_offsets)
    ion_model = model(errors, cal, physical)
    if drift:
        ion_model["drift"] = drift_entries(ion_model, drift)
    ion_model["truth_map"] = {"function": truth_map, "calibrations": cal}
    config = {"model": ion_model, "datasets": cal}
    if seed is not None:
        config["seed"] = seed
    if vcd is not None:
        config["vcd"] = vcd
    return config
