"""The analysis half of the calibration experiments: measured data in, an :class:`Estimate`
out, or :class:`control.calgraph.CalibrationRefused` with a reason a physicist can act on.

Pure functions (host side, no hardware, no kernels), split from the measurements as in
qiskit-experiments: an experiment measures, hands its data here, and returns
``estimate.calibrated(shots)`` to the calibration graph. Each returns an :class:`Estimate`:
``value``, ``uncertainty`` (one standard deviation), ``quality`` (goodness of fit, plain
floats, ints and lists of them, as datasets hold them: always ``chi2_red``, ``p_value`` and
``dof``, plus the figures of the kind) and a one-line ``detail``.

Probabilities are fitted with binomial weights from the fitted model
(``kernels.fitting.refit_binomial``); ``p_value`` is the χ² probability of the final fit
with those weights. ``shots`` is the shots per point (an int, or one per point); a refusal
carries the shots the data took.

========================  ==========================================  =====================
function                  value                                       refuses on
========================  ==========================================  =====================
detection_threshold       the count threshold (int, count > it reads  no photons; means not
                          bright), one for all qubits                 separated; w < 0.1;
                                                                      fidelity < 0.9
spectroscopy_center       the line centre f0 (Hz)                     fit fails; contrast
                                                                      < 0.3; < 3 points on
                                                                      the line; f0 at or
                                                                      past the edge;
                                                                      p < 1e-4
ramsey_frequency          the qubit frequency (Hz)                    contrast < 0.3; f not
                                                                      in (0, Nyquist);
                                                                      |δ| > δ_a/2; p < 1e-4
pi_time                   the π time (s), mean over qubits            contrast < 0.5; f
                                                                      above Nyquist; error
                                                                      > 5 %; p < 1e-4
ms_detuning               the MS detuning δ0 that closes the loops    no dip (A ≤ 3σ); δ0
                          (Hz)                                        at the edge; p < 1e-4
ms_gate_time              the gate time for θ = π/2 (s)               contrast < 0.5; error
                                                                      > 5 %; p < 1e-4
========================  ==========================================  =====================

Every refusal threshold is a keyword argument with the default above.
"""
from dataclasses import dataclass, field
import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from control.calgraph import Calibrated, CalibrationRefused
from control.counting import best_threshold, misassignment
from kernels.fitting import (Fit, FitError, binomial_sigma, fit_curve, model_sigma,
                             refit_binomial)
from kernels.rabi import fit_rabi
from kernels.ramsey import fit_ramsey

__all__ = ["Estimate", "detection_threshold", "spectroscopy_center", "ramsey_frequency",
           "pi_time", "ms_detuning", "ms_gate_time"]

Quality = dict[str, float | int | list[float] | list[int]]


@dataclass
class Estimate:
    """What an analysis found: ``value`` (a float; an int for a count threshold), its
    ``uncertainty`` (one standard deviation, a float), ``quality`` (goodness of fit:
    ``chi2_red``, ``p_value``, ``dof`` and the kind's own figures, as plain floats, ints
    and lists of them) and ``detail``, one line for a report."""
    value: float | int
    uncertainty: float
    quality: Quality = field(default_factory=dict)
    detail: str = ""

    def calibrated(self, shots: int = 0) -> Calibrated:
        """The :class:`control.calgraph.Calibrated` a node returns for this estimate."""
        return Calibrated(self.value, self.uncertainty, shots=shots,
                          quality=dict(self.quality), detail=self.detail)


# ---- shared helpers

def _refuse(reason: str, shots: int) -> CalibrationRefused:
    return CalibrationRefused(reason, int(shots))


def _scan(x: ArrayLike, y: ArrayLike, shots: ArrayLike, what: str
          ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], int]:
    """Scan points and probabilities as float arrays, shots per point, total shots."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1 or y.shape[:1] != x.shape:
        raise ValueError("{}: one probability per scan point, got {} points and data of "
                         "shape {}".format(what, x.shape, y.shape))
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("{}: scan points and probabilities must be finite".format(what))
    per_point = np.broadcast_to(np.asarray(shots, dtype=float), x.shape).astype(float)
    if np.any(per_point < 1):
        raise ValueError("{}: shots per point must be at least 1".format(what))
    return x, y, per_point, int(round(float(per_point.sum())))


def _spacing(x: NDArray[np.float64]) -> float:
    """The typical distance between neighbouring scan points (the median)."""
    steps = np.diff(np.unique(x))
    return float(np.median(steps)) if len(steps) else 0.0


def _chi2(fit: Fit, x: NDArray[np.float64], y: NDArray[np.float64],
          shots: NDArray[np.float64]) -> tuple[float, int]:
    """χ² of binomial data against the fit, weighted by the model's variance, and its
    degrees of freedom."""
    sigma = model_sigma(fit(x), shots)
    return float(np.sum(((y - fit(x)) / sigma) ** 2)), len(x) - len(fit.names)


@dataclass
class _Goodness:
    """χ² per degree of freedom, its p-value and the degrees of freedom."""
    chi2_red: float
    p_value: float
    dof: int

    def quality(self) -> Quality:
        return {"chi2_red": self.chi2_red, "p_value": self.p_value, "dof": self.dof}


def _goodness(chi2: float, dof: int) -> _Goodness:
    from scipy import stats

    if dof <= 0:
        return _Goodness(0.0, 1.0, int(dof))
    return _Goodness(chi2 / dof, float(stats.chi2.sf(chi2, dof)), int(dof))


def _check_p(gof: _Goodness, min_p_value: float, what: str, shots: int) -> None:
    if gof.p_value < min_p_value:
        raise _refuse("{}: fit p-value {:.2g} < {:g} (χ²/dof {:.2f} over {} degrees of "
                      "freedom): the data do not follow the model (drift, a second line, "
                      "or wrong settings?)".format(what, gof.p_value, min_p_value,
                                                   gof.chi2_red, gof.dof), shots)


def _best_of(candidates: list[Fit], x: NDArray[np.float64], y: NDArray[np.float64],
             sigma: NDArray[np.float64]) -> Fit:
    """The candidate fit with the lowest χ² (``sigma`` fixed)."""
    return min(candidates, key=lambda f: float(np.sum(((f(x) - y) / sigma) ** 2)))


def _hz(f: float) -> str:
    """A frequency with a readable unit."""
    for unit, scale in (("GHz", 1e9), ("MHz", 1e6), ("kHz", 1e3)):
        if abs(f) >= scale:
            return "{:.6g} {}".format(f / scale, unit)
    return "{:.4g} Hz".format(f)


def _s(t: float) -> str:
    """A duration with a readable unit."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(t) >= scale:
            return "{:.5g} {}".format(t / scale, unit)
    return "{:.5g} ns".format(t / 1e-9)


# ---- 1. detection threshold

def _poisson_mixture_fit(prepared: NDArray[np.int64], flipped: NDArray[np.int64]
                         ) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
    """Maximum likelihood of Poisson(λ_p) for ``prepared`` and (1−w) Poisson(λ_p) +
    w Poisson(λ_o) for ``flipped``, jointly (EM from a few starts, polished by L-BFGS-B).
    Returns ``(λ_p, λ_o, w)``, their covariance (``_mixture_covariance``) and the negative
    log-likelihood."""
    from scipy import optimize
    from scipy.special import gammaln, xlogy

    kmax = int(max(prepared.max(initial=0), flipped.max(initial=0)))
    k = np.arange(kmax + 1, dtype=float)
    a = np.bincount(prepared, minlength=kmax + 1).astype(float)
    b = np.bincount(flipped, minlength=kmax + 1).astype(float)
    n_a, n_b = a.sum(), b.sum()

    log_k_factorial = gammaln(k + 1)

    def log_pmf(lam: float) -> NDArray[np.float64]:
        return np.asarray(xlogy(k, lam) - lam - log_k_factorial, dtype=float)

    def log_terms(lp: float, lo: float, w: float
                  ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        log_p = log_pmf(lp)
        with np.errstate(divide="ignore"):
            parts = (np.log1p(-w) + log_p, np.log(w) + log_pmf(lo))
        return log_p, parts[1], np.logaddexp(*parts)

    def nll(theta: NDArray[np.float64]) -> float:
        lp, lo, w = theta
        log_p, _, log_m = log_terms(lp, lo, w)
        total = np.sum(a[a > 0] * log_p[a > 0]) + np.sum(b[b > 0] * log_m[b > 0])
        return -float(total) if np.isfinite(total) else 1e300

    def em(lp: float, lo: float, w: float) -> NDArray[np.float64]:
        for _ in range(500):
            _, log_other, log_m = log_terms(lp, lo, w)
            with np.errstate(invalid="ignore"):
                r = np.exp(log_other - log_m)  # responsibility of the other component
            r = np.where(np.isfinite(r), r, 0.0)
            br = b * r
            n_o = br.sum()
            new = ((a @ k + (b - br) @ k) / (n_a + n_b - n_o),
                   (br @ k) / n_o if n_o > 0 else lo, n_o / n_b)
            done = (abs(new[0] - lp) <= 1e-10 * (1 + lp) and abs(new[1] - lo) <= 1e-10
                    * (1 + lo) and abs(new[2] - w) <= 1e-10)
            lp, lo, w = new
            if done:
                break
        return np.array([lp, lo, w])

    lp0 = float(prepared.mean())
    spread = 3 * math.sqrt(lp0) + 1
    starts = []
    for side in (flipped[flipped > lp0 + spread], flipped[flipped < lp0 - spread]):
        if len(side):
            starts.append((lp0, float(side.mean()),
                           min(max(len(side) / len(flipped), 0.05), 0.95)))
    starts += [(lp0, lp0 + spread, 0.5), (lp0, max(lp0 - spread, 0.0), 0.5)]
    best = min((em(*s) for s in starts), key=nll)
    # Polish (EM crawls where the components overlap).
    polished = optimize.minimize(nll, best, method="L-BFGS-B",
                                 bounds=[(0, None), (0, None), (0, 1)])
    if polished.success and polished.fun <= nll(best):
        best = np.asarray(polished.x, dtype=float)
    lp, lo, w = (float(v) for v in best)
    return best, _mixture_covariance(k, a, b, lp, lo, w), nll(best)


def _mixture_covariance(k: NDArray[np.float64], a: NDArray[np.float64],
                        b: NDArray[np.float64], lp: float, lo: float, w: float
                        ) -> NDArray[np.float64]:
    """The inverse of the observed information of ``(λ_p, λ_o, w)`` (analytic). A rate
    fitted at zero (no counts in its component) gets the error of one count over that
    component's shots, 1/N, uncorrelated; a singular information gives infinite errors."""
    from scipy import stats

    n_a, n_b = a.sum(), b.sum()
    zero = [lp <= 1e-12, lo <= 1e-12]
    lp_, lo_ = max(lp, 1e-12), max(lo, 1e-12)
    p = stats.poisson.pmf(k, lp_)
    o = stats.poisson.pmf(k, lo_)
    m = (1 - w) * p + w * o
    keep = (b > 0) & (m > 0)
    p, o, m, kb, bb = p[keep], o[keep], m[keep], k[keep], b[keep]
    u, v = kb / lp_ - 1, kb / lo_ - 1
    g = np.stack([(1 - w) * p * u, w * o * v, o - p])           # ∂m/∂θ
    h = np.zeros((3, 3, len(kb)))                                # ∂²m/∂θ²
    h[0, 0] = (1 - w) * p * (u ** 2 - kb / lp_ ** 2)
    h[1, 1] = w * o * (v ** 2 - kb / lo_ ** 2)
    h[0, 2] = h[2, 0] = -p * u
    h[1, 2] = h[2, 1] = o * v
    info = -np.einsum("ijn,n->ij", h, bb / m) + np.einsum("in,jn,n->ij", g, g, bb / m ** 2)
    info[0, 0] += float(a @ k) / lp_ ** 2
    free = [i for i in range(3) if not (i < 2 and zero[i])]
    cov = np.full((3, 3), 0.0)
    sub = info[np.ix_(free, free)]
    try:
        if np.all(np.linalg.eigvalsh(sub) > 0):
            cov[np.ix_(free, free)] = np.linalg.inv(sub)
        else:
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        cov[np.ix_(free, free)] = np.inf
    shots_of = (n_a + (1 - w) * n_b, w * n_b)
    for i in range(2):
        if zero[i]:
            cov[i, i] = (1.0 / max(shots_of[i], 1.0)) ** 2
    return cov


def _merged_chi2(observed: NDArray[np.float64], expected: NDArray[np.float64],
                 minimum: float = 5.0) -> tuple[float, int]:
    """Pearson's χ² of a histogram, adjacent bins merged until each expects at least
    ``minimum`` counts; and the number of merged bins."""
    obs_groups, exp_groups = [], []
    o_acc = e_acc = 0.0
    for o, e in zip(observed, expected):
        o_acc += o
        e_acc += e
        if e_acc >= minimum:
            obs_groups.append(o_acc)
            exp_groups.append(e_acc)
            o_acc = e_acc = 0.0
    if e_acc > 0 or o_acc > 0:
        if exp_groups:
            obs_groups[-1] += o_acc
            exp_groups[-1] += e_acc
        else:
            obs_groups.append(o_acc)
            exp_groups.append(e_acc)
    obs, exp = np.asarray(obs_groups), np.asarray(exp_groups)
    exp = np.maximum(exp, 1e-300)
    return float(np.sum((obs - exp) ** 2 / exp)), len(obs)


def _detection_gof(prepared: NDArray[np.int64], flipped: NDArray[np.int64], lp: float,
                   lo: float, w: float) -> tuple[float, int]:
    """χ² of both histograms against the fitted model and its degrees of freedom."""
    from scipy import stats

    kmax = int(max(prepared.max(initial=0), flipped.max(initial=0)))
    k = np.arange(kmax + 1)
    chi2 = 0.0
    dof = -3
    for data, pmf, tail in (
            (prepared, stats.poisson.pmf(k, lp), stats.poisson.sf(kmax, lp)),
            (flipped, (1 - w) * stats.poisson.pmf(k, lp) + w * stats.poisson.pmf(k, lo),
             (1 - w) * stats.poisson.sf(kmax, lp) + w * stats.poisson.sf(kmax, lo))):
        observed = np.append(np.bincount(data, minlength=kmax + 1), 0.0)
        expected = len(data) * np.append(pmf, tail)
        c, bins = _merged_chi2(observed, expected)
        chi2 += c
        dof += bins - 1
    return chi2, dof


def detection_threshold(counts_prepared: ArrayLike, counts_flipped: ArrayLike, *,
                        min_fidelity: float = 0.9, min_flip_weight: float = 0.1,
                        min_separation: float = 5.0, draws: int = 200,
                        seed: int = 0) -> Estimate:
    """The one photon-count threshold of the trap (a count above it reads bright).

    ``counts_prepared``: counts per detection window, shaped (shots, qubits) (or (shots,)
    for one qubit), from ions prepared in |0>; ``counts_flipped``: the same after a π pulse
    (possibly miscalibrated or incomplete; its shots may differ in number). Per qubit the
    joint likelihood of Poisson(λ_p) for the first and (1 − w) Poisson(λ_p) + w Poisson(λ_o)
    for the second is maximised (EM, then L-BFGS-B); the bright mean is the larger of λ_p and
    λ_o, whichever state |0> is. The threshold minimises the misassignment averaged over the
    qubits (``control.counting.best_threshold``). Its uncertainty is the standard deviation
    of that threshold over ``draws`` parametric draws (seeded by ``seed``) of the rates from
    their fitted normal distribution (inverse observed information): often 0, since the
    threshold is an integer.

    ``quality``: per qubit ``bright_mean``, ``dark_mean`` (counts per window) and their
    ``_err``, ``flip_weight`` (w), ``fidelity`` (1 − (P(bright|dark) + P(dark|bright))/2
    at the threshold) and ``misassignment`` (the mean over the qubits of the two
    misassignment probabilities); ``chi2_red``, ``p_value`` and ``dof`` of both histograms
    against the model (Pearson's χ², bins merged to expect at least 5 counts; reported, not
    refused on: real bright histograms are not quite Poisson).

    Refuses (``CalibrationRefused``, shots = both histograms' shots): a qubit with no
    photons in either histogram; a qubit whose flip weight w < ``min_flip_weight``; bright
    and dark means less than ``min_separation`` of their combined standard errors apart; a
    qubit's fidelity below ``min_fidelity``.
    """
    prepared = np.asarray(counts_prepared)
    flipped = np.asarray(counts_flipped)
    if prepared.ndim == 1:
        prepared = prepared[:, None]
    if flipped.ndim == 1:
        flipped = flipped[:, None]
    if prepared.ndim != 2 or flipped.ndim != 2 or prepared.shape[1] != flipped.shape[1]:
        raise ValueError("counts are shaped (shots, qubits), the same qubits in both: got "
                         "{} and {}".format(prepared.shape, flipped.shape))
    if len(prepared) < 2 or len(flipped) < 2:
        raise ValueError("need at least two shots in each histogram, got {} and {}".format(
            len(prepared), len(flipped)))
    if not (np.all(prepared == np.round(prepared)) and np.all(flipped == np.round(flipped))
            and prepared.min() >= 0 and flipped.min() >= 0):
        raise ValueError("photon counts are whole numbers, not negative")
    prepared = prepared.astype(np.int64)
    flipped = flipped.astype(np.int64)
    shots = len(prepared) + len(flipped)
    qubits = prepared.shape[1]

    bright, dark, bright_err, dark_err, weights = [], [], [], [], []
    covs = []
    chi2_total, dof_total = 0.0, 0
    for q in range(qubits):
        x, y = prepared[:, q], flipped[:, q]
        if x.sum() + y.sum() == 0:
            raise _refuse("qubit {}: no photons in either histogram (0 counts in {} "
                          "shots): PMT disconnected or detection light off?".format(q, shots),
                          shots)
        theta, cov, _ = _poisson_mixture_fit(x, y)
        lp, lo, w = (float(t) for t in theta)
        errors = np.sqrt(np.diag(cov))
        if w < min_flip_weight:
            raise _refuse("qubit {}: the π pulse moved almost nothing (flip weight w = "
                          "{:.3f} < {:g}; means {:.3g} and {:.3g} counts): is the drive "
                          "calibrated?".format(q, w, min_flip_weight, lp, lo), shots)
        ib, id_ = (1, 0) if lo > lp else (0, 1)
        combined = math.hypot(errors[0], errors[1])
        separation = abs(lo - lp) / combined if combined > 0 else math.inf
        if not separation >= min_separation:
            raise _refuse("qubit {}: bright and dark means {:.3g} ± {:.2g} and {:.3g} ± "
                          "{:.2g} counts are {:.2g} combined standard errors apart (need "
                          "{:g}): no fluorescence contrast between the states".format(
                              q, theta[ib], errors[ib], theta[id_], errors[id_],
                              separation, min_separation), shots)
        bright.append(float(theta[ib]))
        dark.append(float(theta[id_]))
        bright_err.append(float(errors[ib]))
        dark_err.append(float(errors[id_]))
        weights.append(w)
        covs.append(cov[np.ix_([ib, id_], [ib, id_])])
        c, d = _detection_gof(x, y, lp, lo, w)
        chi2_total += c
        dof_total += d

    threshold, error = best_threshold(bright, dark)
    p_bd, p_db = misassignment(threshold, bright, dark)
    fidelity = [float(f) for f in 1 - (p_bd + p_db) / 2]
    worst = int(np.argmin(fidelity))
    if fidelity[worst] < min_fidelity:
        raise _refuse("qubit {}: readout fidelity {:.4f} at threshold {} is below {:g} "
                      "(bright {:.3g}, dark {:.3g} counts per window): too little light or "
                      "too much background; lengthen the window?".format(
                          worst, fidelity[worst], threshold, min_fidelity, bright[worst],
                          dark[worst]), shots)

    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(draws):
        b_draw, d_draw = [], []
        for mean, cov in zip(zip(bright, dark), covs):
            bd = rng.multivariate_normal(mean, cov) if np.all(np.isfinite(cov)) else mean
            b_draw.append(max(float(bd[0]), 0.0))
            d_draw.append(max(float(bd[1]), 0.0))
        samples.append(best_threshold(b_draw, d_draw)[0] if max(b_draw) > 0 else 0)
    uncertainty = float(np.std(samples)) if samples else 0.0

    quality = _goodness(chi2_total, dof_total).quality()
    quality.update({"bright_mean": bright, "bright_mean_err": bright_err,
                    "dark_mean": dark, "dark_mean_err": dark_err, "flip_weight": weights,
                    "fidelity": fidelity, "misassignment": float(error)})
    detail = "threshold {} ± {:.2g} counts: bright {} / dark {} counts, fidelity {}".format(
        threshold, uncertainty, ", ".join("{:.3g}".format(v) for v in bright),
        ", ".join("{:.3g}".format(v) for v in dark),
        ", ".join("{:.4f}".format(v) for v in fidelity))
    return Estimate(int(threshold), uncertainty, quality, detail)


# ---- 2. spectroscopy

def spectroscopy_center(frequencies: ArrayLike, p1: ArrayLike, shots: ArrayLike,
                        pulse_time: float, *, min_contrast: float = 0.3,
                        min_points_on_line: int = 3, min_p_value: float = 1e-4) -> Estimate:
    """The centre f0 (Hz) of a line scanned with a pulse of fixed length ``pulse_time``.

    ``p1``: P(1) at each drive frequency of ``frequencies`` (Hz), ``shots`` per point. The
    fit is the Rabi lineshape B + A Ω²/(Ω² + Δ²) sin²(√(Ω² + Δ²) t/2), Δ = 2π(f − f0),
    with Ω free (started at π/t and kept within (π/4t, 7π/4t), so that the line peaks at
    f0), 0 ≤ A ≤ 1.1, −0.1 ≤ B ≤ 1; started from the highest points. The frequencies are
    fitted as offsets from the scan's centre in units of 1/t, for conditioning.

    ``quality``: ``contrast`` (the line's height above B, A sin²(Ωt/2)), ``amplitude``
    (A), ``background`` (B), ``rabi_frequency`` (Ω/2π, Hz), ``chi2_red``, ``p_value``,
    ``dof``.

    Refuses: the fit fails; contrast < ``min_contrast``; fewer than ``min_points_on_line``
    points above half the fitted line's height (a line narrower than the scan's spacing
    lets the fit trade width against centre, with error bars that do not show it); f0
    outside the scan or within one point spacing of its edge; p-value < ``min_p_value``.
    """
    f, y, per_point, total = _scan(frequencies, p1, shots, "spectroscopy")
    if not pulse_time > 0:
        raise ValueError("pulse_time must be positive, not {!r}".format(pulse_time))
    centre = 0.5 * (f.min() + f.max())
    u = (f - centre) * pulse_time  # offsets in units of 1/t
    span = float(u.max() - u.min())
    names = ("u0", "r", "a", "b")
    bounds = ([u.min() - span / 2, 0.25, 0.0, -0.1], [u.max() + span / 2, 1.75, 1.1, 1.0])

    def rabi_lineshape(x: NDArray[np.float64], u0: float, r: float, a: float,
                       b: float) -> NDArray[np.float64]:
        """The Rabi lineshape in offsets x (units of 1/t), Ωt = π r."""
        d2 = (2 * np.pi * (x - u0)) ** 2
        w2 = (np.pi * r) ** 2
        return b + a * w2 / (w2 + d2) * np.sin(np.sqrt(w2 + d2) / 2) ** 2

    sigma = binomial_sigma(y, per_point)
    order = np.argsort(y)[::-1]
    starts = [u[i] for i in order[:3]]
    a0 = float(np.clip(y.max() - y.min(), 0.05, 1.0))
    b0 = float(np.clip(y.min(), 0.0, 0.9))
    candidates = []
    errors = []
    for u0 in starts:
        try:
            candidates.append(fit_curve(rabi_lineshape, u, y, [u0, 1.0, a0, b0], names,
                                        bounds=bounds, sigma=sigma))
        except FitError as exc:
            errors.append(str(exc))
    where = "spectroscopy over {} – {}".format(_hz(f.min()), _hz(f.max()))
    if not candidates:
        raise _refuse("{}: the line fit failed ({}): no line in the scan?".format(
            where, errors[0]), total)
    try:
        fit = refit_binomial(rabi_lineshape, u, y, _best_of(candidates, u, y, sigma),
                             per_point, names, bounds=bounds)
    except FitError as exc:
        raise _refuse("{}: the line fit failed ({}): no line in the scan?".format(
            where, exc), total) from None

    u0, r, a, b = (float(v) for v in fit.values)
    f0 = centre + u0 / pulse_time
    f0_err = float(fit.error("u0")) / pulse_time
    contrast = a * math.sin(math.pi * r / 2) ** 2
    gof = _goodness(*_chi2(fit, u, y, per_point))
    quality = gof.quality()
    quality.update({"contrast": contrast, "amplitude": a, "background": b,
                    "rabi_frequency": r / (2 * pulse_time),
                    "rabi_frequency_err": float(fit.error("r")) / (2 * pulse_time)})
    if contrast < min_contrast:
        raise _refuse("{}: line contrast {:.3f} < {:g} (peak P(1) {:.3f} over a background "
                      "of {:.3f}): no resonance in the scan, or the drive is off?".format(
                          where, contrast, min_contrast, b + contrast, b), total)
    on_line = int(np.sum(fit(u) - b > contrast / 2))
    if on_line < min_points_on_line:
        raise _refuse("{}: only {} scan point{} on the line (above half its height; need "
                      "{}): the spacing {} is too coarse for a line about {} wide; scan "
                      "finer".format(where, on_line, "" if on_line == 1 else "s",
                                     min_points_on_line, _hz(_spacing(f)),
                                     _hz(0.8 * max(r, 1.0) / pulse_time)), total)
    step = _spacing(u)
    if not u.min() + step <= u0 <= u.max() - step:
        raise _refuse("{}: the fitted centre {} is {} (point spacing {}): move or widen "
                      "the scan".format(
                          where, _hz(f0), "outside the scan" if not u.min() <= u0 <= u.max()
                          else "within one point spacing of the scan's edge",
                          _hz(step / pulse_time)), total)
    _check_p(gof, min_p_value, where, total)
    detail = "line centre {} ± {} (contrast {:.2f}, χ²/dof {:.2f}, p {:.2g})".format(
        _hz(f0), _hz(f0_err), contrast, gof.chi2_red, gof.p_value)
    return Estimate(float(f0), f0_err, quality, detail)


# ---- 3. Ramsey

def ramsey_frequency(waits: ArrayLike, p1: ArrayLike, shots: ArrayLike,
                     drive_frequency: float, artificial_detuning: float, *,
                     min_contrast: float = 0.3, min_p_value: float = 1e-4) -> Estimate:
    """The qubit frequency (Hz) from a Ramsey scan (``kernels.ramsey``'s convention).

    ``p1``: P(1) after each wait of ``waits`` (s), ``shots`` per point, taken with the drive
    at ``drive_frequency`` and an artificial detuning ``artificial_detuning`` (Hz, > 0).
    ``fit_ramsey`` gives the fringe frequency f = δ_a + δ with δ = drive − qubit; so the
    qubit frequency is drive − (f − δ_a), with the error of f.

    ``quality``: ``fringe_frequency`` and ``_err``, ``detuning`` (δ, Hz) and ``_err``,
    ``contrast`` and ``_err`` (the fringes' amplitude at zero wait), ``t2`` and ``_err``
    (s), ``chi2_red``, ``p_value``, ``dof``.

    Refuses: the fit fails; contrast < ``min_contrast``; f not within (0, Nyquist of the
    waits) by a standard error; |δ| > δ_a/2 (the fringe may have folded through zero);
    p-value < ``min_p_value``.
    """
    t, y, per_point, total = _scan(waits, p1, shots, "Ramsey")
    if not artificial_detuning > 0:
        raise ValueError("artificial_detuning must be positive (Hz), not {!r}".format(
            artificial_detuning))
    where = "Ramsey at {} (δ_a {})".format(_hz(drive_frequency), _hz(artificial_detuning))
    try:
        fit = fit_ramsey(t, y, per_point, artificial_detuning)
    except FitError as exc:
        raise _refuse("{}: the fringe fit failed ({}): no fringes?".format(where, exc),
                      total) from None
    f, f_err = float(fit["f"]), float(fit.error("f"))
    delta = f - artificial_detuning
    qubit = drive_frequency - delta
    gof = _goodness(*_chi2(fit, t, y, per_point))
    quality = gof.quality()
    quality.update({"fringe_frequency": f, "fringe_frequency_err": f_err,
                    "detuning": delta, "detuning_err": f_err,
                    "contrast": float(fit["a"]), "contrast_err": float(fit.error("a")),
                    "t2": float(fit["t2"]), "t2_err": float(fit.error("t2"))})
    if fit["a"] < min_contrast:
        raise _refuse("{}: fringe contrast {:.3f} < {:g}: no fringes (π/2 pulses "
                      "miscalibrated, or dephased before the first wait)?".format(
                          where, fit["a"], min_contrast), total)
    steps = np.diff(np.unique(t))
    nyquist = 0.5 / float(steps.min()) if len(steps) else math.inf
    if not f_err < f < nyquist - f_err:
        raise _refuse("{}: fringe frequency {} ± {} is not within (0, {}), the Nyquist "
                      "frequency of the waits: sample the waits more finely or change "
                      "δ_a".format(where, _hz(f), _hz(f_err), _hz(nyquist)), total)
    if abs(delta) > artificial_detuning / 2:
        raise _refuse("{}: detuning |δ| = {} exceeds half the artificial detuning ({}): "
                      "the fringe may have folded through zero; increase δ_a".format(
                          where, _hz(abs(delta)), _hz(artificial_detuning / 2)), total)
    _check_p(gof, min_p_value, where, total)
    detail = "qubit at {} ± {} (δ = {}, contrast {:.2f}, T2* {}, χ²/dof {:.2f})".format(
        _hz(qubit), _hz(f_err), _hz(delta), fit["a"], _s(fit["t2"]), gof.chi2_red)
    return Estimate(float(qubit), f_err, quality, detail)


# ---- 4. π time

def _sin2_grid(x: NDArray[np.float64], y: NDArray[np.float64], sigma: NDArray[np.float64],
               rates: NDArray[np.float64]) -> NDArray[np.float64]:
    """χ² of y ≈ b + a sin²(rate·x) at each rate of ``rates``, (a, b) by weighted linear
    least squares."""
    s = np.sin(np.outer(rates, x)) ** 2                      # (rates, points)
    wt = 1 / sigma ** 2
    sw, sy = wt.sum(), (wt * y).sum()
    ss, ssy, sss = s @ wt, s @ (wt * y), (s ** 2) @ wt
    det = sss * sw - ss ** 2
    ok = det > 1e-12 * sw * sss
    a = np.where(ok, (ssy * sw - ss * sy) / np.where(ok, det, 1), 0.0)
    b = np.where(ok, (sy - a * ss) / sw, sy / sw)
    resid = y[None, :] - b[:, None] - a[:, None] * s
    return np.asarray(np.sum(resid ** 2 * wt[None, :], axis=1), dtype=float)


def _rabi_guess(t: NDArray[np.float64], y: NDArray[np.float64],
                per_point: NDArray[np.float64]) -> float:
    """A starting Rabi frequency: the best of a grid from a quarter period over the scan
    to the Nyquist frequency of the durations."""
    span = float(t.max() - t.min())
    step = float(np.diff(np.unique(t)).min())
    freqs = np.linspace(0.25 / span, 0.5 / step, 400)
    chi2 = _sin2_grid(t, y, binomial_sigma(y, per_point), np.pi * freqs)
    return float(freqs[int(np.argmin(chi2))])


def pi_time(durations: ArrayLike, p1: ArrayLike, shots: ArrayLike, *,
            pi_time_guess: float | None = None, min_contrast: float = 0.5,
            max_relative_error: float = 0.05, min_p_value: float = 1e-4) -> Estimate:
    """The π time (s) of a drive shared by the qubits: the mean over them of 1/(2 f_q).

    ``p1``: P(1) of each qubit against pulse length, shaped (points, qubits) (or (points,)
    for one qubit), all qubits driven together for the ``durations`` (s); ``shots`` per
    point. Each qubit is fitted by ``kernels.rabi.fit_rabi`` (B + A(1 − cos 2πft)/2),
    started from 1/(2 ``pi_time_guess``) or, without it, from the best frequency of a grid.
    The uncertainty propagates the fits' errors of f to the mean (the qubits' fits are
    independent); it does not include the spread between the qubits.

    ``quality``: per qubit ``rabi_frequency``, ``rabi_frequency_err``, ``contrast`` (A),
    ``pi_times``; ``chi2_red``, ``p_value``, ``dof`` of all qubits together, and per qubit
    ``chi2_red_per_qubit`` and ``p_value_per_qubit``.

    Refuses: a qubit's fit fails; its contrast < ``min_contrast``; its f above the Nyquist
    frequency of the durations (aliased: fewer than two points per period); its relative
    error of f > ``max_relative_error``; its p-value < ``min_p_value``.
    """
    t = np.asarray(durations, dtype=float)
    y2 = np.asarray(p1, dtype=float)
    if y2.ndim == 1:
        y2 = y2[:, None]
    if y2.ndim != 2:
        raise ValueError("p1 is shaped (points, qubits), not {}".format(y2.shape))
    freqs, freq_errs, contrasts, chi2s, dofs = [], [], [], [], []
    total = 0
    for q in range(y2.shape[1]):
        x, y, per_point, total = _scan(t, y2[:, q], shots, "Rabi")
        where = "Rabi flopping of qubit {}".format(q)
        guess = 0.5 / pi_time_guess if pi_time_guess else _rabi_guess(x, y, per_point)
        try:
            fit = fit_rabi(x, y, per_point, guess)
        except FitError as exc:
            raise _refuse("{}: the fit failed ({}): no flopping?".format(where, exc),
                          total) from None
        f, f_err, a = float(fit["f"]), float(fit.error("f")), float(fit["a"])
        chi2, dof = _chi2(fit, x, y, per_point)
        if a < min_contrast:
            raise _refuse("{}: contrast {:.3f} < {:g}: the drive barely moves the qubit "
                          "(drive off, far off resonance, or readout broken?)".format(
                              where, a, min_contrast), total)
        nyquist = 0.5 / float(np.diff(np.unique(x)).min())
        if f >= nyquist:
            raise _refuse("{}: Rabi frequency {} is above the Nyquist frequency of the "
                          "durations ({}): the data cannot tell it from its alias; sample "
                          "the pulse lengths more finely".format(
                              where, _hz(f), _hz(nyquist)), total)
        if not f > 0 or f_err / f > max_relative_error:
            raise _refuse("{}: Rabi frequency {} ± {} has a relative error {:.1%} > "
                          "{:.0%}: scan more periods or take more shots".format(
                              where, _hz(f), _hz(f_err), f_err / f if f > 0 else math.inf,
                              max_relative_error), total)
        _check_p(_goodness(chi2, dof), min_p_value, where, total)
        freqs.append(f)
        freq_errs.append(f_err)
        contrasts.append(a)
        chi2s.append(chi2)
        dofs.append(dof)
    f_arr, e_arr = np.asarray(freqs), np.asarray(freq_errs)
    times = 0.5 / f_arr
    value = float(times.mean())
    uncertainty = float(np.sqrt(np.sum((e_arr / (2 * f_arr ** 2)) ** 2)) / len(f_arr))
    quality = _goodness(float(sum(chi2s)), int(sum(dofs))).quality()
    per = [_goodness(c, d) for c, d in zip(chi2s, dofs)]
    quality.update({"rabi_frequency": freqs, "rabi_frequency_err": freq_errs,
                    "contrast": contrasts, "pi_times": [float(v) for v in times],
                    "chi2_red_per_qubit": [g.chi2_red for g in per],
                    "p_value_per_qubit": [g.p_value for g in per]})
    detail = "π time {} ± {} (Rabi {}; contrast {})".format(
        _s(value), _s(uncertainty), ", ".join(_hz(v) for v in freqs),
        ", ".join("{:.2f}".format(v) for v in contrasts))
    return Estimate(value, uncertainty, quality, detail)


# ---- 5. MS detuning

def ms_detuning(detunings: ArrayLike, p_odd: ArrayLike, shots: ArrayLike, gate_time: float,
                *, min_significance: float = 3.0, min_p_value: float = 1e-4,
                allow_edge: bool = False) -> Estimate:
    """The MS detuning δ0 (Hz) that closes the spin–motion loops of a gate ``gate_time``
    long.

    ``p_odd``: P(01) + P(10) after one MS gate from |00> at each detuning of ``detunings``
    (Hz), a scan within ± 1/(2T) of the closing detuning; ``shots`` per point. A gate whose
    loops do not close leaves a spin–motion displacement |α|² ∝ sin²(π T (δ − δ0)); tracing
    out the (thermal) mode dephases the pair, and the odd population grows as
    (1 − exp(−8 |α|² (2n̄+1)))/4, whatever the gate's angle; |α|² ∝ sin²(π T δ')/δ'²
    with δ' the tones' detuning from the mode, K/T + (δ − δ0) for a gate of K loops (K the
    whole number nearest the scan's centre times T: the lab's sideband taken for the
    mode). Fitted: B + A (1 − exp(−κ sin²(π T (δ − δ0)) (K/(K + T(δ − δ0)))²)),
    T = ``gate_time`` fixed, δ0 within the scan,
    A in [0, 1/2] (1/4 with perfect readout), κ > 0 (how hot and how strongly pushed the
    mode is), B ≥ 0; detunings as offsets from the scan's centre in units of 1/T, for
    conditioning. For small κ the dip is B + A κ sin²(...).

    ``quality``: ``depth`` (the fitted odd population at the scan's far edge above B),
    ``amplitude`` (A), ``kappa`` (κ), ``background`` (B, the odd population left at δ0)
    and ``_err``, ``dip_significance`` (√(χ²_flat − χ²_dip): how far a flat line fits
    worse, in standard deviations), ``chi2_red``, ``p_value``, ``dof``.

    Refuses: the fit fails; no dip (significance below ``min_significance``); δ0 within
    one point spacing of the scan's edge (unless ``allow_edge``: a coarse scan over one
    loop spacing, whose dip may sit anywhere, only to centre a finer one); p-value <
    ``min_p_value``.
    """
    d, y, per_point, total = _scan(detunings, p_odd, shots, "MS detuning")
    if not gate_time > 0:
        raise ValueError("gate_time must be positive, not {!r}".format(gate_time))
    centre = 0.5 * (d.min() + d.max())
    u = (d - centre) * gate_time
    names = ("u0", "a", "b", "k")
    bounds = ([u.min(), 0.0, 0.0, 1e-3], [u.max(), 0.5, 1.0, 1e3])

    # The gate is K whole loops at its closing detuning; |α|² falls as 1/δ'² across the
    # scan, δ' = (K + x − u0)/T (x, u0 in units of 1/T), which leans the dip.
    loops = max(1, int(round(abs(centre) * gate_time)))

    def ms_dip(x: NDArray[np.float64], u0: float, a: float, b: float, k: float
               ) -> NDArray[np.float64]:
        """The odd population about the closing detuning, x in units of 1/T."""
        lean = (loops / (loops + x - u0)) ** 2
        return b + a * (1.0 - np.exp(-k * np.sin(np.pi * (x - u0)) ** 2 * lean))

    where = "MS detuning scan over {} – {}".format(_hz(d.min()), _hz(d.max()))
    sigma = binomial_sigma(y, per_point)
    b0 = float(np.clip(y.min(), 0.0, 0.9))
    candidates, errors = [], []
    for u0 in [u[i] for i in np.argsort(y)[:3]] + [0.0]:
        for k0 in (0.5, 5.0, 50.0):
            a0 = float(np.clip((y.max() - y.min()) / (1 - math.exp(-k0 * 0.5)), 0.02, 0.5))
            try:
                candidates.append(fit_curve(ms_dip, u, y, [u0, a0, b0, k0], names,
                                            bounds=bounds, sigma=sigma))
            except FitError as exc:
                errors.append(str(exc))
    try:
        if not candidates:
            raise FitError(errors[0])
        fit = refit_binomial(ms_dip, u, y, _best_of(candidates, u, y, sigma), per_point,
                             names, bounds=bounds)
    except FitError as exc:
        raise _refuse("{}: the dip fit failed ({}): no dip in the scan?".format(where, exc),
                      total) from None
    u0, a, b, k = (float(v) for v in fit.values)
    delta0 = centre + u0 / gate_time
    delta0_err = float(fit.error("u0")) / gate_time
    chi2, dof = _chi2(fit, u, y, per_point)
    gof = _goodness(chi2, dof)
    weights = 1 / model_sigma(np.full_like(y, np.average(y, weights=1 / sigma ** 2)),
                              per_point) ** 2
    flat = float(np.average(y, weights=weights))
    chi2_flat = float(np.sum((y - flat) ** 2 * weights))
    significance = math.sqrt(max(0.0, chi2_flat - chi2))
    far = float(np.max(np.abs(u - u0)))
    depth = float(ms_dip(np.array([u0 + far]), u0, a, b, k)[0] - b)
    quality = gof.quality()
    quality.update({"depth": depth, "amplitude": a, "amplitude_err": float(fit.error("a")),
                    "kappa": k, "kappa_err": float(fit.error("k")), "background": b,
                    "background_err": float(fit.error("b")),
                    "dip_significance": significance})
    if not significance >= min_significance:
        raise _refuse("{}: no dip: a flat line fits within {:.1f} standard deviations "
                      "(< {:g}) of the dip (MS beams off, or the gate far from "
                      "closing?)".format(where, significance, min_significance), total)
    step = _spacing(u)
    if not allow_edge and not u.min() + step <= u0 <= u.max() - step:
        raise _refuse("{}: the fitted closing detuning {} is within one point spacing ({}) "
                      "of the scan's edge: centre the scan on it".format(
                          where, _hz(delta0), _hz(step / gate_time)), total)
    _check_p(gof, min_p_value, where, total)
    detail = "MS detuning {} ± {} (odd population {:.3f} at the dip, depth {:.2f}, χ²/dof " \
        "{:.2f})".format(_hz(delta0), _hz(delta0_err), b, depth, gof.chi2_red)
    return Estimate(float(delta0), delta0_err, quality, detail)


# ---- 6. MS gate time

def ms_gate_time(n_gates: ArrayLike, p11: ArrayLike, shots: ArrayLike, gate_time: float,
                 *, min_contrast: float = 0.5, max_relative_error: float = 0.05,
                 min_p_value: float = 1e-4) -> Estimate:
    """The MS gate time (s) that makes a π/2 gate (θ = π/2), from repeated gates.

    ``p11``: P(11) after N = ``n_gates`` back-to-back MS gates of length ``gate_time`` from
    |00>, ``shots`` per point. Fitted: B + A (1/4 + λ^N (sin²(Nθ/2) − 1/4)), θ in (0, π)
    (θ and 2π − θ give the same data), λ in [1/2, 1] the coherence each gate keeps (the
    rest depolarized: a fit without it leans θ low as the oscillation fades): a grid over
    θ first, and of its χ² minima within 4 of the best the one nearest π/2; then the fit
    from there. The value is ``gate_time`` (π/2)/θ, its error
    from θ's.

    ``quality``: ``theta``, ``theta_err`` (rad), ``contrast`` (A) and ``_err``,
    ``background`` (B), ``chi2_red``, ``p_value``, ``dof``.

    Refuses: the fit fails; contrast < ``min_contrast``; relative error of θ >
    ``max_relative_error``; p-value < ``min_p_value``.
    """
    n, y, per_point, total = _scan(n_gates, p11, shots, "MS gate repetitions")
    if not gate_time > 0:
        raise ValueError("gate_time must be positive, not {!r}".format(gate_time))
    where = "{} repeated MS gates of {}".format(int(n.max()), _s(gate_time))
    sigma = binomial_sigma(y, per_point)
    grid = np.linspace(0.005, 0.995, 397) * np.pi
    chi2 = _sin2_grid(n, y, sigma, grid / 2)
    interior = np.r_[True, chi2[1:] < chi2[:-1]] & np.r_[chi2[:-1] <= chi2[1:], True]
    minima = np.flatnonzero(interior & (chi2 <= chi2.min() + 4))
    theta0 = float(grid[minima[np.argmin(np.abs(grid[minima] - np.pi / 2))]])
    names = ("theta", "a", "b", "lam")
    bounds = ([1e-6, 0.0, -0.1, 0.5], [np.pi - 1e-6, 1.2, 1.0, 1.0])

    def repeated_ms(x: NDArray[np.float64], theta: float, a: float, b: float, lam: float
                    ) -> NDArray[np.float64]:
        """P(11) after x gates of angle theta each, each keeping a fraction lam of the
        coherent state (the rest depolarized, where P(11) is 1/4)."""
        coherent = np.sin(x * theta / 2) ** 2
        return b + a * (0.25 + lam ** x * (coherent - 0.25))

    a0 = float(np.clip(y.max() - y.min(), 0.05, 1.0))
    b0 = float(np.clip(y.min(), 0.0, 0.9))
    try:
        fit = fit_curve(repeated_ms, n, y, [theta0, a0, b0, 0.99], names, bounds=bounds,
                        sigma=sigma)
        fit = refit_binomial(repeated_ms, n, y, fit, per_point, names, bounds=bounds)
    except FitError as exc:
        raise _refuse("{}: the fit failed ({}): no oscillation of P(11)?".format(
            where, exc), total) from None
    theta, theta_err = float(fit["theta"]), float(fit.error("theta"))
    a = float(fit["a"])
    value = gate_time * (np.pi / 2) / theta
    uncertainty = value * theta_err / theta
    gof = _goodness(*_chi2(fit, n, y, per_point))
    quality = gof.quality()
    quality.update({"theta": theta, "theta_err": theta_err, "contrast": a,
                    "contrast_err": float(fit.error("a")), "background": float(fit["b"]),
                    "coherence_per_gate": float(fit["lam"])})
    if a < min_contrast:
        raise _refuse("{}: contrast of P(11) {:.3f} < {:g}: the gates do not entangle "
                      "(MS beams off or detuning wrong?)".format(where, a, min_contrast),
                      total)
    if theta_err / theta > max_relative_error:
        raise _refuse("{}: gate angle θ = {:.3f} ± {:.3f} rad has a relative error {:.1%} > "
                      "{:.0%}: more repetitions or shots".format(
                          where, theta, theta_err, theta_err / theta, max_relative_error),
                      total)
    _check_p(gof, min_p_value, where, total)
    detail = "MS gate time {} ± {} (θ = {:.4f} ± {:.4f} rad at {}, contrast {:.2f})".format(
        _s(value), _s(uncertainty), theta, theta_err, _s(gate_time), a)
    return Estimate(float(value), float(uncertainty), quality, detail)
