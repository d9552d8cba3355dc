"""Calibration on a simulated trap whose truth is off, judged against that truth.

What the tests and ``benchmarks/calibration.py`` share: bring a simulated trap up from an
empty dataset DB with its truth offset from the nominal values (:func:`bootstrap`), let
simulated time pass (:func:`advance`), hold every calibrated value against the model's
truth (:func:`compare_with_truth`), and measure RB on a trap with given calibrations
(:func:`rb_epc`).
"""
from dataclasses import dataclass
import os

import numpy as np

from control import pyon
from control.counting import best_threshold, misassignment
from drivers import systems
from experiments.calibrate_command import lab_settings, simulated_calibration

HERE = os.path.dirname(os.path.abspath(__file__))

__all__ = ["BOOTSTRAP_OFFSETS", "Session", "Comparison", "bootstrap", "advance",
           "compare_with_truth", "rb_epc"]

#: The truth offsets of a trap's first day (issue figures): Rabi rate +5 %, qubit
#: frequencies ±20 kHz, count rates −10 %, the MS detuning +2 kHz.
BOOTSTRAP_OFFSETS = {"rabi_scale": 1.05, "resonance_hz": [20e3, -20e3],
                     "bright_rate_scale": 0.9, "ms_detuning_hz": 2e3}


@dataclass
class Session:
    """A simulated trap and its calibration graph: the built run (``run.sim`` is the
    simulation), its ``experiment`` and ``maintainer``."""
    run: object
    experiment: object
    maintainer: object

    @property
    def sim(self):
        """The simulation."""
        return self.run.sim

    @property
    def shots(self):
        """Shots the graph has played so far."""
        return self.experiment.measurement.shots

    def sim_time(self):
        """Simulated seconds since the start."""
        return self.sim.timeline.cpu * self.sim.ref_period

    def values(self):
        """Every calibration the store holds (key -> value)."""
        store = self.maintainer.store
        return {key: store.get(key) for key in self._keys() if store.get(key) is not None}

    def _keys(self):
        # Listing the settings builds every module of the trap: once a session.
        if "_key_set" not in self.__dict__:
            settings = lab_settings(self.experiment.system, {})
            self.__dict__["_key_set"] = set(settings) | set(self.experiment.nominal) | {
                key for node in self.maintainer.graph for key in node.keys}
        return self.__dict__["_key_set"]

    def datasets(self):
        """What a dataset DB would hold: the lab settings and the calibrated values."""
        return dict(self.values())


def bootstrap(system, truth_offsets=None, *, seed=1, drift=None, faults=None,
              settings=None):
    """A :class:`Session` on ``system``'s simulated twin with an empty dataset DB but for
    the lab settings (nominal), its truth moved by ``truth_offsets`` (default
    :data:`BOOTSTRAP_OFFSETS`) and ``drift``; nothing maintained yet."""
    offsets = BOOTSTRAP_OFFSETS if truth_offsets is None else truth_offsets
    values = lab_settings(system, {}) if settings is None else dict(settings)
    run = simulated_calibration(system, dataset_db=values, seed=seed, faults=faults,
                                truth_offsets=offsets or None, drift=drift)
    run.experiment.prepare()
    return Session(run, run.experiment, run.experiment.make_maintainer())


def advance(session, seconds):
    """Let ``seconds`` of simulated time pass (the lab idles: the truth drifts on)."""
    sim = session.sim
    sim.timeline.cpu += int(round(seconds / sim.ref_period))


def _misread(threshold, bright, dark):
    """Mean over the qubits of the misassignment at ``threshold`` (mean counts)."""
    wrong_dark, wrong_bright = misassignment(threshold, bright, dark)
    return float(np.mean(0.5 * (wrong_dark + wrong_bright)))


@dataclass
class Comparison:
    """One calibrated value against the truth: ``pull`` = (value − truth) / uncertainty;
    ``within``: |pull| ≤ ``K_SIGMA``, or for the detection threshold (an integer whose
    optimum is flat) a mean misassignment within ``THRESHOLD_EXCESS`` of the truth's
    best."""
    name: str
    value: float
    uncertainty: float
    truth: float
    pull: float
    within: bool


#: How many standard uncertainties a calibrated value may be from the truth: the stated
#: uncertainty is one standard deviation, which an honest estimate misses by more than
#: one a third of the time.
K_SIGMA = 3.0
#: The detection threshold's allowance: misreading this much more than the best one.
THRESHOLD_EXCESS = 1e-4


def compare_with_truth(session):
    """A :class:`Comparison` per calibrated value; the truth is the model's at the
    current simulated time (``IonModel.truth`` in calibration units, given the lab's
    settings)."""
    values = session.values()
    system = session.experiment.system
    model = session.sim.model
    truth = model.truth(calibrations=dict(session.experiment.nominal, **values))
    rows = []
    for node in session.maintainer.graph:
        for key in node.keys:
            value = values.get(key)
            if value is None:
                continue  # not calibrated (refused or blocked)
            provenance = session.maintainer.provenance(key) or {}
            sigma = provenance.get("uncertainty")
            threshold = key.endswith(".detection.threshold")
            if threshold:
                window = values[system + ".detection.window"]
                bright = [(b + d) * window for b, d in zip(
                    truth[system + ".detection.bright_rate"],
                    truth[system + ".detection.dark_rate"])]
                dark = [d * window for d in truth[system + ".detection.dark_rate"]]
                expected = best_threshold(bright, dark)[0]
                excess = _misread(value, bright, dark) - _misread(expected, bright, dark)
            else:
                expected = truth[key]
            for i, (v, s, t) in enumerate(zip(np.atleast_1d(value), np.atleast_1d(sigma),
                                              np.atleast_1d(expected))):
                name = key if np.ndim(value) == 0 else "{}[{}]".format(key, i)
                error = float(v) - float(t)
                pull = error / float(s) if s else (0.0 if error == 0 else np.inf)
                within = excess <= THRESHOLD_EXCESS if threshold else abs(pull) <= K_SIGMA
                rows.append(Comparison(name, float(v), float(s), float(t), pull, within))
    return rows


def rb_epc(system, datasets=None, truth_offsets=None, *, seed=1, lengths=None, samples=10,
           shots=50):
    """Error per Clifford of 1-qubit RB on ``system``'s simulated twin: with
    ``datasets`` as its calibrations (default: the nominal ones, i.e. perfectly
    calibrated when ``truth_offsets`` is None) and its truth moved by
    ``truth_offsets``. Returns the fit's dict (``epc``, ``epc_err``...)."""
    from control.runner import run_experiment
    config = systems.sim_config(system, seed=seed, truth_offsets=truth_offsets)
    if datasets is not None:
        config["datasets"] = {}
    lengths = lengths or [1, 50, 100, 200, 400]
    arguments = {"system": system, "n_qubits": 1, "lengths": pyon.encode(lengths),
                 "samples": samples, "shots": shots, "seed": seed}
    run = run_experiment(os.path.join(HERE, "rb.py"), "RB", arguments,
                         systems.device_db_path(system), sim=True, sim_options=config,
                         dataset_db=dict(datasets or {}), write=False)
    return {key[len("rb.fit."):]: value for key, value in run.datasets.items()
            if key.startswith("rb.fit.")}
