"""Rabi and Ramsey fits report error bars that binomial data bears out: over many seeded
synthetic scans with few shots, (fit - truth) / error has a spread of 1 (the pulls). A
fit weighted by the measured probabilities gave a spread near 2 at 20 shots, because
points measured at exactly 0 or 1 got error bars near zero."""
import numpy as np
import pytest

from kernels.rabi import _rabi, fit_rabi
from kernels.ramsey import _ramsey, fit_ramsey

SCANS = 100


def _pulls(make_p, fit, truth, shots, seed):
    rng = np.random.default_rng(seed)
    pulls = []
    for _ in range(SCANS):
        p1 = rng.binomial(shots, np.clip(make_p(), 0, 1)) / shots
        result = fit(p1)
        pulls.append((result["f"] - truth) / result.error("f"))
    return np.asarray(pulls)


@pytest.mark.parametrize("shots", [20, 100])
def test_rabi_frequency_errors_are_calibrated(shots):
    t = np.linspace(0, 40e-6, 21)
    pulls = _pulls(lambda: _rabi(t, 50e3, 1.0, 0.0), lambda p1: fit_rabi(t, p1, shots, 50e3),
                   50e3, shots, seed=1)
    rms = float(np.sqrt(np.mean(pulls ** 2)))
    assert 0.8 < rms < 1.25, rms
    assert abs(pulls.mean()) < 3 / np.sqrt(SCANS) * rms + 0.05


@pytest.mark.slow
@pytest.mark.parametrize("shots", [20, 100])
def test_ramsey_frequency_errors_are_calibrated(shots):
    w = np.linspace(0, 100e-6, 26)
    pulls = _pulls(lambda: _ramsey(w, 48e3, 0.95, 300e-6, 0.0),
                   lambda p1: fit_ramsey(w, p1, shots, 50e3), 48e3, shots, seed=2)
    rms = float(np.sqrt(np.mean(pulls ** 2)))
    assert 0.8 < rms < 1.25, rms
