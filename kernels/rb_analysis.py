"""Randomized-benchmarking analysis (host side): decay fit, bootstrap errors, interleaved
RB, SPAM, plot.

The survival of sequence length ``m`` is fitted to ``A p**m + B``; the error per Clifford
is ``r = (d - 1)/d (1 - p)`` with ``d = 2**n``. Error bars come from a seeded bootstrap
over sequences (resampled within each length), which carries both sequence-to-sequence
scatter and shot noise. Anything that does not give a trustworthy ``p`` raises
``RBFitError`` with the reason; nothing fails into a silent number.
"""
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import curve_fit
from scipy.stats import chi2, f as f_dist

from kernels.fitting import FitError

__all__ = ["RBFitError", "RBResult", "InterleavedResult", "rb_model", "fit_rb",
           "epc_from_p", "interleaved_error", "plot_rb"]

_P_CEILING = 1 - 1e-9    # p this close to 1: no decay seen, A and B not separable
_P_FLOOR = 1e-6          # p this close to 0: decayed before the first length
_FLAT_PVALUE = 0.01      # means consistent with a constant at this level: no decay seen
_MAX_BOOT_FAILURES = 0.1


class RBFitError(FitError):
    """An RB fit that failed, or whose p cannot be trusted; the message says why."""


def rb_model(m, A, p, B):
    return A * np.power(p, m) + B


def epc_from_p(p, n_qubits):
    """Error per Clifford ``(d - 1)/d (1 - p)``."""
    d = 2 ** n_qubits
    return (d - 1) / d * (1 - p)


@dataclass
class RBResult:
    """A fitted decay. ``*_err`` are bootstrap standard deviations (covariance errors
    when ``n_bootstrap`` is 0); ``p_ci95`` the bootstrap 2.5..97.5 percentiles.
    ``spam = 1 - (A + B)``: the survival lost at m = 0, i.e. preparation and measurement
    error. ``lengths`` / ``survival`` are the per-sequence data fitted."""
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
    p_bootstrap: np.ndarray = field(repr=False, default=None)

    def __call__(self, m):
        return rb_model(np.asarray(m, dtype=float), self.A, self.p, self.B)

    def as_dict(self):
        return {k: getattr(self, k) for k in ("n_qubits", "p", "p_err", "A", "A_err", "B",
                                              "B_err", "epc", "epc_err", "spam")}

    def table(self):
        rows = [("p", self.p, self.p_err), ("A", self.A, self.A_err),
                ("B", self.B, self.B_err), ("error per Clifford", self.epc, self.epc_err),
                ("SPAM error 1-(A+B)", self.spam, math.hypot(self.A_err, self.B_err))]
        lines = ["RB fit, {} qubit{}: A p^m + B{}, {} sequences, {} bootstrap".format(
            self.n_qubits, "s" if self.n_qubits > 1 else "", " (B fixed)" if self.B_fixed
            else "", len(self.survival), self.n_bootstrap)]
        lines += ["  {:<20s} {:>12.6g} +- {:.2g}".format(*r) for r in rows]
        lines.append("  {:<20s} [{:.6g}, {:.6g}]".format("p 95% interval", *self.p_ci95))
        return "\n".join(lines)


@dataclass
class InterleavedResult:
    """Interleaved RB: gate error ``r_c`` with its propagated error ``r_c_err`` and the
    Magesan et al. (PRL 109, 080505, 2012) interval ``[lower, upper] = r_c -+ bound``."""
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

    def table(self):
        return "\n".join([
            "Interleaved RB, {} qubit(s)".format(self.n_qubits),
            "  {:<12s} {:.6g} +- {:.2g}".format("p_ref", self.p_ref, self.p_ref_err),
            "  {:<12s} {:.6g} +- {:.2g}".format("p_int", self.p_int, self.p_int_err),
            "  {:<12s} {:.6g} +- {:.2g}".format("gate error", self.r_c, self.r_c_err),
            "  {:<12s} [{:.6g}, {:.6g}]".format("bounds", self.lower, self.upper)])


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


# --- fitting -----------------------------------------------------------------------------

def _curve_fit(ms, means, counts, start, B_fixed):
    """One bounded least-squares fit of the means, each weighted by its sequence count
    (the same minimum as fitting every sequence). Returns values (A, p, B) and the
    covariance of the free parameters."""
    sigma = 1 / np.sqrt(counts)
    if B_fixed is not None:
        model = lambda m, A, p: rb_model(m, A, p, B_fixed)  # noqa: E731
        values, cov = curve_fit(model, ms, means, p0=start[:2], sigma=sigma,
                                bounds=([0, 0], [1, 1]), maxfev=10000)
        return np.array([values[0], values[1], B_fixed]), cov
    values, cov = curve_fit(rb_model, ms, means, p0=start, sigma=sigma,
                            bounds=([0, 0, 0], [1, 1, 1]), maxfev=10000)
    return values, cov


def _best_fit(ms, means, counts, B_fixed, n_qubits):
    """Fit from a few starting p's and keep the least squares; scipy's failures become
    RBFitError."""
    B0 = 1 / 2 ** n_qubits if B_fixed is None else B_fixed
    A0, p0 = _guess(ms, means, B0)
    best, error = None, None
    for p_start in dict.fromkeys([p0, 0.99, 0.9, 0.5]):
        try:
            values, cov = _curve_fit(ms, means, counts, [A0, p_start, B0], B_fixed)
        except (RuntimeError, ValueError) as exc:
            error = exc
            continue
        cost = np.sum(counts * (rb_model(ms, *values) - means) ** 2)
        if best is None or cost < best[0]:
            best = (cost, values, cov)
    if best is None:
        raise RBFitError("the RB fit did not converge: {}".format(error))
    return best[1], best[2]


def _check_decay(values, cov, ms, means, counts, y, inv, n_free):
    """Raise RBFitError when the data do not determine p."""
    A, p, _ = values
    errs = np.sqrt(np.diag(cov))
    if not np.all(np.isfinite(errs)):
        raise RBFitError("the RB fit is degenerate (infinite covariance): A={:.3g}, "
                         "p={:.3g}; the data do not determine p".format(A, p))
    b_fixed = n_free == 2
    if p >= _P_CEILING and not b_fixed:
        raise RBFitError("no decay resolved (p ran to 1, A={:.3g}): use longer sequences "
                         "or fix B".format(A))
    if p <= _P_FLOOR:
        raise RBFitError("p ran to 0: no decay over the lengths (the survival sits at "
                         "its floor from length {:g} on, or rises)".format(ms[0]))
    if A <= 2 * errs[0] or errs[1] > 0.25:
        raise RBFitError("the decay is not resolved: A = {:.3g} +- {:.2g}, p = {:.3g} +- "
                         "{:.2g}; use longer sequences, or fix B (e.g. 1/d)".format(
                             A, errs[0], p, errs[1]))
    if b_fixed:
        # With the asymptote fixed, "no decay" is an answer (p at 1 within its error),
        # not a failure: A and p are determined by the start of the curve.
        return
    # Decays fitted to flat or random data: ask whether the means differ from one
    # constant by more than the noise allows. The noise is the scatter between sequences
    # of one length where there are several, else the residual of the decay fit.
    if np.all(counts > 1):
        var = np.maximum(np.bincount(inv, weights=(y - means[inv]) ** 2) / (counts - 1),
                         1e-12)
        grand = np.sum(counts * means / var) / np.sum(counts / var)
        stat = np.sum(counts * (means - grand) ** 2 / var)
        pvalue = chi2.sf(stat, len(ms) - 1)
    else:
        rss_fit = np.sum(counts * (rb_model(ms, *values) - means) ** 2)
        rss_flat = np.sum(counts * (means - np.sum(counts * means) / counts.sum()) ** 2)
        dof = len(ms) - n_free
        stat = (rss_flat - rss_fit) / (n_free - 1) / max(rss_fit / dof, 1e-300)
        pvalue = f_dist.sf(stat, n_free - 1, dof)
    if pvalue > _FLAT_PVALUE:
        raise RBFitError("no significant decay: the mean survival per length is "
                         "consistent with a constant (p-value {:.2g} over {} lengths)"
                         .format(pvalue, len(ms)))


def fit_rb(lengths, survival, n_qubits, n_bootstrap=200, seed=0, B=None):
    """Fit ``A p**m + B`` to RB survival data.

    ``lengths``: the number of random Cliffords; ``survival``: either a ``(len(lengths),
    samples)`` array, or one value per sequence with ``lengths`` repeated to match (the
    ``flat()`` order of ``RBSequences`` works). ``B`` fixes the asymptote (e.g. ``1/d``)
    when the lengths do not reach it. Bounds: ``0 <= A, p, B <= 1``.
    """
    m, y = _per_sequence(lengths, survival)
    ms, means, counts, inv = _group(m, y)
    n_free = 2 if B is not None else 3
    if len(ms) < n_free + 1:
        raise RBFitError("an RB fit with {} free parameters needs at least {} distinct "
                         "lengths, got {}".format(n_free, n_free + 1, len(ms)))
    values, cov = _best_fit(ms, means, counts, B, n_qubits)
    _check_decay(values, cov, ms, means, counts, y, inv, n_free)
    errs = np.sqrt(np.diag(cov))
    errs = np.append(errs, 0.0) if B is not None else errs
    p_boot = None
    ci = (values[1] - 1.96 * errs[1], values[1] + 1.96 * errs[1])  # normal approx.
    if n_bootstrap:
        boot = _bootstrap(m, y, inv, counts, values, B, n_bootstrap, seed)
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
        B_fixed=B is not None, lengths=m, survival=y, p_bootstrap=p_boot)


def _bootstrap(m, y, inv, counts, values, B, n_bootstrap, seed):
    """Refit ``n_bootstrap`` resamplings (sequences drawn with replacement within each
    length); returns the (A, p, B) of each. Too many failed refits is an RBFitError:
    a fit that falls over when a few sequences change is not to be trusted."""
    rng = np.random.default_rng(seed)
    ms = np.unique(m)
    means = np.empty((n_bootstrap, len(ms)))
    for k in range(len(ms)):
        members = np.flatnonzero(inv == k)
        draw = members[rng.integers(0, len(members), (n_bootstrap, len(members)))]
        means[:, k] = y[draw].mean(axis=1)
    out, failed = [], 0
    for row in means:
        try:
            fit, _ = _curve_fit(ms, row, counts, list(values), B)
        except (RuntimeError, ValueError):
            failed += 1
            continue
        out.append(fit)
    if failed > _MAX_BOOT_FAILURES * n_bootstrap:
        raise RBFitError("{} of {} bootstrap refits failed: the fit is unstable".format(
            failed, n_bootstrap))
    return np.array(out)


# --- interleaved RB ----------------------------------------------------------------------

def interleaved_error(reference, interleaved):
    """Gate error from a reference and an interleaved ``RBResult``:
    ``r_c = (d-1)/d (1 - p_int/p_ref)``, its error propagated from both p errors, and
    Magesan et al.'s bound ``E`` (the true error lies in ``r_c -+ E``)."""
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
    return InterleavedResult(n, p, reference.p_err, p_int, interleaved.p_err, r_c, r_c_err,
                             bound, max(r_c - bound, 0.0), r_c + bound)


# --- plot --------------------------------------------------------------------------------

def plot_rb(result, data, path, title=None):
    """PNG of the decay: every sequence (faint), the mean per length with its standard
    error, and the fit. ``result`` is an ``RBResult`` or a list of them (e.g. reference
    and interleaved); ``data`` the matching ``(lengths, survival)`` or None for the data
    stored in the result."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    results = [result] if isinstance(result, RBResult) else list(result)
    datas = [data] if isinstance(result, RBResult) else list(data or [None] * len(results))
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for res, dat in zip(results, datas):
        m, y = (res.lengths, res.survival) if dat is None else _per_sequence(*dat)
        ms, means, counts, inv = _group(m, y)
        sem = np.sqrt(np.bincount(inv, weights=(y - means[inv]) ** 2)
                      / np.maximum(counts - 1, 1) / counts)
        line = ax.errorbar(ms, means, yerr=sem, fmt="o", ms=5, capsize=3,
                           label="p = {:.5f} ± {:.1g}, EPC = {:.2e}".format(
                               res.p, res.p_err, res.epc))
        color = line[0].get_color()
        ax.plot(m, y, ".", color=color, alpha=0.15, ms=3)
        dense = np.linspace(0, ms.max(), 400)
        ax.plot(dense, res(dense), "-", color=color)
    ax.set_xlabel("sequence length m (Cliffords)")
    ax.set_ylabel("survival probability")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title or "{}-qubit randomized benchmarking".format(results[0].n_qubits))
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
