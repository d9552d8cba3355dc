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


# --- per-point uncertainty ---------------------------------------------------------------

def test_point_errors_combine_scatter_and_binomial_floor():
    from kernels.rb_analysis import survival_errors
    lengths = [1, 20, 50]
    y = np.array([[1.0, 1.0, 1.0],            # every shot survived: the binomial floor
                  [0.95, 0.9, 1.0],           # little scatter: still the floor
                  [0.5, 0.9, 0.7]])           # scatter beyond shot noise
    ms, means, sigma = survival_errors(lengths, y, shots=20)
    assert list(ms) == lengths and means == pytest.approx(y.mean(axis=1))
    n, total = 3, 60
    q = (y.sum(axis=1) * 20 + 0.5) / (total + 1)
    binomial = q * (1 - q) / 20
    assert sigma[0] == pytest.approx(np.sqrt(binomial[0] / n)) and sigma[0] > 0.005
    assert sigma[1] == pytest.approx(np.sqrt(binomial[1] / n))
    assert sigma[2] == pytest.approx(np.sqrt(y[2].var(ddof=1) / n))
    # the shot count defaults to what the values are fractions of
    assert survival_errors(lengths, y)[2] == pytest.approx(sigma)


def test_bootstrap_keeps_the_binomial_floor_where_sequences_agree():
    """Identical sequences at every length (a plain bootstrap of sequence means would give
    p_err = 0): the error bar comes from the shots."""
    lengths = [1, 20, 50, 100, 200]
    mean = np.round(0.48 * 0.99 ** np.array(lengths) + 0.5, 2)
    y = np.repeat(mean[:, None], 5, axis=1)
    r = fit_rb(lengths, y, 1, n_bootstrap=200, shots=100, B=0.5)
    c = fit_rb(lengths, y, 1, n_bootstrap=0, shots=100, B=0.5)
    assert r.resolved and r.p_err > 2e-4
    assert r.p_err == pytest.approx(c.p_err, rel=0.3)


# --- resolved decays: the estimates do not move ------------------------------------------

# p, p_err, A, A_err of the analysis before per-point weights (commit d30f8af), on the
# same seeded data: (A, p, B, lengths, samples, shots, seed), n_qubits, B, n_bootstrap,
# bootstrap seed.
BEFORE = [
    ((0.45, 0.98, 0.5, LENGTHS, 30, 100, 0), 1, None, 100, 0,
     (0.981415490155626, 0.0010879037899660636, 0.4497506947710053, 0.008331179897494989)),
    ((0.45, 0.98, 0.5, LENGTHS, 30, 100, 1), 1, None, 100, 1,
     (0.9802084568266254, 0.0012450496041866198, 0.4588687593408, 0.010938753212666874)),
    ((0.45, 0.98, 0.5, LENGTHS, 30, 100, 2), 1, None, 100, 2,
     (0.9801554114532678, 0.0013175128670697442, 0.4586990284204259, 0.010300770807058195)),
    ((0.45, 0.98, 0.5, LENGTHS, 30, 100, 3), 1, None, 100, 3,
     (0.9789666284581692, 0.0013911783650493936, 0.445604721714734, 0.00880178382378376)),
    ((0.45, 0.98, 0.5, LENGTHS, 30, 100, 4), 1, None, 100, 4,
     (0.9790132046610667, 0.0014752205476281095, 0.42421611386492963, 0.008626389014274033)),
    ((0.7, 0.95, 0.25, [1, 3, 6, 12, 25, 50], 25, 200, 3), 2, None, 100, 0,
     (0.9506412298454865, 0.0021000967237271417, 0.7032637532850913, 0.009593363568589214)),
    ((0.45, 0.999, 0.5, [1, 10, 20, 50, 100], 20, 400, 2), 1, 0.5, 50, 0,
     (0.9989225341282489, 0.00013609602345747847, 0.4488851102639684, 0.002956523594458651)),
    ((0.45, 0.97, 0.5, LENGTHS, 20, 100, 0), 1, None, 50, 4,
     (0.9692830049952812, 0.0019216632497466013, 0.4484351476506229, 0.009861142511913012)),
    ((0.45, 0.98, 0.5, LENGTHS, 15, 100, 6), 1, None, 30, 0,
     (0.9792288577112493, 0.0019130851107171801, 0.4392304757804683, 0.01266986744479185)),
]


@pytest.mark.parametrize("case", range(len(BEFORE)))
def test_resolved_estimates_do_not_move(case):
    """Per-point weights move a resolved fit by a small fraction of its error bar, and its
    error bar by little (the bootstrap now also carries the n/(n-1) and binomial floor)."""
    data, n, B, n_boot, seed, (p, p_err, A, A_err) = BEFORE[case]
    r = fit_rb(data[3], synthetic(*data), n, n_bootstrap=n_boot, seed=seed, B=B,
               shots=data[5])
    assert r.resolved and r.status == "resolved" and r.message == ""
    assert abs(r.p - p) < 0.3 * p_err
    assert abs(r.A - A) < 0.3 * A_err
    assert 0.8 < r.p_err / p_err < 1.3
    assert math.isnan(r.epc_upper_95) and math.isnan(r.epc_lower_95)
    assert r.epc == pytest.approx(epc_from_p(r.p, n))


def test_resolved_result_keys():
    y = synthetic(0.45, 0.98, 0.5, LENGTHS, 10, 100, 1)
    d = fit_rb(LENGTHS, y, 1, n_bootstrap=20, shots=100).as_dict()
    for key in ("n_qubits", "p", "p_err", "A", "A_err", "B", "B_err", "epc", "epc_err",
                "spam"):  # the keys the datasets always had
        assert np.isfinite(d[key]), key
    assert d["resolved"] is True and d["status"] == "resolved" and not d["B_fixed"]
    assert d["model"] == "A*p^m + B; A, p, B free"
    assert np.isnan(d["epc_upper_95"]) and d["shots"] == 100
    assert d["p_ci95"][0] < d["p"] < d["p_ci95"][1]


# --- unresolved decays: a bound, not a vanishing error bar -------------------------------

ISSUE_LENGTHS = np.repeat([1, 20, 50, 100], 3)
ISSUE_SURVIVAL = np.array([1, 1, .95, 1, .95, 1, 1, 1, 1, 1, 1, 1])  # control rb ... 20 shots


def test_issue_example_reports_a_bound():
    """`control rb --system yb171 --lengths 1,20,50,100 --samples 3 --shots 20` used to
    print p = 1 +- 2.3e-11 and EPC 5.6e-17 +- 1.2e-11."""
    with pytest.raises(RBFitError):  # B free: no decay cannot be told from no contrast
        fit_rb(ISSUE_LENGTHS, ISSUE_SURVIVAL, 1, shots=20)
    r = fit_rb(ISSUE_LENGTHS, ISSUE_SURVIVAL, 1, shots=20, B=0.5)
    assert not r.resolved and r.status == "slow"
    assert np.isnan(r.p_err) and np.isnan(r.epc) and np.isnan(r.epc_err)
    assert 1e-4 < r.epc_upper_95 < 1e-3      # the ion model's 2.1e-4 lies below it
    assert r.p_ci95 == (pytest.approx(1 - 2 * r.epc_upper_95), 1.0)
    assert r.delta_chi2_p1 < 3.84
    text = r.table()
    assert "NOT RESOLVED" in text and "< {:.2g}".format(r.epc_upper_95) in text
    assert "+- 1.2e-11" not in text and "fixed" in text
    d = r.as_dict()
    assert d["resolved"] is False and d["status"] == "slow" and d["B_fixed"] is True
    assert d["epc_upper_95"] == r.epc_upper_95 and np.isnan(d["epc"])
    assert "B fixed at 0.5" in d["model"] and "95 %" in d["message"]


def test_all_survive_bound_shrinks_with_shots_and_lengths():
    def bound(lengths, samples, shots):
        y = np.ones((len(lengths), samples))
        r = fit_rb(lengths, y, 1, B=0.5, shots=shots)
        assert not r.resolved and r.status == "slow"
        return r.epc_upper_95
    base = bound([1, 20, 50, 100], 3, 20)
    assert bound([1, 20, 50, 100], 3, 200) < base / 5
    assert bound([1, 20, 50, 100, 1000], 3, 20) < base / 5
    # shot counts unknown: all-ones data could be one shot each, a much weaker bound
    r = fit_rb([1, 20, 50, 100], np.ones((4, 3)), 1, B=0.5)
    assert r.shots == 1 and r.epc_upper_95 > base


@pytest.mark.slow
@pytest.mark.parametrize("n", [1, 2])
def test_the_bound_covers_the_true_error(n):
    """Where the decay is not resolved, the 95 % bound lies above the true EPC in about
    95 % of runs (seeded; binomial shot noise only)."""
    d = 2 ** n
    lengths, samples, shots, epc = [1, 10, 30, 60], 3, 20, 1e-3
    p = 1 - epc * d / (d - 1)
    rng = np.random.default_rng(11 + n)
    covered = unresolved = 0
    for _ in range(30):
        q = (0.98 - 1 / d) * p ** np.array(lengths, dtype=float) + 1 / d
        y = rng.binomial(shots, np.repeat(q[:, None], samples, axis=1)) / shots
        r = fit_rb(lengths, y, n, n_bootstrap=0, B=1 / d, shots=shots)
        if not r.resolved:
            unresolved += 1
            covered += r.epc_upper_95 >= epc
    assert unresolved >= 15
    assert covered >= 0.85 * unresolved


def test_survival_at_the_floor_from_the_first_length():
    """Decay too fast for the lengths (or no contrast): said so, no number, no bound."""
    rng = np.random.default_rng(3)
    y = rng.binomial(20, 0.5, (4, 3)) / 20
    with pytest.raises(RBFitError):
        fit_rb([1, 20, 50, 100], y, 1, shots=20)
    r = fit_rb([1, 20, 50, 100], y, 1, shots=20, B=0.5)
    assert not r.resolved and r.status == "flat"
    assert np.isnan(r.p) and np.isnan(r.epc) and np.isnan(r.epc_upper_95)
    assert "asymptote" in r.message and "too fast" in r.message
    assert "no bound" in r.table()


def test_nearly_zero_survival():
    """Survival near 0, below the 1/d asymptote of any RB decay: said so, no number."""
    rng = np.random.default_rng(4)
    y = rng.binomial(20, 0.02, (4, 3)) / 20
    with pytest.raises(RBFitError):
        fit_rb([1, 20, 50, 100], y, 1, shots=20)
    r = fit_rb([1, 20, 50, 100], y, 1, shots=20, B=0.5)
    assert not r.resolved and r.status == "below_floor"
    assert np.isnan(r.p) and np.isnan(r.epc) and np.isnan(r.A) and np.isnan(r.spam)
    assert "below" in r.message and "readout" in r.message
    d = r.as_dict()
    assert d["resolved"] is False and np.isnan(d["epc_upper_95"])


def test_decay_over_before_the_first_nonzero_length_bounds_epc_from_below():
    y = np.array([[0.98] * 3, [0.5, 0.55, 0.45], [0.5, 0.45, 0.5], [0.5, 0.55, 0.5]])
    r = fit_rb([0, 20, 50, 100], y, 1, shots=20, B=0.5)
    assert not r.resolved and r.status == "fast"
    assert np.isnan(r.p) and np.isnan(r.epc)
    assert 0.01 < r.epc_lower_95 < 0.5
    assert r.p_ci95[0] == 0 and r.p_ci95[1] == pytest.approx(1 - 2 * r.epc_lower_95)
    assert "shorter sequences" in r.message and "EPC >" in r.summary()


# --- joint interleaved RB ----------------------------------------------------------------

def _irb_data(n, seed_ref=10, seed_int=11):
    d = 2 ** n
    p_ref, r_gate = (0.98, 0.005) if n == 1 else (0.93, 0.02)
    p_gate = 1 - r_gate * d / (d - 1)
    lengths = [1, 4, 8, 16, 32, 64, 128] if n == 1 else [1, 2, 4, 8, 16, 32, 48]
    A, B = 0.9 - 1 / d, 1 / d
    return (lengths, synthetic(A, p_ref, B, lengths, 40, 500, seed_ref),
            synthetic(A, p_ref * p_gate, B, lengths, 40, 500, seed_int), r_gate)


# qiskit-experiments 0.14.2 InterleavedRBAnalysis on the same counts (500 shots, outcome
# "0"*n, fed as ExperimentData): EPC of the interleaved gate and its standard error.
QISKIT_IRB = {1: (0.004446987065228947, 0.00025298654498186955),
              2: (0.020068084125634184, 0.0007409731121243343)}


@pytest.mark.parametrize("n", [1, 2])
def test_joint_interleaved_fit_agrees_with_qiskit_experiments(n):
    from kernels.rb_analysis import fit_interleaved
    lengths, ref, inter, r_gate = _irb_data(n)
    joint = fit_interleaved(lengths, ref, lengths, inter, n, shots=500)
    separate = fit_interleaved(lengths, ref, lengths, inter, n, shots=500,
                               method="separate")
    r_q, err_q = QISKIT_IRB[n]
    assert joint.method == "joint" and joint.resolved and not joint.B_fixed
    assert abs(joint.r_c - r_q) < 0.15 * err_q
    assert 0.85 < joint.r_c_err / err_q < 1.25
    assert abs(joint.r_c - r_gate) < 3 * joint.r_c_err
    assert separate.method == "separate" and separate.r_c_err > 1.8 * joint.r_c_err
    # one A and one B for both curves
    assert joint.reference.A == joint.interleaved.A == joint.A
    assert joint.reference.B == joint.interleaved.B == joint.B
    assert joint.p_int == pytest.approx(joint.p_ref * joint.p_c)
    assert joint.r_c == pytest.approx((2 ** n - 1) / 2 ** n * (1 - joint.p_c))
    assert "A and B shared" in joint.model and "joint" in joint.reference.model
    assert "joint" in joint.table() and "gate error" in joint.table()
    d = joint.as_dict()
    assert d["method"] == "joint" and d["resolved"] is True and np.isfinite(d["r_c_err"])


def test_separate_method_is_the_old_combination():
    from kernels.rb_analysis import fit_interleaved
    lengths, ref, inter, _ = _irb_data(1)
    sep = fit_interleaved(lengths, ref, lengths, inter, 1, n_bootstrap=50, shots=500,
                          method="separate")
    old = interleaved_error(fit_rb(lengths, ref, 1, n_bootstrap=50, shots=500),
                            fit_rb(lengths, inter, 1, n_bootstrap=50, shots=500))
    assert sep.r_c == old.r_c and sep.r_c_err == old.r_c_err
    assert "alone" in sep.model
    with pytest.raises(ValueError, match="joint"):
        fit_interleaved(lengths, ref, lengths, inter, 1, method="both")


def test_joint_fit_with_no_gate_error_bounds_it():
    """Interleaving a perfect gate: p_c = 1 is allowed, the gate error is bounded."""
    from kernels.rb_analysis import fit_interleaved
    lengths = [1, 4, 8, 16, 32, 64, 128]
    ref = synthetic(0.4, 0.98, 0.5, lengths, 20, 200, 1)
    inter = synthetic(0.4, 0.98, 0.5, lengths, 20, 200, 2)
    res = fit_interleaved(lengths, ref, lengths, inter, 1, n_bootstrap=30, shots=200,
                          B=0.5)
    assert not res.resolved and res.status == "slow"
    assert np.isnan(res.r_c) and np.isnan(res.r_c_err)
    assert 0 < res.r_c_upper_95 < 0.01
    assert res.lower == 0 and res.upper == pytest.approx(res.r_c_upper_95 + res.bound)
    assert "GATE ERROR NOT RESOLVED" in res.table() and "<" in res.summary()
    assert "no gate error resolved" in res.message
    assert res.reference.resolved  # the reference decay itself is resolved


# --- plots ---------------------------------------------------------------------------------

@pytest.fixture
def legend_texts(monkeypatch):
    """The legend and text of every figure plot_rb saves."""
    from matplotlib.figure import Figure
    seen = []
    save = Figure.savefig

    def spy(fig, *args, **kwargs):
        ax = fig.axes[0]
        seen.append([t.get_text() for t in ax.get_legend().get_texts()]
                    + [t.get_text() for t in ax.texts] + [ax.get_title()])
        return save(fig, *args, **kwargs)
    monkeypatch.setattr(Figure, "savefig", spy)
    return seen


def test_plot_of_an_unresolved_decay_shows_the_bound(tmp_path, legend_texts):
    r = fit_rb(ISSUE_LENGTHS, ISSUE_SURVIVAL, 1, shots=20, B=0.5)
    path = plot_rb(r, None, tmp_path / "rb.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = " | ".join(legend_texts[-1])
    assert "EPC < {:.2g}".format(r.epc_upper_95) in text and "95 % bound" in text
    assert "B fixed at 0.5" in text and "±" not in text.split("error bars")[0]


def test_interleaved_plot_labels_both_curves(tmp_path, legend_texts):
    from kernels.rb_analysis import fit_interleaved
    lengths, ref, inter, _ = _irb_data(1)
    gate = fit_interleaved(lengths, ref, lengths, inter, 1, n_bootstrap=20, shots=500)
    plot_rb([gate.reference, gate.interleaved], None, tmp_path / "irb.png",
            labels=["reference", "interleaved x"], gate=gate)
    text = " | ".join(legend_texts[-1])
    assert "reference: p = " in text and "interleaved x: p = " in text
    assert "gate error" in text and "A and B shared" in text


# --- the experiment: datasets and HDF5 keep what the printout says -----------------------

def _run_rb(tmp_path, errors, lengths, samples, shots, interleave=""):
    import os
    from control import pyon
    from control.runner import run_experiment
    from drivers import systems
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    arguments = dict(system="yb171", n_qubits=1, lengths=pyon.encode(lengths),
                     samples=samples, shots=shots, seed=3, interleave=interleave)
    return run_experiment(os.path.join(root, "experiments", "rb.py"), "RB", arguments,
                          systems.device_db_path("yb171"), sim=True,
                          sim_options=systems.sim_config("yb171", errors=errors, seed=3),
                          results_dir=str(tmp_path))


def test_experiment_records_the_bound_the_model_and_the_expected_epc(tmp_path):
    import h5py
    run = _run_rb(tmp_path, None, [1, 20, 50, 100], 3, 20)   # the trap's default errors
    with h5py.File(run.path, "r") as f:
        ds = {k: f["datasets"][k][()] for k in f["datasets"]}
    compiler = run.experiment.rb.program.compiler
    from drivers.systems.yb171.sim import ERRORS
    expected = (1 - compiler.expected_decay(ERRORS["depolarizing"],
                                            ERRORS["depolarizing_2q"])) / 2
    assert ds["rb.sim.expected_epc"] == pytest.approx(expected)
    assert b"depolarizing" in ds["rb.sim.errors"]
    assert bool(ds["rb.fit.B_fixed"]) is True
    assert ds["rb.fit.model"] == b"A*p^m + B; A, p free; B fixed at 0.5"
    assert bool(ds["rb.fit.resolved"]) is False and ds["rb.fit.status"] == b"slow"
    assert np.isnan(ds["rb.fit.epc"]) and np.isnan(ds["rb.fit.p_err"])
    assert expected < ds["rb.fit.epc_upper_95"] < 1e-3


def test_interleaved_experiment_uses_the_joint_fit(tmp_path):
    import h5py
    run = _run_rb(tmp_path, {"depolarizing": 0.01}, [1, 8, 20, 40, 60], 6, 40,
                  interleave="x")
    gate = run.experiment.results["gate"]
    assert gate.method == "joint"
    with h5py.File(run.path, "r") as f:
        ds = {k: f["datasets"][k][()] for k in f["datasets"]}
    assert ds["rb.gate.method"] == b"joint" and b"A and B shared" in ds["rb.gate.model"]
    assert ds["rb.gate.r_c"] == gate.r_c or np.isnan(gate.r_c)
    assert b"joint fit" in ds["rb.fit.model"]
    assert b"joint fit" in ds["rb.interleaved.model"]
    assert "rb.sim.expected_epc" in ds


def test_joint_fit_of_curves_that_do_not_decay(tmp_path, legend_texts):
    """Every shot survives in both curves: each curve and the gate error get a bound, and
    the plot shows both bounds."""
    from kernels.rb_analysis import fit_interleaved
    lengths = [1, 10, 30, 60]
    ones = np.ones((4, 3))
    gate = fit_interleaved(lengths, ones, lengths, ones, 1, shots=20, B=0.5)
    assert not gate.resolved and gate.status == "slow" and 0 < gate.r_c_upper_95 < 0.01
    for curve in (gate.reference, gate.interleaved):
        assert not curve.resolved and curve.status == "slow"
        assert 0 < curve.epc_upper_95 < 0.01 and len(curve.bound_params) == 3
    plot_rb([gate.reference, gate.interleaved], None, tmp_path / "flat.png",
            labels=["reference", "interleaved x"], gate=gate)
    text = " | ".join(legend_texts[-1])
    assert text.count("95 % bound") == 2 and "gate error <" in text
    with pytest.raises(RBFitError):   # B free: A cannot be told from B
        fit_interleaved(lengths, ones, lengths, ones, 1, shots=20)


def test_joint_fit_with_nearly_zero_survival_says_so():
    from kernels.rb_analysis import fit_interleaved
    rng = np.random.default_rng(5)
    lengths = [1, 10, 30, 60]
    low = rng.binomial(20, 0.02, (4, 3)) / 20
    gate = fit_interleaved(lengths, low, lengths, low, 1, shots=20, B=0.5)
    assert not gate.resolved and gate.status == "below_floor" and np.isnan(gate.r_c)
    assert gate.reference.status == gate.interleaved.status == "below_floor"
    assert "below" in gate.message and "GATE ERROR NOT RESOLVED" in gate.table()
    assert gate.as_dict()["resolved"] is False
