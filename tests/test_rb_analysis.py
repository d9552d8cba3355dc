"""RB fits on synthetic decays with shot noise: recovery, error bars, refusals, plots."""
import math

import numpy as np
import pytest

from kernels.fitting import FitError
from kernels.rb_analysis import (RBFitError, RBResult, epc_from_p, fit_rb,
                                 interleaved_error, plot_rb)

LENGTHS = [1, 5, 10, 20, 50, 100, 200]


def synthetic(A, p, B, lengths, samples, shots, seed, spread=0.02):
    """Survival per (length, sample): the decay, a sequence-to-sequence spread that
    shrinks with the decaying part, then binomial shot noise."""
    rng = np.random.default_rng(seed)
    decay = A * np.power(p, np.asarray(lengths, dtype=float))[:, None]
    per_seq = decay * (1 + spread / A * rng.standard_normal((len(lengths), samples))) + B
    return rng.binomial(shots, np.clip(per_seq, 0, 1)) / shots


@pytest.mark.parametrize("seed", range(5))
def test_fit_recovers_p_within_its_bootstrap_error(seed):
    y = synthetic(0.45, 0.98, 0.5, LENGTHS, 30, 100, seed)
    r = fit_rb(LENGTHS, y, 1, n_bootstrap=100, seed=seed)
    assert 0 < r.p_err < 0.003                     # an error bar that means something
    assert abs(r.p - 0.98) < 3 * r.p_err
    assert r.p_ci95[0] < r.p < r.p_ci95[1]
    assert abs(r.A - 0.45) < 0.05 and abs(r.B - 0.5) < 0.05
    assert r.epc == pytest.approx(0.5 * (1 - r.p))
    assert r.epc_err == pytest.approx(0.5 * r.p_err)
    assert r.spam == pytest.approx(1 - r.A - r.B)


def test_two_qubit_fit_and_epc():
    lengths = [1, 3, 6, 12, 25, 50]
    y = synthetic(0.7, 0.95, 0.25, lengths, 25, 200, 3)
    r = fit_rb(lengths, y, 2, n_bootstrap=100)
    assert abs(r.p - 0.95) < 3 * r.p_err
    assert r.epc == pytest.approx(0.75 * (1 - r.p))


def test_epc_formula():
    assert epc_from_p(0.99, 1) == pytest.approx(0.005)
    assert epc_from_p(0.99, 2) == pytest.approx(0.0075)
    assert epc_from_p(1.0, 2) == 0


def test_bootstrap_is_seeded():
    y = synthetic(0.45, 0.97, 0.5, LENGTHS, 20, 100, 0)
    a, b = fit_rb(LENGTHS, y, 1, n_bootstrap=50, seed=4), fit_rb(LENGTHS, y, 1,
                                                                  n_bootstrap=50, seed=4)
    c = fit_rb(LENGTHS, y, 1, n_bootstrap=50, seed=5)
    assert a.p_err == b.p_err and a.p_err != c.p_err
    assert a.p == c.p


def test_flat_input_equals_grid_input():
    y = synthetic(0.45, 0.97, 0.5, LENGTHS, 10, 100, 1)
    grid = fit_rb(LENGTHS, y, 1, n_bootstrap=0)
    flat = fit_rb(np.repeat(LENGTHS, 10), y.ravel(), 1, n_bootstrap=0)
    assert flat.p == pytest.approx(grid.p, rel=1e-9)


def test_fixed_B_resolves_a_weak_decay():
    lengths = [1, 10, 20, 50, 100]
    y = synthetic(0.45, 0.999, 0.5, lengths, 20, 400, 2)
    r = fit_rb(lengths, y, 1, n_bootstrap=50, B=0.5)
    assert r.B == 0.5 and r.B_err == 0 and r.B_fixed
    assert abs(r.p - 0.999) < 3 * r.p_err


# --- refusals ----------------------------------------------------------------------------

def test_nan_data_raise():
    with pytest.raises(RBFitError, match="NaN"):
        fit_rb(LENGTHS, np.full((7, 10), np.nan), 1)


@pytest.mark.parametrize("seed", range(8))
def test_flat_random_data_raise(seed):
    rng = np.random.default_rng(seed)
    with pytest.raises(RBFitError):
        fit_rb(LENGTHS, rng.uniform(0, 1, (7, 20)), 1, n_bootstrap=20)


@pytest.mark.parametrize("seed", range(4))
def test_flat_shot_noise_without_decay_raises(seed):
    rng = np.random.default_rng(seed)
    with pytest.raises(RBFitError):
        fit_rb(LENGTHS, rng.binomial(100, 0.8, (7, 20)) / 100, 1, n_bootstrap=20)


def test_no_decay_at_all_raises():
    with pytest.raises(RBFitError):
        fit_rb(LENGTHS, np.ones((7, 5)), 1)


def test_too_few_lengths_raise():
    y = synthetic(0.45, 0.98, 0.5, [1, 10, 100], 10, 100, 0)
    with pytest.raises(RBFitError, match="at least 4 distinct lengths"):
        fit_rb([1, 10, 100], y, 1)


def test_out_of_range_and_misshaped_data():
    with pytest.raises(RBFitError, match="outside"):
        fit_rb(LENGTHS, np.full((7, 3), 1.5), 1)
    with pytest.raises(ValueError):
        fit_rb(LENGTHS, np.full((6, 3), 0.5), 1)


def test_rb_fit_error_is_a_fit_error():
    assert issubclass(RBFitError, FitError)


# --- interleaved -------------------------------------------------------------------------

@pytest.mark.parametrize("n,p_ref,r_gate", [(1, 0.98, 0.005), (2, 0.93, 0.02)])
def test_interleaved_recovers_a_known_gate_error(n, p_ref, r_gate):
    d = 2 ** n
    p_gate = 1 - r_gate * d / (d - 1)
    lengths = [1, 4, 8, 16, 32, 64, 128] if n == 1 else [1, 2, 4, 8, 16, 32, 48]
    A, B = 0.9 - 1 / d, 1 / d
    ref = fit_rb(lengths, synthetic(A, p_ref, B, lengths, 40, 500, 10), n, n_bootstrap=100)
    inter = fit_rb(lengths, synthetic(A, p_ref * p_gate, B, lengths, 40, 500, 11), n,
                   n_bootstrap=100)
    res = interleaved_error(ref, inter)
    assert abs(res.r_c - r_gate) < 3 * res.r_c_err
    assert res.r_c_err < r_gate / 2
    assert res.lower <= r_gate <= res.upper
    assert "gate error" in res.table()


def test_interleaved_bound_formula():
    class Fit:  # only what interleaved_error reads
        def __init__(self, p):
            self.n_qubits, self.p, self.p_err = 1, p, 0.0
    res = interleaved_error(Fit(0.99), Fit(0.98))
    d, p, pc = 2, 0.99, 0.98
    e1 = (d - 1) * (abs(p - pc / p) + 1 - p) / d
    e2 = 2 * (d * d - 1) * (1 - p) / (p * d * d) + 4 * math.sqrt(1 - p) * math.sqrt(
        d * d - 1) / p
    assert res.r_c == pytest.approx(0.5 * (1 - pc / p))
    assert res.bound == pytest.approx(min(e1, e2))
    assert res.upper == pytest.approx(res.r_c + res.bound)


# --- output ------------------------------------------------------------------------------

def test_table_and_plot(tmp_path):
    y = synthetic(0.45, 0.98, 0.5, LENGTHS, 15, 100, 6)
    r = fit_rb(LENGTHS, y, 1, n_bootstrap=30)
    assert isinstance(r, RBResult)
    text = r.table()
    assert "error per Clifford" in text and "{:.6g}".format(r.p) in text
    path = plot_rb(r, (LENGTHS, y), tmp_path / "rb.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    two = plot_rb([r, r], None, tmp_path / "rb2.png")
    assert two.stat().st_size > 5000
