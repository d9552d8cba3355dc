"""The calibration analyses (``kernels.calibration.analysis``) on synthetic data drawn from
their own models (seeded): each recovers the truth within 3 of its stated uncertainties,
the uncertainties are honest (the pulls (estimate − truth)/uncertainty over 100 seeded
repetitions have an RMS within 0.7–1.4), and each refusal fires on data built to trip it.
``control.counting.best_threshold`` agrees with the simulator's own copy."""
import math

import numpy as np
import pytest

from control.calgraph import Calibrated, CalibrationRefused
from control.counting import best_threshold, misassignment
from drivers.systems import simkit
from kernels.calibration.analysis import (Estimate, detection_threshold, ms_detuning,
                                          ms_gate_time, pi_time, ramsey_frequency,
                                          spectroscopy_center)

REPEATS = 100
#: Ramsey's fit (``kernels.ramsey.fit_ramsey``: six starts, two refits) costs ~40 ms a
#: scan: fewer repetitions keep its pull test near 3 s (the RMS of 60 pulls is known to
#: ±9 %, well inside 0.7-1.4).
RAMSEY_REPEATS = 60


def _rms(pulls):
    return float(np.sqrt(np.mean(np.square(pulls))))


def _assert_pull_rms_near_one(pulls, what):
    """Pulls (estimate - truth) / uncertainty over repeated fits have an RMS near 1: the
    stated uncertainty is the real scatter."""
    rms = _rms(pulls)
    print(what, "pull RMS", rms)
    assert 0.7 < rms < 1.4, (what, rms)


def _plain(quality):
    """Only floats, ints and lists of them (what HDF5/PYON datasets hold)."""
    for key, value in quality.items():
        assert isinstance(key, str)
        if isinstance(value, list):
            assert all(type(v) in (float, int) for v in value), (key, value)
        else:
            assert type(value) in (float, int), (key, value)
    return True


def _estimate_ok(estimate):
    assert isinstance(estimate, Estimate)
    assert _plain(estimate.quality)
    assert {"chi2_red", "p_value", "dof"} <= set(estimate.quality)
    assert isinstance(estimate.detail, str) and "\n" not in estimate.detail
    assert math.isfinite(estimate.uncertainty) and estimate.uncertainty >= 0
    return True


def _refused(call, *words):
    with pytest.raises(CalibrationRefused) as info:
        call()
    reason = info.value.reason
    for word in words:
        assert word in reason, reason
    assert info.value.shots > 0
    return reason


# ---- control.counting

def _pmf(k, mean):
    return math.exp(k * math.log(mean) - mean - math.lgamma(k + 1)) if mean > 0 else \
        float(k == 0)


def test_best_threshold_is_the_brute_force_optimum_over_a_grid():
    """Against the definition, summed term by term (each tail on its own: no 1 − cdf),
    over the rates and windows of real detection; the simulator's rate form agrees."""
    for bright_rate in (2e3, 1e4, 6e4, 1e5):
        for dark_rate in (0.0, 300.0, 3e3):
            for window in (5e-5, 3e-4, 1e-3):
                bright, dark = (bright_rate + dark_rate) * window, dark_rate * window
                top = int(bright + 10 * math.sqrt(bright) + 20)

                def error(t, bright=bright, dark=dark, top=top):
                    wrong_dark = sum(_pmf(k, dark) for k in range(t + 1, top + 60))
                    wrong_bright = sum(_pmf(k, bright) for k in range(0, t + 1))
                    return 0.5 * (wrong_dark + wrong_bright)
                errors = [error(t) for t in range(top)]
                threshold, err = best_threshold(bright, dark)
                assert err == pytest.approx(min(errors), rel=1e-6, abs=1e-300)
                assert errors[threshold] == pytest.approx(min(errors), rel=1e-6,
                                                          abs=1e-300)
                assert simkit.best_threshold(bright_rate, dark_rate, window) == \
                    (threshold, err)


def test_best_threshold_definition_and_large_means():
    threshold, error = best_threshold(30.0, 0.3)
    p_bd, p_db = misassignment(threshold, 30.0, 0.3)
    assert error == pytest.approx(0.5 * (p_bd[0] + p_db[0]))
    for t in (threshold - 1, threshold + 1):
        lower = misassignment(t, 30.0, 0.3)
        assert 0.5 * (lower[0][0] + lower[1][0]) >= error
    # Means near 1000: the threshold between them, an error the normal approximation
    # gives (~0.2 for 1000 against 950).
    threshold, error = best_threshold(1000.0, 950.0)
    assert 950 < threshold < 1000 and 0.1 < error < 0.3
    assert isinstance(threshold, int) and isinstance(error, float)


def test_best_threshold_over_qubits_minimises_the_mean():
    bright, dark = [30.0, 63.0], [0.3, 3.0]
    threshold, error = best_threshold(bright, dark)
    errors = [np.mean(sum(misassignment(t, bright, dark))) / 2 for t in range(64)]
    assert threshold == int(np.argmin(errors))
    assert error == pytest.approx(min(errors))


def test_best_threshold_rejects_bad_means():
    with pytest.raises(ValueError):
        best_threshold(-1.0, 0.0)
    with pytest.raises(ValueError):
        best_threshold([10.0, 20.0], [1.0])


# ---- detection threshold

BRIGHT = np.array([30.3, 63.0])   # counts per window: the two traps' detection
DARK = np.array([0.3, 3.0])


def _histograms(rng, shots=1000, w=0.95, bright=BRIGHT, dark=DARK, prepared_bright=False):
    first, second = (bright, dark) if prepared_bright else (dark, bright)
    qubits = len(bright)
    prepared = rng.poisson(first, size=(shots, qubits))
    flip = rng.random((shots, qubits)) < w
    flipped = np.where(flip, rng.poisson(second, size=(shots, qubits)),
                       rng.poisson(first, size=(shots, qubits)))
    return prepared, flipped


@pytest.mark.parametrize("prepared_bright", [False, True])
def test_detection_threshold_recovers_the_truth(prepared_bright):
    rng = np.random.default_rng(10)
    prepared, flipped = _histograms(rng, w=0.9, prepared_bright=prepared_bright)
    estimate = detection_threshold(prepared, flipped)
    assert _estimate_ok(estimate)
    truth, _ = best_threshold(BRIGHT, DARK)
    assert isinstance(estimate.value, int)
    assert abs(estimate.value - truth) <= 3 * estimate.uncertainty
    q = estimate.quality
    for name, true in (("bright_mean", BRIGHT), ("dark_mean", DARK)):
        err = np.asarray(q[name + "_err"])
        assert np.all(np.abs(np.asarray(q[name]) - true) < 3 * err), (name, q)
    assert np.allclose(q["flip_weight"], 0.9, atol=0.03)
    assert min(q["fidelity"]) > 0.99
    assert q["p_value"] > 1e-3
    calibrated = estimate.calibrated(shots=2000)
    assert isinstance(calibrated, Calibrated) and calibrated.value == estimate.value


def test_detection_threshold_uncertainty_near_a_tie():
    """Means that put the optimum between two integers (a tie): repeated measurements give
    either threshold, and the stated uncertainty says so (their spread and the stated
    uncertainties agree within a factor of two, where far from a tie both are 0)."""
    dark = np.array([1.0])
    grid = np.linspace(6.0, 14.0, 801)
    thresholds = [best_threshold(b, 1.0)[0] for b in grid]
    switch = int(np.flatnonzero(np.diff(thresholds))[0])
    below = thresholds[switch]
    bright = np.array([grid[switch]])
    rng = np.random.default_rng(3)
    values, stated = [], []
    for _ in range(30):
        prepared, flipped = _histograms(rng, shots=400, w=0.98, bright=bright, dark=dark)
        estimate = detection_threshold(prepared, flipped, min_fidelity=0.5, draws=100)
        values.append(estimate.value)
        stated.append(estimate.uncertainty)
    assert set(values) == {below, below + 1}
    spread, rms = float(np.std(values)), _rms(stated)
    print("threshold at a tie: spread", spread, "stated RMS", rms)
    assert 0.5 < rms / spread < 2, (rms, spread)


def test_detection_rate_errors_are_honest():
    rng = np.random.default_rng(11)
    bright, dark = np.array([8.0]), np.array([1.5])   # overlapping: the mixture matters
    pulls = []
    for _ in range(REPEATS):
        prepared, flipped = _histograms(rng, shots=300, w=0.7, bright=bright, dark=dark)
        q = detection_threshold(prepared, flipped, min_fidelity=0.5, draws=0).quality
        pulls.append((q["bright_mean"][0] - bright[0]) / q["bright_mean_err"][0])
        pulls.append((q["dark_mean"][0] - dark[0]) / q["dark_mean_err"][0])
    _assert_pull_rms_near_one(pulls, "detection rate")


def test_detection_refuses_without_photons():
    zeros = np.zeros((1000, 2), dtype=int)
    _refused(lambda: detection_threshold(zeros, zeros), "no photons", "2000 shots",
             "PMT disconnected")


def test_detection_refuses_identical_histograms():
    rng = np.random.default_rng(12)
    prepared = rng.poisson(DARK, size=(1000, 2))
    flipped = rng.poisson(DARK, size=(1000, 2))
    _refused(lambda: detection_threshold(prepared, flipped))


def test_detection_refuses_a_pulse_that_moved_nothing():
    rng = np.random.default_rng(13)
    prepared, flipped = _histograms(rng, w=0.03)
    reason = _refused(lambda: detection_threshold(prepared, flipped), "moved almost nothing",
                      "drive calibrated")
    assert "0.0" in reason  # names the weight


def test_detection_refuses_poor_fidelity():
    rng = np.random.default_rng(14)
    prepared, flipped = _histograms(rng, shots=3000, w=0.95, bright=np.array([4.0]),
                                    dark=np.array([1.0]))
    _refused(lambda: detection_threshold(prepared, flipped), "readout fidelity", "0.9")


def test_detection_refuses_unseparated_means():
    rng = np.random.default_rng(15)
    prepared, flipped = _histograms(rng, shots=100, w=0.9, bright=np.array([1.3]),
                                    dark=np.array([1.0]))
    _refused(lambda: detection_threshold(prepared, flipped, min_fidelity=0.0,
                                         min_flip_weight=0.0))


# ---- spectroscopy

PULSE = 10e-6
F0 = 200.0e6 + 1234.0


def _line(f, f0, omega, a, b, t=PULSE):
    delta = 2 * np.pi * (f - f0)
    w = np.sqrt(omega ** 2 + delta ** 2)
    return b + a * omega ** 2 / w ** 2 * np.sin(w * t / 2) ** 2


def _spectrum(rng, f0=F0, shots=100, scale=1.1, points=41, span=3e5, centre=200.0e6):
    f = centre + np.linspace(-span, span, points)
    p = _line(f, f0, scale * np.pi / PULSE, 0.95, 0.02)
    return f, rng.binomial(shots, p) / shots


def test_spectroscopy_recovers_the_centre():
    f, p1 = _spectrum(np.random.default_rng(20))
    estimate = spectroscopy_center(f, p1, 100, PULSE)
    assert _estimate_ok(estimate)
    assert abs(estimate.value - F0) < 3 * estimate.uncertainty
    assert estimate.quality["contrast"] > 0.8


def test_spectroscopy_errors_are_honest():
    rng = np.random.default_rng(21)
    pulls = []
    for _ in range(REPEATS):
        f0 = F0 + rng.uniform(-5e4, 5e4)
        f, p1 = _spectrum(rng, f0=f0, scale=rng.uniform(0.8, 1.2))
        estimate = spectroscopy_center(f, p1, 100, PULSE)
        pulls.append((estimate.value - f0) / estimate.uncertainty)
    _assert_pull_rms_near_one(pulls, "spectroscopy")


def test_spectroscopy_refuses_a_flat_scan():
    rng = np.random.default_rng(22)
    f = 200e6 + np.linspace(-3e5, 3e5, 41)
    p1 = rng.binomial(100, np.full(41, 0.05)) / 100
    _refused(lambda: spectroscopy_center(f, p1, 100, PULSE))


def test_spectroscopy_refuses_a_line_at_the_edge():
    rng = np.random.default_rng(23)
    f, p1 = _spectrum(rng, f0=200e6 + 2.95e5)
    _refused(lambda: spectroscopy_center(f, p1, 100, PULSE), "edge")


def test_spectroscopy_refuses_a_line_outside_the_scan():
    rng = np.random.default_rng(24)
    f, p1 = _spectrum(rng, f0=200e6 + 3.6e5)
    _refused(lambda: spectroscopy_center(f, p1, 100, PULSE))


def test_spectroscopy_refuses_a_line_narrower_than_the_spacing():
    """A 100 µs pulse makes a line ~8 kHz wide: a scan every 10 kHz puts one or two points
    on it, and the fit could trade width for centre unseen."""
    rng = np.random.default_rng(27)
    f = 200e6 + np.linspace(-3e5, 3e5, 61)
    p1 = rng.binomial(100, _line(f, 200e6 + 1234.0, np.pi / 100e-6, 0.95, 0.02, t=100e-6)) \
        / 100
    _refused(lambda: spectroscopy_center(f, p1, 100, 100e-6), "on the line", "scan finer")


def test_spectroscopy_refuses_data_off_the_model():
    rng = np.random.default_rng(25)
    f = 200e6 + np.linspace(-3e5, 3e5, 41)
    p = 0.5 * (_line(f, 200e6 - 6e4, np.pi / PULSE, 0.95, 0.02)
               + _line(f, 200e6 + 6e4, np.pi / PULSE, 0.95, 0.02))  # two lines
    p1 = rng.binomial(1000, p) / 1000
    _refused(lambda: spectroscopy_center(f, p1, 1000, PULSE))


def test_spectroscopy_conditioning_at_high_frequency():
    rng = np.random.default_rng(26)
    f, p1 = _spectrum(rng, f0=1.2e9 + 777.0, centre=1.2e9, span=1e5)
    estimate = spectroscopy_center(f, p1, 100, PULSE)
    assert abs(estimate.value - (1.2e9 + 777.0)) < 3 * estimate.uncertainty


# ---- Ramsey

WAITS = np.linspace(0, 100e-6, 26)
DRIVE = 200.0e6
DELTA_A = 50e3


def _ramsey(t, f, a=0.95, t2=300e-6, phi=0.0):
    return 0.5 + 0.5 * a * np.exp(-t / t2) * np.cos(2 * np.pi * f * t + phi)


def _fringes(rng, delta, shots=100, a=0.95):
    return rng.binomial(shots, _ramsey(WAITS, DELTA_A + delta, a)) / shots


def test_ramsey_recovers_the_qubit_frequency():
    delta = 3e3  # drive − qubit
    estimate = ramsey_frequency(WAITS, _fringes(np.random.default_rng(30), delta), 100,
                                DRIVE, DELTA_A)
    assert _estimate_ok(estimate)
    assert abs(estimate.value - (DRIVE - delta)) < 3 * estimate.uncertainty
    assert estimate.quality["detuning"] == pytest.approx(delta, abs=3 * estimate.uncertainty)


def test_ramsey_errors_are_honest():
    rng = np.random.default_rng(31)
    pulls = []
    for _ in range(RAMSEY_REPEATS):
        delta = rng.uniform(-10e3, 10e3)
        estimate = ramsey_frequency(WAITS, _fringes(rng, delta), 100, DRIVE, DELTA_A)
        pulls.append((estimate.value - (DRIVE - delta)) / estimate.uncertainty)
    _assert_pull_rms_near_one(pulls, "Ramsey")


def test_ramsey_refuses_no_fringes():
    rng = np.random.default_rng(32)
    _refused(lambda: ramsey_frequency(WAITS, _fringes(rng, 0.0, a=0.1), 100, DRIVE,
                                      DELTA_A))


def test_ramsey_refuses_a_fold_risk():
    rng = np.random.default_rng(33)
    reason = _refused(lambda: ramsey_frequency(WAITS, _fringes(rng, 35e3), 100, DRIVE,
                                               DELTA_A), "fold")
    assert "35" in reason


def test_ramsey_refuses_a_fringe_at_nyquist():
    rng = np.random.default_rng(34)
    waits = np.linspace(0, 100e-6, 26)  # 4 µs steps: Nyquist 125 kHz
    p1 = rng.binomial(100, _ramsey(waits, 0.0, phi=0.0)) / 100  # no fringe at all: f = 0
    _refused(lambda: ramsey_frequency(waits, p1, 100, DRIVE, 100e3))


def test_ramsey_refuses_data_off_the_model():
    rng = np.random.default_rng(35)
    p = 0.5 * (_ramsey(WAITS, DELTA_A) + _ramsey(WAITS, DELTA_A + 15e3))  # beating
    p1 = rng.binomial(2000, p) / 2000
    _refused(lambda: ramsey_frequency(WAITS, p1, 2000, DRIVE, DELTA_A))


# ---- π time

DURATIONS = np.linspace(0, 40e-6, 21)


def _flopping(rng, freqs, shots=100, a=0.98, durations=DURATIONS):
    p = 0.01 + a * (1 - np.cos(2 * np.pi * np.asarray(freqs)[None, :]
                              * durations[:, None])) / 2
    return rng.binomial(shots, p) / shots


def test_pi_time_recovers_the_mean():
    freqs = [50e3, 52e3]
    truth = float(np.mean(0.5 / np.asarray(freqs)))
    for guess in (None, 10e-6):
        estimate = pi_time(DURATIONS, _flopping(np.random.default_rng(40), freqs), 100,
                           pi_time_guess=guess)
        assert _estimate_ok(estimate)
        assert abs(estimate.value - truth) < 3 * estimate.uncertainty
        assert len(estimate.quality["rabi_frequency"]) == 2


def test_pi_time_one_qubit():
    estimate = pi_time(DURATIONS, _flopping(np.random.default_rng(41), [40e3])[:, 0], 100)
    assert abs(estimate.value - 0.5 / 40e3) < 3 * estimate.uncertainty


def test_pi_time_errors_are_honest():
    rng = np.random.default_rng(42)
    pulls = []
    for _ in range(REPEATS):
        freqs = rng.uniform(40e3, 60e3, size=2)
        truth = float(np.mean(0.5 / freqs))
        estimate = pi_time(DURATIONS, _flopping(rng, freqs), 100)
        pulls.append((estimate.value - truth) / estimate.uncertainty)
    _assert_pull_rms_near_one(pulls, "π time")


def test_pi_time_refuses_a_flat_scan():
    rng = np.random.default_rng(43)
    p1 = rng.binomial(100, np.full((21, 2), 0.03)) / 100
    _refused(lambda: pi_time(DURATIONS, p1, 100))


def test_pi_time_refuses_low_contrast():
    rng = np.random.default_rng(44)
    _refused(lambda: pi_time(DURATIONS, _flopping(rng, [50e3, 50e3], a=0.3), 100),
             "contrast")


def test_pi_time_refuses_a_large_error():
    rng = np.random.default_rng(45)
    durations = np.linspace(0, 12e-6, 5)
    p1 = _flopping(rng, [50e3], shots=4, durations=durations)
    _refused(lambda: pi_time(durations, p1, 4, pi_time_guess=10e-6, min_contrast=0.0))


def test_pi_time_refuses_an_aliased_frequency():
    """Flopping at 290 kHz sampled every 2 µs (Nyquist 250 kHz) looks like 210 kHz: with a
    guess near the true frequency, the fit finds it, above Nyquist, and refuses."""
    rng = np.random.default_rng(47)
    p1 = _flopping(rng, [290e3])
    _refused(lambda: pi_time(DURATIONS, p1, 100, pi_time_guess=0.5 / 290e3), "Nyquist",
             "alias")


def test_pi_time_refuses_data_off_the_model():
    rng = np.random.default_rng(46)
    p = 0.5 * (_flopping(rng, [50e3], shots=10 ** 6) + _flopping(rng, [65e3], shots=10 ** 6))
    p1 = rng.binomial(2000, p) / 2000
    _refused(lambda: pi_time(DURATIONS, p1, 2000, min_contrast=0.0))


# ---- MS detuning

GATE = 200e-6
CURRENT = 25e3


def _odd(rng, delta0, shots=100, a=0.24, b=0.02, kappa=3.0, points=31):
    # The dephasing of a pair by the mode's residual displacement (ms_detuning's model).
    d = CURRENT + np.linspace(-0.5 / GATE, 0.5 / GATE, points)
    p = b + a * (1 - np.exp(-kappa * np.sin(np.pi * GATE * (d - delta0)) ** 2))
    return d, rng.binomial(shots, np.clip(p, 0, 1)) / shots


def test_ms_detuning_recovers_the_closing_detuning():
    d, p = _odd(np.random.default_rng(50), CURRENT + 300.0)
    estimate = ms_detuning(d, p, 100, GATE)
    assert _estimate_ok(estimate)
    assert abs(estimate.value - (CURRENT + 300.0)) < 3 * estimate.uncertainty


def test_ms_detuning_errors_are_honest():
    rng = np.random.default_rng(51)
    pulls = []
    for _ in range(REPEATS):
        delta0 = CURRENT + rng.uniform(-1000, 1000)
        d, p = _odd(rng, delta0)
        estimate = ms_detuning(d, p, 100, GATE)
        pulls.append((estimate.value - delta0) / estimate.uncertainty)
    _assert_pull_rms_near_one(pulls, "MS detuning")


def test_ms_detuning_refuses_no_dip():
    rng = np.random.default_rng(52)
    d, p = _odd(rng, CURRENT, a=0.0, b=0.3)
    _refused(lambda: ms_detuning(d, p, 100, GATE))


def test_ms_detuning_refuses_a_dip_at_the_edge():
    rng = np.random.default_rng(53)
    d, p = _odd(rng, CURRENT + 0.49 / GATE)
    _refused(lambda: ms_detuning(d, p, 100, GATE), "edge")


def test_ms_detuning_refuses_data_off_the_model():
    rng = np.random.default_rng(54)
    d = CURRENT + np.linspace(-0.5 / GATE, 0.5 / GATE, 31)
    p = 0.02 + 0.9 * np.sin(np.pi * GATE * (d - CURRENT)) ** 6  # a flatter dip
    _refused(lambda: ms_detuning(d, rng.binomial(2000, p) / 2000, 2000, GATE), "p-value")


# ---- MS gate time

N_GATES = np.arange(1, 11)


def _repeated(rng, theta, shots=100, a=0.97, b=0.01):
    p = b + a * np.sin(N_GATES * theta / 2) ** 2
    return rng.binomial(shots, p) / shots


def test_ms_gate_time_recovers_the_gate_time():
    theta = np.pi / 2 * 1.05
    estimate = ms_gate_time(N_GATES, _repeated(np.random.default_rng(60), theta), 100, GATE)
    assert _estimate_ok(estimate)
    truth = GATE * (np.pi / 2) / theta
    assert abs(estimate.value - truth) < 3 * estimate.uncertainty
    assert estimate.quality["theta"] == pytest.approx(theta, abs=3 * estimate.quality[
        "theta_err"])


@pytest.mark.parametrize("theta", [0.6, 2.6])
def test_ms_gate_time_far_from_half_pi(theta):
    estimate = ms_gate_time(N_GATES, _repeated(np.random.default_rng(61), theta), 100, GATE)
    assert abs(estimate.quality["theta"] - theta) < 3 * estimate.quality["theta_err"]


def test_ms_gate_time_errors_are_honest():
    rng = np.random.default_rng(62)
    pulls = []
    for _ in range(REPEATS):
        theta = np.pi / 2 * rng.uniform(0.85, 1.15)
        truth = GATE * (np.pi / 2) / theta
        estimate = ms_gate_time(N_GATES, _repeated(rng, theta), 100, GATE)
        pulls.append((estimate.value - truth) / estimate.uncertainty)
    _assert_pull_rms_near_one(pulls, "MS gate time")


def test_ms_gate_time_refuses_a_flat_scan():
    rng = np.random.default_rng(63)
    p = rng.binomial(100, np.full(len(N_GATES), 0.02)) / 100
    _refused(lambda: ms_gate_time(N_GATES, p, 100, GATE))


def test_ms_gate_time_refuses_low_contrast():
    rng = np.random.default_rng(64)
    _refused(lambda: ms_gate_time(N_GATES, _repeated(rng, np.pi / 2, a=0.3), 100, GATE),
             "contrast")


def test_ms_gate_time_refuses_a_large_error():
    rng = np.random.default_rng(65)
    n = np.arange(1, 5)
    p = rng.binomial(3, 0.01 + 0.97 * np.sin(n * np.pi / 4) ** 2) / 3
    _refused(lambda: ms_gate_time(n, p, 3, GATE, min_contrast=0.0, min_p_value=0.0))


def test_ms_gate_time_refuses_data_off_the_model():
    rng = np.random.default_rng(66)
    theta = np.pi / 2
    p = 0.01 + 0.97 * np.sin(N_GATES * theta / 2) ** 2 * np.exp(-N_GATES / 3)  # decays
    _refused(lambda: ms_gate_time(N_GATES, rng.binomial(2000, p) / 2000, 2000, GATE,
                                  min_contrast=0.0), "p-value")
