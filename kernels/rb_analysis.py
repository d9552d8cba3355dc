"""Randomized-benchmarking analysis (host side): decay fit with per-point uncertainties,
bootstrap errors, a test of whether the decay is resolved (a one-sided bound on the error
per Clifford when it is not), joint interleaved RB, SPAM, plot.

Model. The survival of sequence length ``m`` is ``A p**m + B``; the error per Clifford is
``r = (d - 1)/d (1 - p)`` with ``d = 2**n``. ``0 <= A, p, B <= 1``.

Per-point uncertainty. Each sequence's survival is ``k`` of ``shots``. For a length with
``n`` sequences, ``K`` survivals of ``N = n shots``, the mean survival has the variance

    sigma**2 = max(s**2, q (1 - q) / shots) / n,    q = (K + 1/2) / (N + 1)

``s**2`` is the variance between the sequences of that length (sequence-to-sequence scatter
and shot noise together); ``q (1 - q) / shots`` the binomial variance of one sequence, a
floor, since sequences cannot scatter less than their shot noise allows (``q`` is kept off
0 and 1, so a length where every shot survived keeps an error bar). The fit is weighted by
``1 / sigma**2``; without a bootstrap its errors are the covariance of that weighted fit.
``shots`` defaults to the smallest count the survival values are fractions of.

Errors. A seeded bootstrap over sequences (resampled within each length) whose resampled
means get Gaussian noise topping their variance up to ``sigma**2``: where sequences
scatter as much as their shots allow that is the usual ``n/(n-1)`` correction; where they
agree (all shots survived) it is the binomial floor, which a plain bootstrap would lose.

Is the decay resolved? Profile chi-square of ``p``: ``chi2(p)`` minimized over the other
parameters, each mean weighted by the variance it would have if the model were true
(Pearson's chi-square: the binomial floor at the model's survival, or the scatter between
sequences where larger; it keeps close to exact binomial limits where all shots survive).
``T1 = chi2(p = 1) - chi2_min`` tests "no decay", ``T0 = chi2(p = 0) - chi2_min`` "decayed
before the shortest length" (every survival at ``B``). The decay is **resolved** when both
are at least 3.84, i.e. p's 95 % profile interval excludes 1 and 0. Otherwise the result
says which, with a one-sided 95 % bound where the data give one (``chi2(p)`` rising by 2.71
from its minimum):

- ``"slow"``: ``p = 1`` is allowed: ``epc_upper_95``, "EPC < x at 95 %" (longer sequences
  or more shots resolve it);
- ``"fast"``: ``p = 0`` is allowed (lengths from 0): ``epc_lower_95``, "EPC > x";
- ``"flat"``: the data allow both (survival at the asymptote ``B`` at every length: the
  decay is too fast for these lengths or there is no contrast; or far too few shots): no
  bound;
- ``"below_floor"``: the survival averaged over the lengths lies more than 3 sigma below a
  fixed ``B`` (nearly zero survival against ``B = 1/d``): no RB decay does that, check the
  readout and the expected outcomes.

An unresolved fit keeps ``p`` at its best fit (NaN for ``"flat"``/``"below_floor"``) but its
``p_err``, ``epc`` and ``epc_err`` are NaN, never a vanishing error bar. With ``B`` free,
"no decay" cannot be told from "no contrast", so ``fit_rb`` raises ``RBFitError`` unless
the decay is resolved; fixing ``B`` (e.g. at ``1/d``, as ``RandomizedBenchmarking.fit``
does then) gives the bound. Anything else that does not give a trustworthy ``p`` raises
``RBFitError`` with the reason; nothing fails into a silent number.

Interleaved RB (``fit_interleaved``): by default one joint fit, reference ``A p**m + B``
and interleaved ``A (p p_c)**m + B`` sharing ``A`` and ``B`` (Magesan et al., PRL 109,
080505 (2012); qiskit-experiments' ``InterleavedRBAnalysis``); the gate error is
``(d - 1)/d (1 - p_c)``, resolved or bounded as above through the profile of ``p_c``.
``method="separate"`` fits each curve alone and divides (``interleaved_error``).
"""
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from kernels.fitting import FitError

__all__ = ["RBFitError", "RBResult", "InterleavedResult", "rb_model", "fit_rb",
           "fit_interleaved", "epc_from_p", "interleaved_error", "survival_errors",
           "plot_rb", "CHI2_RESOLVED", "CHI2_BOUND"]

_P_CEILING = 1 - 1e-9    # p this close to 1: no decay seen, A and B not separable
_P_FLOOR = 1e-6          # p this close to 0: decayed before the first length
_FLAT_PVALUE = 0.01      # means consistent with a constant at this level: no decay seen
_MAX_BOOT_FAILURES = 0.1
_MAX_SHOTS = 100_000     # largest shot count inferred from the survival values
_VAR_FLOOR = 1e-14       # variance of a mean when nothing else bounds it (no shot count)
_BELOW_FLOOR_SIGMA = 3.0

# scipy is imported where a fit needs it: the master imports this module with every RB
# submission and repository scan, and scipy's import is most of that (0.5 of 0.8 s).

#: Delta chi-square beyond which p = 1 (or 0) is excluded: two-sided 95 %, one parameter
#: (``scipy.stats.chi2.ppf(0.95, 1)``; a test holds the literal to it).
CHI2_RESOLVED = 3.841458820694124
#: Delta chi-square of a one-sided 95 % bound (``chi2.ppf(0.90, 1)``).
CHI2_BOUND = 2.705543454095404

_NAN = float("nan")


class RBFitError(FitError):
    """An RB fit that failed, or whose p cannot be trusted; the message says why."""


def rb_model(m, A, p, B):
    """The RB decay A p^m + B: the survival after ``m`` random Cliffords."""
    return A * np.power(p, m) + B


def epc_from_p(p, n_qubits):
    """Error per Clifford ``(d - 1)/d (1 - p)``."""
    d = 2 ** n_qubits
    return (d - 1) / d * (1 - p)


def _g(x):
    return "{:.2g}".format(x)


@dataclass
class RBResult:
    """A fitted decay. ``*_err`` are bootstrap standard deviations (covariance errors of
    the weighted fit when ``n_bootstrap`` is 0); ``p_ci95`` the bootstrap 2.5..97.5
    percentiles, or, unresolved, the one-sided 95 % interval ``(p_lower, 1)`` (``"slow"``)
    or ``(0, p_upper)`` (``"fast"``). ``spam = 1 - (A + B)``: the survival lost at m = 0,
    i.e. preparation and measurement error. ``lengths`` / ``survival`` are the
    per-sequence data fitted; ``shots`` the shots per sequence behind the binomial floor.

    ``resolved`` False: ``status`` says why (``"slow"``, ``"fast"``, ``"flat"``,
    ``"below_floor"``; module docstring), ``message`` in words; ``p_err``, ``epc`` and
    ``epc_err`` are NaN and ``epc_upper_95`` / ``epc_lower_95`` the one-sided 95 % bound
    the data give (NaN where none). ``bound_params`` are ``(A, p, B)`` of the decay at that
    bound (for the plot). ``model`` names the fit model and which parameters were free,
    fixed or shared."""
    n_qubits: int
    p: float
    p_err: float
    A: float
    A_err: float
    B: float
    B_err: float
    epc: float
    epc_err: float
    spam: float
    p_ci95: tuple
    n_bootstrap: int
    B_fixed: bool
    lengths: np.ndarray = field(repr=False)
    survival: np.ndarray = field(repr=False)
    p_bootstrap: np.ndarray | None = field(repr=False, default=None)
    resolved: bool = True
    status: str = "resolved"
    message: str = ""
    epc_upper_95: float = _NAN
    epc_lower_95: float = _NAN
    shots: float = _NAN
    model: str = ""
    delta_chi2_p1: float = _NAN
    delta_chi2_p0: float = _NAN
    bound_params: tuple | None = field(repr=False, default=None)
    label: str = ""

    def __call__(self, m):
        return rb_model(np.asarray(m, dtype=float), self.A, self.p, self.B)

    def as_dict(self):
        """The values the experiment stores (``rb.fit.*``): every key always present,
        NaN where the data do not give a number."""
        out = {k: getattr(self, k) for k in ("n_qubits", "p", "p_err", "A", "A_err", "B",
                                             "B_err", "epc", "epc_err", "spam")}
        out.update(p_ci95=np.asarray(self.p_ci95, dtype=float), resolved=bool(self.resolved),
                   status=self.status, message=self.message,
                   epc_upper_95=float(self.epc_upper_95),
                   epc_lower_95=float(self.epc_lower_95), B_fixed=bool(self.B_fixed),
                   model=self.model, n_bootstrap=int(self.n_bootstrap),
                   shots=float(self.shots))
        return out

    def summary(self):
        """One line: the EPC with its error, or the bound, or why there is neither."""
        if self.resolved:
            return "p = {:.5f} ± {}, EPC = {:.2e} ± {:.1e}".format(
                self.p, _g(self.p_err), self.epc, self.epc_err)
        if math.isfinite(self.epc_upper_95):
            return "decay not resolved: EPC < {:.2g} (95 %)".format(self.epc_upper_95)
        if math.isfinite(self.epc_lower_95):
            return "decay too fast: EPC > {:.2g} (95 %)".format(self.epc_lower_95)
        if self.status == "below_floor":
            return "survival below B: no RB decay"
        return "no decay resolved, no bound"

    def table(self):
        """The fit as text: p, A, B, the error per Clifford and the SPAM error with their
        errors, and p's 95 % interval; unresolved, the one-sided bound instead."""
        head = "RB fit{}, {} qubit{}: {}, {} sequences{}, {}".format(
            " ({})".format(self.label) if self.label else "",
            self.n_qubits, "s" if self.n_qubits > 1 else "", self.model or "A p^m + B",
            len(self.survival), "" if not math.isfinite(self.shots) else
            " x {:g} shots".format(self.shots),
            "{} bootstrap".format(self.n_bootstrap) if self.n_bootstrap else
            "covariance errors" if self.resolved else "no error bars (not resolved)")
        row = "  {:<20s} {:>12.6g} +- {:.2g}"
        B_row = ("  {:<20s} {:>12.6g} (fixed)".format("B", self.B) if self.B_fixed
                 else row.format("B", self.B, self.B_err))
        spam_err = math.hypot(self.A_err, self.B_err)
        if self.resolved:
            lines = [head,
                     row.format("p", self.p, self.p_err),
                     row.format("A", self.A, self.A_err), B_row,
                     row.format("error per Clifford", self.epc, self.epc_err),
                     row.format("SPAM error 1-(A+B)", self.spam, spam_err),
                     "  {:<20s} [{:.6g}, {:.6g}]".format("p 95% interval", *self.p_ci95)]
            return "\n".join(lines)
        lines = [head, "  DECAY NOT RESOLVED: " + self.message.split("; error per")[0]]
        if math.isfinite(self.epc_upper_95):
            lines.append("  {:<20s} {:>12s} (95 % one-sided)".format(
                "error per Clifford", "< {:.2g}".format(self.epc_upper_95)))
            lines.append("  {:<20s} {:>12s} (95 % one-sided; best fit {:.6g})".format(
                "p", "> {:.6g}".format(self.p_ci95[0]), self.p))
        elif math.isfinite(self.epc_lower_95):
            lines.append("  {:<20s} {:>12s} (95 % one-sided)".format(
                "error per Clifford", "> {:.2g}".format(self.epc_lower_95)))
            lines.append("  {:<20s} {:>12s} (95 % one-sided)".format(
                "p", "< {:.6g}".format(self.p_ci95[1])))
        else:
            lines.append("  {:<20s} {:>12s}".format("error per Clifford", "no bound"))
        if math.isfinite(self.A):
            lines += [row.format("A", self.A, self.A_err), B_row,
                      row.format("SPAM error 1-(A+B)", self.spam, spam_err)]
        return "\n".join(lines)


@dataclass
class InterleavedResult:
    """Interleaved RB: gate error ``r_c = (d-1)/d (1 - p_c)``, ``p_c = p_int/p_ref``, with
    its error ``r_c_err`` and the Magesan et al. (PRL 109, 080505, 2012) interval
    ``[lower, upper] = r_c -+ bound``.

    ``method``: ``"joint"`` (one fit, A and B shared by both curves; ``p_c`` a fit
    parameter, errors from the joint bootstrap) or ``"separate"`` (each curve fitted alone,
    errors propagated from both p errors). ``reference`` / ``interleaved`` are the two
    curves as ``RBResult`` (for the joint fit: its curves, sharing A and B).
    ``resolved`` False: ``p_c`` = 1 (or 0) lies within the data's 95 % interval; ``r_c``
    and ``r_c_err`` are NaN and ``r_c_upper_95`` (``r_c_lower_95``) the one-sided 95 %
    bound; ``[lower, upper]`` then spans ``[0, r_c_upper_95 + bound]``."""
    n_qubits: int
    p_ref: float
    p_ref_err: float
    p_int: float
    p_int_err: float
    r_c: float
    r_c_err: float
    bound: float
    lower: float
    upper: float
    method: str = "separate"
    p_c: float = _NAN
    p_c_err: float = _NAN
    r_c_ci95: tuple = (_NAN, _NAN)
    resolved: bool = True
    status: str = "resolved"
    message: str = ""
    r_c_upper_95: float = _NAN
    r_c_lower_95: float = _NAN
    A: float = _NAN
    A_err: float = _NAN
    B: float = _NAN
    B_err: float = _NAN
    B_fixed: bool = False
    model: str = ""
    n_bootstrap: int = 0
    reference: object = field(repr=False, default=None)
    interleaved: object = field(repr=False, default=None)

    def as_dict(self):
        """The values the experiment stores (``rb.gate.*``); NaN where none."""
        out = {k: getattr(self, k) for k in (
            "n_qubits", "p_ref", "p_ref_err", "p_int", "p_int_err", "p_c", "p_c_err", "r_c",
            "r_c_err", "bound", "lower", "upper", "r_c_upper_95", "r_c_lower_95", "A",
            "A_err", "B", "B_err")}
        out = {k: float(v) if k != "n_qubits" else int(v) for k, v in out.items()}
        out.update(r_c_ci95=np.asarray(self.r_c_ci95, dtype=float),
                   resolved=bool(self.resolved), status=self.status, message=self.message,
                   method=self.method, B_fixed=bool(self.B_fixed), model=self.model,
                   n_bootstrap=int(self.n_bootstrap))
        return out

    def summary(self):
        """One line: the gate error with its error, or its bound, and which fit."""
        if self.resolved:
            return "gate error {:.2e} ± {:.1e} ({} fit)".format(self.r_c, self.r_c_err,
                                                                 self.method)
        if math.isfinite(self.r_c_upper_95):
            return "gate error < {:.2g} (95 %, {} fit)".format(self.r_c_upper_95,
                                                              self.method)
        if math.isfinite(self.r_c_lower_95):
            return "gate error > {:.2g} (95 %, {} fit)".format(self.r_c_lower_95,
                                                              self.method)
        return "gate error not resolved ({} fit)".format(self.method)

    def table(self):
        """The fit as text: p_ref, p_int, p_c, the gate error (or why it is not resolved,
        and its bound) and the Magesan et al. bounds."""
        row = "  {:<12s} {:.6g} +- {:.2g}"
        lines = ["Interleaved RB, {} qubit(s), {} fit{}".format(
            self.n_qubits, self.method, ": " + self.model if self.model else "")]
        lines += [row.format("p_ref", self.p_ref, self.p_ref_err),
                  row.format("p_int", self.p_int, self.p_int_err)]
        if math.isfinite(self.p_c) and math.isfinite(self.p_c_err):
            lines.append(row.format("p_c", self.p_c, self.p_c_err))
        elif math.isfinite(self.p_c):
            lines.append("  {:<12s} {:.6g} (best fit; no error bar)".format("p_c", self.p_c))
        if self.resolved:
            lines.append(row.format("gate error", self.r_c, self.r_c_err))
        else:
            lines.append("  GATE ERROR NOT RESOLVED: " + self.message)
            if math.isfinite(self.r_c_upper_95):
                lines.append("  {:<12s} < {:.2g} (95 % one-sided)".format(
                    "gate error", self.r_c_upper_95))
            elif math.isfinite(self.r_c_lower_95):
                lines.append("  {:<12s} > {:.2g} (95 % one-sided)".format(
                    "gate error", self.r_c_lower_95))
            else:
                lines.append("  {:<12s} no bound".format("gate error"))
        lines.append("  {:<12s} [{:.6g}, {:.6g}] (Magesan et al. 2012)".format(
            "bounds", self.lower, self.upper))
        return "\n".join(lines)


# --- data handling -----------------------------------------------------------------------

def _per_sequence(lengths, survival):
    """Flat per-sequence (m, y) from a ``(n_lengths, samples)`` grid or flat arrays."""
    m = np.asarray(lengths, dtype=float).ravel()
    y = np.asarray(survival, dtype=float)
    if y.ndim == 2:
        if y.shape[0] != m.size:
            raise ValueError("survival has {} rows but there are {} lengths".format(
                y.shape[0], m.size))
        m = np.repeat(m, y.shape[1])
    elif y.ndim != 1 or y.size != m.size:
        raise ValueError("survival must be (lengths x samples) or one value per length "
                         "entry; got shape {} for {} lengths".format(y.shape, m.size))
    y = y.ravel()
    bad = ~np.isfinite(y)
    if np.any(bad):
        raise RBFitError("survival holds {} NaN or infinite values of {}".format(
            int(bad.sum()), y.size))
    if np.any((y < -1e-9) | (y > 1 + 1e-9)):
        raise RBFitError("survival probabilities outside [0, 1]: min {:.3g}, max {:.3g}"
                         .format(y.min(), y.max()))
    if np.any(m < 0) or not np.all(np.isfinite(m)):
        raise ValueError("lengths must be finite and non-negative")
    return m, y


def _group(m, y):
    """Distinct lengths, mean survival per length, number of sequences per length."""
    ms, inv, counts = np.unique(m, return_inverse=True, return_counts=True)
    return ms, np.bincount(inv, weights=y) / counts, counts, inv


def _shots(y, shots):
    """Shots per sequence: as given, else the smallest count every survival value is a
    fraction of (inf when they are not fractions of a count up to ``_MAX_SHOTS``)."""
    if shots is not None:
        shots = float(shots)
        if not shots >= 1:
            raise ValueError("shots must be at least 1, got {}".format(shots))
        return shots
    denominator = 1
    for v in np.unique(y):
        frac = Fraction(float(v)).limit_denominator(_MAX_SHOTS)
        if abs(float(frac) - v) > 1e-9:
            return math.inf
        denominator = math.lcm(denominator, frac.denominator)
        if denominator > _MAX_SHOTS:
            return math.inf
    return float(denominator)


@dataclass
class _Points:
    """One curve's data by length, with the uncertainty of each mean (module docstring)."""
    m: np.ndarray
    y: np.ndarray
    ms: np.ndarray
    means: np.ndarray
    counts: np.ndarray
    inv: np.ndarray
    shots: float
    s2: np.ndarray       # variance between the sequences of a length (0 with one)
    edge: np.ndarray     # 1/2 / (N + 1): how close to 0 or 1 a probability is taken
    sigma: np.ndarray    # standard error of each mean: the fit's weights
    topup: np.ndarray    # variance the bootstrap adds to its resampled means

    def var(self, f):
        """Variance of each mean if the true survival were ``f`` (Pearson)."""
        q = np.clip(f, self.edge, 1 - self.edge)
        binomial = q * (1 - q) / self.shots
        return np.maximum(np.maximum(self.s2, binomial) / self.counts, _VAR_FLOOR)


def _points(lengths, survival, shots=None):
    m, y = _per_sequence(lengths, survival)
    ms, means, counts, inv = _group(m, y)
    shots = _shots(y, shots)
    squares = np.bincount(inv, weights=(y - means[inv]) ** 2, minlength=len(ms))
    s2 = np.where(counts > 1, squares / np.maximum(counts - 1, 1), 0.0)
    if math.isinf(shots):
        edge = np.zeros(len(ms))
        q = means
    else:
        total = counts * shots
        edge = 0.5 / (total + 1)
        q = (means * total + 0.5) / (total + 1)
    var = np.maximum(np.maximum(s2, q * (1 - q) / shots) / counts, _VAR_FLOOR)
    topup = np.maximum(var - squares / counts ** 2, 0.0)
    return _Points(m, y, ms, means, counts, inv, shots, s2, edge, np.sqrt(var), topup)


def survival_errors(lengths, survival, shots=None):
    """Per length: ``(lengths, mean survival, standard error)``, the error combining the
    scatter between sequences with their binomial shot noise (module docstring)."""
    pts = _points(lengths, survival, shots)
    return pts.ms, pts.means, pts.sigma


def _resample(rng, pts, n):
    """``n`` bootstrap replicas of a curve's means: sequences drawn with replacement
    within each length, then topped up to the per-point variance."""
    means = np.empty((n, len(pts.ms)))
    for k in range(len(pts.ms)):
        members = np.flatnonzero(pts.inv == k)
        draw = members[rng.integers(0, len(members), (n, len(members)))]
        means[:, k] = pts.y[draw].mean(axis=1)
    return means


# --- fitting -----------------------------------------------------------------------------

def _curve_fit(ms, means, sigma, start, B_fixed):
    """One bounded least-squares fit of the means weighted by ``1/sigma**2``. Returns
    values (A, p, B) and the covariance of the free parameters."""
    from scipy.optimize import curve_fit

    start = np.clip(start, 0, 1)
    if B_fixed is not None:
        model = lambda m, A, p: rb_model(m, A, p, B_fixed)  # noqa: E731
        values, cov = curve_fit(model, ms, means, p0=start[:2], sigma=sigma,
                                absolute_sigma=True, bounds=([0, 0], [1, 1]),
                                maxfev=10000)
        return np.array([values[0], values[1], B_fixed]), cov
    values, cov = curve_fit(rb_model, ms, means, p0=start, sigma=sigma,
                            absolute_sigma=True, bounds=([0, 0, 0], [1, 1, 1]),
                            maxfev=10000)
    return values, cov


def _guess(ms, means, B):
    """Starting point: B = 1/d (or the fixed B), p from the median successive ratio."""
    A = max(means[0] - B, 0.05)
    ratios = []
    for i in range(len(ms) - 1):
        a, b = means[i] - B, means[i + 1] - B
        if a > 0 and b > 0 and ms[i + 1] > ms[i]:
            ratios.append((b / a) ** (1 / (ms[i + 1] - ms[i])))
    p = float(np.clip(np.median(ratios), 0.05, 0.999)) if ratios else 0.95
    return [min(A, 1.0), p]


def _best_fit(pts, B_fixed, n_qubits):
    """Fit from a few starting p's and keep the least chi-square; scipy's failures become
    RBFitError."""
    B0 = 1 / 2 ** n_qubits if B_fixed is None else B_fixed
    A0, p0 = _guess(pts.ms, pts.means, B0)
    best, error = None, None
    for p_start in dict.fromkeys([p0, 0.99, 0.9, 0.5]):
        try:
            values, cov = _curve_fit(pts.ms, pts.means, pts.sigma, [A0, p_start, B0],
                                     B_fixed)
        except (RuntimeError, ValueError) as exc:
            error = exc
            continue
        cost = np.sum(((rb_model(pts.ms, *values) - pts.means) / pts.sigma) ** 2)
        if best is None or cost < best[0]:
            best = (cost, values, cov)
    if best is None:
        raise RBFitError("the RB fit did not converge: {}".format(error))
    return best[1], best[2]


def _flat_pvalue(pts, values, n_free):
    """p-value of "the mean survival per length is one constant": between-length spread
    against the per-point variance where every length has several sequences, else an F
    test of the decay fit against a constant."""
    from scipy.stats import chi2, f as f_dist

    w = 1 / pts.sigma ** 2
    if np.all(pts.counts > 1):
        grand = np.sum(w * pts.means) / np.sum(w)
        return chi2.sf(np.sum(w * (pts.means - grand) ** 2), len(pts.ms) - 1)
    rss_fit = np.sum(w * (rb_model(pts.ms, *values) - pts.means) ** 2)
    rss_flat = np.sum(w * (pts.means - np.sum(w * pts.means) / np.sum(w)) ** 2)
    dof = len(pts.ms) - n_free
    stat = (rss_flat - rss_fit) / (n_free - 1) / max(rss_fit / dof, 1e-300)
    return f_dist.sf(stat, n_free - 1, dof)


def _check_decay(values, cov, pts, n_free):
    """With B free: raise RBFitError when A and B cannot be told apart or the data do not
    determine p (the caller may then fix B and get a bound)."""
    A, p, _ = values
    errs = np.sqrt(np.diag(cov))
    if not np.all(np.isfinite(errs)):
        raise RBFitError("the RB fit is degenerate (infinite covariance): A={:.3g}, "
                         "p={:.3g}; the data do not determine p".format(A, p))
    if p >= _P_CEILING:
        raise RBFitError("no decay resolved (p ran to 1, A={:.3g}): use longer sequences "
                         "or fix B".format(A))
    if p <= _P_FLOOR:
        raise RBFitError("p ran to 0: no decay over the lengths (the survival sits at "
                         "its floor from length {:g} on, or rises)".format(pts.ms[0]))
    if A <= 2 * errs[0] or errs[1] > 0.25:
        raise RBFitError("the decay is not resolved: A = {:.3g} +- {:.2g}, p = {:.3g} +- "
                         "{:.2g}; use longer sequences, or fix B (e.g. 1/d)".format(
                             A, errs[0], p, errs[1]))
    pvalue = _flat_pvalue(pts, values, n_free)
    if pvalue > _FLAT_PVALUE:
        raise RBFitError("no significant decay: the mean survival per length is "
                         "consistent with a constant (p-value {:.2g} over {} lengths)"
                         .format(pvalue, len(pts.ms)))


# --- resolution: profile chi-square ------------------------------------------------------

class _Profile:
    """Pearson chi-square of a model against one or more curves, minimized over the
    parameters not held. ``predict(theta)`` gives each curve's model means."""

    def __init__(self, curves, predict, n_params, held=None):
        self.curves = curves
        self.predict = predict
        self.n = n_params
        self.held = dict(held or {})
        self.best = (math.inf, None)

    def residuals(self, theta):
        return np.concatenate([(pts.means - f) / np.sqrt(pts.var(f))
                               for pts, f in zip(self.curves, self.predict(theta))])

    def minimize(self, hold, starts):
        from scipy.optimize import least_squares

        hold = {**self.held, **hold}
        free = np.array([i for i in range(self.n) if i not in hold], dtype=int)
        best = (math.inf, None)
        for start in starts:
            theta = np.clip(np.array(start, dtype=float), 0, 1)
            for i, v in hold.items():
                theta[i] = v
            if not len(free):
                value = float(np.sum(self.residuals(theta) ** 2))
                result = theta
            else:
                def fun(x, theta=theta):
                    t = theta.copy()
                    t[free] = x
                    return self.residuals(t)
                try:
                    fit = least_squares(fun, theta[free], bounds=(0, 1), method="trf",
                                        max_nfev=400 * len(free), xtol=1e-12, ftol=1e-12)
                except ValueError:
                    continue
                value = 2 * float(fit.cost)
                result = theta.copy()
                result[free] = fit.x
            if value < best[0]:
                best = (value, result)
        if best[0] < self.best[0]:
            self.best = best
        return best


@dataclass
class _Verdict:
    status: str
    message: str
    t1: float
    t0: float
    lower: float = _NAN     # one-sided 95 % bounds on the profiled parameter
    upper: float = _NAN
    theta_lower: np.ndarray | None = None
    theta_upper: np.ndarray | None = None


def _starts(theta, k, value=None, extra=()):
    """Starting points for a profile minimization: the best fit and any ``extra`` points
    (with parameter ``k`` at ``value``), and, for a joint fit, the other decays spread."""
    theta = np.asarray(theta, dtype=float)
    out = []
    for alt in [theta, *extra]:
        t = np.asarray(alt, dtype=float).copy()
        if value is not None:
            t[k] = value
        out.append(t)
    others = [i for i in range(1, len(theta) - 1) if i != k]
    for p in (0.999, 0.9) if others else ():
        t = theta.copy()
        t[others] = p
        if value is not None:
            t[k] = value
        out.append(t)
    unique = []
    for t in out:
        if not any(np.array_equal(t, u) for u in unique):
            unique.append(t)
    return unique


def _crossing(profile, k, theta_hat, chi2_min, level, downward):
    """Where the profile of parameter ``k`` rises by ``level`` from the best fit, going
    down towards 0 (``downward``) or up towards 1. NaN if it never does."""
    from scipy.optimize import brentq

    v_hat = float(theta_hat[k])
    fractions = np.logspace(-7, 0, 36)
    if downward:
        grid = v_hat * (1 - fractions) if v_hat < 1 else 1 - np.logspace(-8, 0, 41)
    else:
        grid = v_hat + (1.0 - v_hat) * fractions
    previous_v, previous_theta = v_hat, theta_hat

    def excess(v, extra):
        c, t = profile.minimize({k: v}, _starts(theta_hat, k, v, extra))
        return c - chi2_min - level, t

    for v in grid:
        if (downward and v >= previous_v) or (not downward and v <= previous_v):
            continue
        e, t = excess(v, [previous_theta])
        if e >= 0:
            a, b = sorted((previous_v, v))
            ea = excess(a, [previous_theta, t])[0]
            eb = excess(b, [previous_theta, t])[0]
            if ea * eb > 0:
                return v, t
            root = brentq(lambda x: excess(x, [previous_theta, t])[0], a, b,  # noqa: B023
                          xtol=1e-12, rtol=1e-6)
            return root, excess(root, [previous_theta, t])[1]
        previous_v, previous_theta = v, t
    return _NAN, None


def _resolve(profile, k, theta_hat, what="p"):
    """Classify parameter ``k`` (a decay p or p_c) as resolved or not (module docstring)
    and find its one-sided 95 % bound when not."""
    c_hat, t_hat = profile.minimize({}, _starts(theta_hat, k))
    c1, t1 = profile.minimize({k: 1.0}, _starts(t_hat, k, 1.0, [theta_hat]))
    c0, t0 = profile.minimize({k: 0.0}, _starts(t_hat, k, 0.0, [theta_hat]))
    chi2_min, t_min = profile.best
    T1, T0 = c1 - chi2_min, c0 - chi2_min
    if T1 >= CHI2_RESOLVED and T0 >= CHI2_RESOLVED:
        return _Verdict("resolved", "", T1, T0)
    if T1 < CHI2_RESOLVED and T0 >= CHI2_BOUND:
        lower, theta = _crossing(profile, k, t_min, chi2_min, CHI2_BOUND, downward=True)
        return _Verdict("slow", "{} = 1 lies within the data's 95 % interval (chi-square "
                        "rises by only {:.2f} < {:.2f}): no {} resolved".format(
                            what, T1, CHI2_RESOLVED, "gate error" if what == "p_c"
                            else "decay"), T1, T0, lower=lower,
                        theta_lower=theta)
    if T0 < CHI2_RESOLVED and T1 >= CHI2_BOUND:
        upper, theta = _crossing(profile, k, t_min, chi2_min, CHI2_BOUND, downward=False)
        return _Verdict("fast", "{} = 0 lies within the data's 95 % interval (chi-square "
                        "rises by only {:.2f} < {:.2f}): the decay is over by the shortest "
                        "nonzero length; use shorter sequences".format(
                            what, T0, CHI2_RESOLVED), T1, T0, upper=upper,
                        theta_upper=theta)
    return _Verdict("flat", "the data allow both {0} = 1 and {0} = 0 (chi-square rises by "
                    "{1:.2f} and {2:.2f}, < {3:.2f}): the survival sits at its asymptote "
                    "at every length (decay too fast for these lengths, or no contrast) or "
                    "the shots are too few".format(what, T1, T0, CHI2_RESOLVED), T1, T0)


def _below_floor(pts, B):
    """The survival averaged over lengths lies more than 3 sigma below the fixed B."""
    w = 1 / pts.sigma ** 2
    z = np.sum(w * (pts.means - B)) / math.sqrt(np.sum(w))
    return z < -_BELOW_FLOOR_SIGMA, z


def _model_name(B):
    if B is None:
        return "A*p^m + B; A, p, B free"
    return "A*p^m + B; A, p free; B fixed at {:.6g}".format(B)


def _bootstrap_fit(rng, curves, refit, values, n_bootstrap):
    """Refit ``n_bootstrap`` resamplings of every curve; returns the parameter rows. Too
    many failed refits is an RBFitError: a fit that falls over when a few sequences
    change is not to be trusted."""
    replicas = [_resample(rng, pts, n_bootstrap) for pts in curves]
    for pts, means in zip(curves, replicas):
        means += rng.standard_normal(means.shape) * np.sqrt(pts.topup)
    out, failed = [], 0
    for i in range(n_bootstrap):
        try:
            out.append(refit([means[i] for means in replicas], values))
        except (RuntimeError, ValueError):
            failed += 1
    if failed > _MAX_BOOT_FAILURES * n_bootstrap:
        raise RBFitError("{} of {} bootstrap refits failed: the fit is unstable".format(
            failed, n_bootstrap))
    return np.array(out)


def _unresolved_result(n_qubits, values, cov, verdict, pts, B, model, k=1):
    """An RBResult that reports the verdict and bound instead of a fitted p. ``k``: the
    index of this curve's decay in the verdict's parameters (A, ..., B)."""
    A, p, Bv = (float(v) for v in values)
    errs = np.sqrt(np.abs(np.diag(cov))) if cov is not None else np.full(3, np.nan)
    A_err = float(errs[0]) if np.isfinite(errs[0]) else _NAN
    B_err = 0.0 if B is not None else (float(errs[2]) if len(errs) > 2 else _NAN)
    upper = lower = _NAN
    ci = (0.0, 1.0)
    bound = None
    if verdict.status == "slow" and math.isfinite(verdict.lower):
        upper = epc_from_p(verdict.lower, n_qubits)
        ci = (float(verdict.lower), 1.0)
        bound = verdict.theta_lower
    elif verdict.status == "fast" and math.isfinite(verdict.upper):
        lower = epc_from_p(verdict.upper, n_qubits)
        ci = (0.0, float(verdict.upper))
        bound = verdict.theta_upper
    if bound is not None:  # this curve's (A, p, B) at the bound
        bound = (float(bound[0]), float(bound[k]), float(bound[-1]))
    if verdict.status != "slow":
        p = _NAN  # "fast": any p small enough fits; "flat", "below_floor": none does
    if verdict.status == "below_floor":
        A, A_err = _NAN, _NAN
    message = verdict.message
    if math.isfinite(upper):
        message += "; error per Clifford < {:.2g} at 95 % (one-sided)".format(upper)
    elif math.isfinite(lower):
        message += "; error per Clifford > {:.2g} at 95 % (one-sided)".format(lower)
    elif verdict.status == "slow":
        message += "; the data do not bound the error per Clifford"
    return RBResult(
        n_qubits=n_qubits, p=p, p_err=_NAN, A=A, A_err=A_err, B=Bv, B_err=B_err,
        epc=_NAN, epc_err=_NAN, spam=1 - (A + Bv), p_ci95=ci, n_bootstrap=0,
        B_fixed=B is not None, lengths=pts.m, survival=pts.y, resolved=False,
        status=verdict.status, message=message, epc_upper_95=upper, epc_lower_95=lower,
        shots=pts.shots, model=model, delta_chi2_p1=verdict.t1, delta_chi2_p0=verdict.t0,
        bound_params=bound)


def fit_rb(lengths, survival, n_qubits, n_bootstrap=200, seed=0, B=None, shots=None):
    """Fit ``A p**m + B`` to RB survival data.

    ``lengths``: the number of random Cliffords; ``survival``: either a ``(len(lengths),
    samples)`` array, or one value per sequence with ``lengths`` repeated to match (the
    ``flat()`` order of ``RBSequences`` works). ``shots``: shots per sequence, for the
    binomial uncertainty (default: inferred from the values). ``B`` fixes the asymptote
    (e.g. ``1/d``) when the lengths do not reach it; only then does an unresolved decay
    come back as a result with a one-sided bound (``resolved`` False) rather than an
    ``RBFitError``. Bounds: ``0 <= A, p, B <= 1``.
    """
    pts = _points(lengths, survival, shots)
    n_free = 2 if B is not None else 3
    if len(pts.ms) < n_free + 1:
        raise RBFitError("an RB fit with {} free parameters needs at least {} distinct "
                         "lengths, got {}".format(n_free, n_free + 1, len(pts.ms)))
    model = _model_name(B)
    if B is not None:
        below, z = _below_floor(pts, B)
        if below:
            verdict = _Verdict("below_floor", "the survival lies {:.1f} sigma below the "
                               "fixed asymptote B = {:.3g} on average (mean {:.3g}): no RB "
                               "decay does that; check the readout and the expected "
                               "outcomes".format(-z, B, float(np.mean(pts.y))),
                               _NAN, _NAN)
            return _unresolved_result(n_qubits, [0.0, _NAN, B], None, verdict, pts, B,
                                      model)
    values, cov = _best_fit(pts, B, n_qubits)
    if B is None:
        _check_decay(values, cov, pts, n_free)
    profile = _Profile([pts], lambda t: [rb_model(pts.ms, *t)], 3,
                       held={2: B} if B is not None else None)
    verdict = _resolve(profile, 1, values)
    if verdict.status != "resolved":
        if B is None:
            raise RBFitError("the decay is not resolved with B free: {}; fix B (e.g. 1/d) "
                             "for a one-sided bound on the error per Clifford".format(
                                 verdict.message))
        return _unresolved_result(n_qubits, values, cov, verdict, pts, B, model)
    errs = np.sqrt(np.diag(cov))
    errs = np.append(errs, 0.0) if B is not None else errs
    p_boot = None
    ci = (values[1] - 1.96 * errs[1], values[1] + 1.96 * errs[1])  # normal approx.
    if n_bootstrap:
        rng = np.random.default_rng(seed)

        def refit(means, start):
            return _curve_fit(pts.ms, means[0], pts.sigma, list(start), B)[0]
        boot = _bootstrap_fit(rng, [pts], refit, values, n_bootstrap)
        errs = boot.std(axis=0, ddof=1)
        p_boot = boot[:, 1]
        ci = tuple(np.percentile(p_boot, [2.5, 97.5]))
    A, p, Bv = (float(v) for v in values)
    return RBResult(
        n_qubits=n_qubits, p=p, p_err=float(errs[1]), A=A, A_err=float(errs[0]), B=Bv,
        B_err=float(errs[2]), epc=epc_from_p(p, n_qubits),
        epc_err=epc_from_p(1 - errs[1], n_qubits),  # (d-1)/d * p_err
        spam=1 - (A + Bv),
        p_ci95=tuple(float(c) for c in ci), n_bootstrap=n_bootstrap,
        B_fixed=B is not None, lengths=pts.m, survival=pts.y, p_bootstrap=p_boot,
        shots=pts.shots, model=model, delta_chi2_p1=verdict.t1,
        delta_chi2_p0=verdict.t0)


# --- interleaved RB ----------------------------------------------------------------------

def _magesan_bound(p, p_c, n_qubits):
    """Magesan et al.'s systematic bound E on the gate error (their Eq. 5)."""
    d = 2 ** n_qubits
    return min((d - 1) * (abs(p - p_c) + (1 - p)) / d,
               2 * (d ** 2 - 1) * (1 - p) / (p * d ** 2)
               + 4 * math.sqrt(1 - p) * math.sqrt(d ** 2 - 1) / p)


def interleaved_error(reference, interleaved):
    """Gate error from a reference and an interleaved ``RBResult`` each fitted alone (the
    separate method): ``r_c = (d-1)/d (1 - p_int/p_ref)``, its error propagated from both
    p errors, and Magesan et al.'s bound ``E`` (the true error lies in ``r_c -+ E``)."""
    if reference.n_qubits != interleaved.n_qubits:
        raise ValueError("reference and interleaved fits are on different qubit counts")
    n = reference.n_qubits
    d = 2 ** n
    p, p_int = reference.p, interleaved.p
    r_c = (d - 1) / d * (1 - p_int / p)
    r_c_err = (d - 1) / d * math.hypot(interleaved.p_err / p,
                                       p_int * reference.p_err / p ** 2)
    bound = min((d - 1) * (abs(p - p_int / p) + (1 - p)) / d,
                2 * (d ** 2 - 1) * (1 - p) / (p * d ** 2)
                + 4 * math.sqrt(1 - p) * math.sqrt(d ** 2 - 1) / p)
    resolved = all(getattr(r, "resolved", True) for r in (reference, interleaved))
    model = ("A*p^m + B fitted to each curve alone (A and B not shared); gate error "
             "from p_int/p_ref")
    return InterleavedResult(
        n, p, reference.p_err, p_int, interleaved.p_err, r_c, r_c_err, bound,
        max(r_c - bound, 0.0), r_c + bound, method="separate",
        p_c=p_int / p, p_c_err=r_c_err * d / (d - 1), resolved=resolved,
        status="resolved" if resolved else "curve_unresolved",
        message="" if resolved else "a curve's decay is not resolved",
        B_fixed=bool(getattr(reference, "B_fixed", False)), model=model,
        reference=reference, interleaved=interleaved)


def _joint_predict(ref, inter):
    return lambda t: [rb_model(ref.ms, t[0], t[1], t[3]),
                      rb_model(inter.ms, t[0], t[1] * t[2], t[3])]


def _joint_curve_fit(ref, inter, ref_means, int_means, start, B_fixed):
    """One weighted fit of both curves: theta = (A, p, p_c, B)."""
    from scipy.optimize import curve_fit

    x = np.concatenate([ref.ms, inter.ms])
    g = np.concatenate([np.zeros(len(ref.ms)), np.ones(len(inter.ms))])
    y = np.concatenate([ref_means, int_means])
    sigma = np.concatenate([ref.sigma, inter.sigma])
    start = np.clip(np.asarray(start, dtype=float), 0, 1)

    def model(xg, A, p, p_c, B):
        m, is_int = xg
        return A * np.power(np.where(is_int > 0, p * p_c, p), m) + B
    if B_fixed is not None:
        values, cov = curve_fit(lambda xg, A, p, p_c: model(xg, A, p, p_c, B_fixed),
                                (x, g), y, p0=start[:3], sigma=sigma, absolute_sigma=True,
                                bounds=([0, 0, 0], [1, 1, 1]), maxfev=20000)
        return np.append(values, B_fixed), cov
    values, cov = curve_fit(model, (x, g), y, p0=start, sigma=sigma, absolute_sigma=True,
                            bounds=([0] * 4, [1] * 4), maxfev=20000)
    return values, cov


def _joint_best_fit(ref, inter, B_fixed, n_qubits):
    B0 = 1 / 2 ** n_qubits if B_fixed is None else B_fixed
    A_r, p_r = _guess(ref.ms, ref.means, B0)
    A_i, p_i = _guess(inter.ms, inter.means, B0)
    p_c0 = min(p_i / p_r, 1.0)
    best, error = None, None
    for p_start, c_start in dict.fromkeys([(p_r, p_c0), (0.99, p_c0), (0.99, 0.99),
                                           (0.9, 0.9), (0.5, 0.9)]):
        try:
            values, cov = _joint_curve_fit(ref, inter, ref.means, inter.means,
                                           [(A_r + A_i) / 2, p_start, c_start, B0],
                                           B_fixed)
        except (RuntimeError, ValueError) as exc:
            error = exc
            continue
        f_r, f_i = _joint_predict(ref, inter)(values)
        cost = (np.sum(((f_r - ref.means) / ref.sigma) ** 2)
                + np.sum(((f_i - inter.means) / inter.sigma) ** 2))
        if best is None or cost < best[0]:
            best = (cost, values, cov)
    if best is None:
        raise RBFitError("the joint interleaved RB fit did not converge: {}".format(error))
    return best[1], best[2]


def _check_joint(values, cov, ref, inter):
    """With B free: A and B must be separable and at least one curve must decay."""
    A, p, p_c, B = values
    errs = np.sqrt(np.diag(cov))
    if not np.all(np.isfinite(errs)):
        raise RBFitError("the joint interleaved RB fit is degenerate (infinite "
                         "covariance): A={:.3g}, p={:.3g}, p_c={:.3g}".format(A, p, p_c))
    if A <= 2 * errs[0] or errs[3] > 0.25:
        raise RBFitError("the decays do not separate A from B: A = {:.3g} +- {:.2g}, B = "
                         "{:.3g} +- {:.2g}; use longer sequences, or fix B (e.g. 1/d)"
                         .format(A, errs[0], B, errs[3]))
    if p * p_c >= _P_CEILING:
        raise RBFitError("no decay resolved in either curve: use longer sequences or fix "
                         "B")
    flat = [_flat_pvalue(pts, [A, pp, B], 3) > _FLAT_PVALUE if len(pts.ms) > 3 else False
            for pts, pp in ((ref, p), (inter, p * p_c))]
    if all(flat):
        raise RBFitError("no significant decay in either curve: the mean survival per "
                         "length is consistent with a constant in both")


def _view(n_qubits, pts, A, A_err, p, p_err, B, B_err, verdict, B_fixed, model, boot_p,
          n_bootstrap, shots, k):
    """One curve of a joint fit as an RBResult (``k``: its decay's index in the
    verdict's parameters)."""
    if verdict.status != "resolved":
        cov = np.diag([A_err ** 2, _NAN, B_err ** 2])
        res = _unresolved_result(n_qubits, [A, p, B], cov, verdict, pts,
                                 B if B_fixed else None, model, k)
        if not B_fixed:
            res.B_err = B_err
        return res
    ci = tuple(float(c) for c in np.percentile(boot_p, [2.5, 97.5])) if boot_p is not None \
        else (p - 1.96 * p_err, p + 1.96 * p_err)
    return RBResult(
        n_qubits=n_qubits, p=p, p_err=p_err, A=A, A_err=A_err, B=B, B_err=B_err,
        epc=epc_from_p(p, n_qubits), epc_err=epc_from_p(1 - p_err, n_qubits),
        spam=1 - (A + B), p_ci95=ci, n_bootstrap=n_bootstrap, B_fixed=B_fixed,
        lengths=pts.m, survival=pts.y, p_bootstrap=boot_p, shots=shots, model=model,
        delta_chi2_p1=verdict.t1, delta_chi2_p0=verdict.t0)


def fit_interleaved(lengths, survival, lengths_int, survival_int, n_qubits, n_bootstrap=200,
                    seed=0, B=None, shots=None, method="joint"):
    """Interleaved RB from the reference ``(lengths, survival)`` and the interleaved
    ``(lengths_int, survival_int)`` sequences (``lengths`` count the random Cliffords).

    ``method="joint"`` (the default, as the field fits it): one fit of the reference
    ``A p**m + B`` and the interleaved ``A (p p_c)**m + B`` with ``A`` and ``B`` shared;
    errors from a bootstrap resampling both curves; the gate error is resolved, or bounded,
    through the profile of ``p_c`` (module docstring). ``method="separate"`` fits each
    curve alone (``fit_rb``) and combines them with ``interleaved_error``. ``B`` fixes the
    shared asymptote; with ``B`` free a joint fit that cannot separate A from B raises
    ``RBFitError``."""
    if method == "separate":
        reference = fit_rb(lengths, survival, n_qubits, n_bootstrap, seed, B, shots)
        interleaved = fit_rb(lengths_int, survival_int, n_qubits, n_bootstrap, seed, B,
                             shots)
        return interleaved_error(reference, interleaved)
    if method != "joint":
        raise ValueError("method must be 'joint' or 'separate', not {!r}".format(method))
    ref = _points(lengths, survival, shots)
    inter = _points(lengths_int, survival_int, shots if shots is not None else ref.shots)
    n_free = 3 if B is not None else 4
    if min(len(ref.ms), len(inter.ms)) < 3 or len(ref.ms) + len(inter.ms) < n_free + 1:
        raise RBFitError("a joint interleaved RB fit needs at least 3 distinct lengths per "
                         "curve, got {} and {}".format(len(ref.ms), len(inter.ms)))
    d = 2 ** n_qubits
    scale = (d - 1) / d
    shared = "reference A*p^m + B, interleaved A*(p*p_c)^m + B; A and B shared"
    model = shared + ("; A, p, p_c, B free" if B is None else
                      "; A, p, p_c free; B fixed at {:.6g}".format(B))
    held = {3: B} if B is not None else None
    if B is not None and any(_below_floor(pts, B)[0] for pts in (ref, inter)):
        # No RB decay runs below its asymptote: each curve says so (fit_rb), no gate error.
        reference = fit_rb(lengths, survival, n_qubits, n_bootstrap, seed, B, ref.shots)
        interleaved = fit_rb(lengths_int, survival_int, n_qubits, n_bootstrap, seed, B,
                             inter.shots)
        reference.label, interleaved.label = "reference", "interleaved"
        bad = [c.label for c in (reference, interleaved) if c.status == "below_floor"]
        return InterleavedResult(
            n_qubits, reference.p, reference.p_err, interleaved.p, interleaved.p_err, _NAN,
            _NAN, _NAN, _NAN, _NAN, method="joint", resolved=False, status="below_floor",
            message="the {} survival lies below the fixed asymptote B = {:.3g}: no gate "
                    "error; check the readout and the expected outcomes".format(
                        " and ".join(bad), B),
            B=B, B_err=0.0, B_fixed=True, model=model, reference=reference,
            interleaved=interleaved)
    values, cov = _joint_best_fit(ref, inter, B, n_qubits)
    if B is None:
        _check_joint(values, cov, ref, inter)
    profile = _Profile([ref, inter], _joint_predict(ref, inter), 4, held)
    gate = _resolve(profile, 2, values, what="p_c")
    if B is None and gate.status == "flat":
        raise RBFitError("the joint fit with B free does not resolve the gate error: {}; "
                         "fix B (e.g. 1/d)".format(gate.message))
    ref_verdict = _resolve(profile, 1, values, what="p")
    # The interleaved curve's own decay p_int, profiled as a parameter of its own.
    alt = _Profile([ref, inter], lambda t: [rb_model(ref.ms, t[0], t[1], t[3]),
                                            rb_model(inter.ms, t[0], t[2], t[3])], 4, held)
    alt_theta = np.array([values[0], values[1], values[1] * values[2], values[3]])
    int_verdict = _resolve(alt, 2, alt_theta, what="p_int")

    errs = np.sqrt(np.abs(np.diag(cov)))
    errs = np.append(errs, 0.0) if B is not None else errs
    p_err, p_c_err = errs[1], errs[2]
    p_int_err = math.hypot(values[2] * errs[1], values[1] * errs[2])
    boot = None
    if n_bootstrap:
        rng = np.random.default_rng(seed)

        def refit(means, start):
            return _joint_curve_fit(ref, inter, means[0], means[1], start, B)[0]
        boot = _bootstrap_fit(rng, [ref, inter], refit, values, n_bootstrap)
        errs = boot.std(axis=0, ddof=1)
        p_err, p_c_err = errs[1], errs[2]
        p_int_err = float(np.std(boot[:, 1] * boot[:, 2], ddof=1))
    A, p, p_c, Bv = (float(v) for v in values)
    A_err, B_err = float(errs[0]), float(errs[3]) if B is None else 0.0
    view_model = "joint fit: " + model
    reference = _view(n_qubits, ref, A, A_err, p, float(p_err), Bv, B_err, ref_verdict,
                      B is not None, view_model, None if boot is None else boot[:, 1],
                      n_bootstrap, ref.shots, 1)
    interleaved = _view(n_qubits, inter, A, A_err, p * p_c, p_int_err, Bv, B_err,
                        int_verdict, B is not None, view_model,
                        None if boot is None else boot[:, 1] * boot[:, 2], n_bootstrap,
                        inter.shots, 2)
    reference.label, interleaved.label = "reference", "interleaved"
    E = _magesan_bound(p, p_c, n_qubits)
    common = dict(method="joint", p_c=p_c, A=A, A_err=A_err, B=Bv, B_err=B_err,
                  B_fixed=B is not None, model=model, n_bootstrap=n_bootstrap,
                  reference=reference, interleaved=interleaved)
    if gate.status == "resolved":
        r_c = scale * (1 - p_c)
        r_c_err = scale * float(p_c_err)
        ci = tuple(float(c) for c in np.percentile(scale * (1 - boot[:, 2]), [2.5, 97.5])) \
            if boot is not None else (r_c - 1.96 * r_c_err, r_c + 1.96 * r_c_err)
        return InterleavedResult(n_qubits, p, float(p_err), p * p_c, p_int_err, r_c,
                                 r_c_err, E, max(r_c - E, 0.0), r_c + E,
                                 p_c_err=float(p_c_err), r_c_ci95=ci, **common)
    upper = scale * (1 - gate.lower) if math.isfinite(gate.lower) else _NAN
    lower = scale * (1 - gate.upper) if math.isfinite(gate.upper) else _NAN
    message = gate.message
    if math.isfinite(upper):
        message += "; gate error < {:.2g} at 95 % (one-sided)".format(upper)
        span = (0.0, upper + E)
    elif math.isfinite(lower):
        message += "; gate error > {:.2g} at 95 % (one-sided)".format(lower)
        span = (max(lower - E, 0.0), scale + E)
    else:
        message += "; the data do not bound the gate error"
        span = (0.0, scale + E)
    return InterleavedResult(n_qubits, p, float(p_err), p * p_c, p_int_err, _NAN, _NAN, E,
                             span[0], span[1], p_c_err=_NAN,
                             r_c_ci95=(0.0 if math.isfinite(upper) else lower,
                                       upper if math.isfinite(upper) else scale),
                             resolved=False, status=gate.status, message=message,
                             r_c_upper_95=upper, r_c_lower_95=lower, **common)


# --- plot --------------------------------------------------------------------------------

def plot_rb(result, data, path, title=None, labels=None, gate=None):
    """PNG of the decay: every sequence (faint), the mean per length with its standard
    error (scatter between sequences and binomial shot noise), and the fit. ``result`` is
    an ``RBResult`` or a list of them (e.g. reference and interleaved, named by
    ``labels``); ``data`` the matching ``(lengths, survival)`` or None for the data stored
    in the result. An unresolved decay shows the decay at its 95 % bound (dashed) and the
    bound in the legend; a fixed B is named; ``gate`` (an ``InterleavedResult``) adds the
    gate error."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    results = [result] if isinstance(result, RBResult) else list(result)
    datas = [data] if isinstance(result, RBResult) else list(data or [None] * len(results))
    labels = list(labels) if labels is not None else [None] * len(results)
    fig, ax = plt.subplots(figsize=(6.8, 4.6))
    for res, dat, name in zip(results, datas, labels):
        m, y = (res.lengths, res.survival) if dat is None else _per_sequence(*dat)
        shots = getattr(res, "shots", _NAN)
        pts = _points(m, y, shots if math.isfinite(shots) else None)
        text = res.summary() if hasattr(res, "summary") else "p = {:.5f}".format(res.p)
        if res.B_fixed:
            text += ", B fixed at {:.3g}".format(res.B)
        line = ax.errorbar(pts.ms, pts.means, yerr=pts.sigma, fmt="o", ms=5, capsize=3,
                           label="{}{}".format(name + ": " if name else "", text))
        color = line[0].get_color()
        ax.plot(m, y, ".", color=color, alpha=0.15, ms=3)
        dense = np.linspace(0, pts.ms.max(), 400)
        if getattr(res, "resolved", True):
            ax.plot(dense, res(dense), "-", color=color)
            continue
        if math.isfinite(res.A) and math.isfinite(res.p):
            ax.plot(dense, res(dense), ":", color=color, alpha=0.7)
        if res.bound_params is not None:
            bound = res.epc_upper_95 if math.isfinite(res.epc_upper_95) \
                else res.epc_lower_95
            ax.plot(dense, rb_model(dense, *res.bound_params), "--", color=color,
                    label="{}decay at the 95 % bound (EPC {} {:.2g})".format(
                        name + ": " if name else "",
                        "<" if math.isfinite(res.epc_upper_95) else ">", bound))
    notes = ["error bars: 1σ of the mean (shot noise and scatter between sequences)"]
    if gate is not None:
        notes.insert(0, "{}; {}".format(
            gate.summary(), "A and B shared" if gate.method == "joint"
            else "curves fitted separately"))
    ax.text(0.01, 0.01, "\n".join(notes), transform=ax.transAxes, fontsize=7,
            va="bottom", ha="left", color="0.3")
    ax.set_xlabel("sequence length m (Cliffords)")
    ax.set_ylabel("survival probability")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title or "{}-qubit randomized benchmarking".format(results[0].n_qubits))
    ax.legend(fontsize=7, loc="center right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
