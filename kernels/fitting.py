"""Fits and plots shared by the portable protocols (host side). scipy is imported by the
fit that needs it, not with the module: experiments import this at every submission."""
from dataclasses import dataclass, field

import numpy as np

__all__ = ["FitError", "Fit", "fit_curve", "binomial_sigma", "model_sigma",
           "refit_binomial", "save_plot"]


class FitError(RuntimeError):
    """A fit that did not converge, or whose result cannot be trusted."""


@dataclass
class Fit:
    """Best-fit parameters with one-sigma errors, and the model to evaluate them."""
    names: tuple
    values: np.ndarray
    errors: np.ndarray
    model: object = field(repr=False)

    def __getitem__(self, name):
        return self.values[self.names.index(name)]

    def error(self, name):
        """The one-sigma error of parameter ``name``."""
        return self.errors[self.names.index(name)]

    def __call__(self, x):
        return self.model(np.asarray(x, dtype=float), *self.values)

    def as_dict(self):
        """``{name: value, name_err: error}`` as floats: what the experiments store as
        datasets."""
        out = {}
        for n, v, e in zip(self.names, self.values, self.errors):
            out[n] = float(v)
            out[n + "_err"] = float(e)
        return out


def fit_curve(model, x, y, p0, names, bounds=(-np.inf, np.inf), sigma=None):
    """``scipy.optimize.curve_fit`` that fails loudly: non-convergence, infinite or NaN
    covariance are a ``FitError`` naming the model, never a silent number."""
    from scipy.optimize import curve_fit

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(x) < len(p0) + 1:
        raise FitError("{} needs more than {} points, got {}".format(
            model.__name__, len(p0), len(x)))
    if not np.all(np.isfinite(y)):
        raise FitError("{}: the data hold NaN or infinite values".format(model.__name__))
    try:
        values, cov = curve_fit(model, x, y, p0=p0, bounds=bounds, sigma=sigma,
                                absolute_sigma=sigma is not None, maxfev=20000)
    except (RuntimeError, ValueError) as exc:
        raise FitError("{} did not converge: {}".format(model.__name__, exc)) from None
    errors = np.sqrt(np.diag(cov))
    if not np.all(np.isfinite(errors)):
        raise FitError("{}: the parameters are not determined by the data (infinite "
                       "covariance)".format(model.__name__))
    return Fit(tuple(names), values, errors, model)


def model_sigma(predicted, shots):
    """Standard error of a probability measured with ``shots`` shots, from the model's
    prediction rather than the measured value: a point measured at exactly 0 or 1 would
    otherwise get an error bar near zero and pull the fit, whose errors then come out too
    small. The prediction is kept half a shot away from 0 and 1."""
    edge = 0.5 / (shots + 1)
    q = np.clip(np.asarray(predicted, dtype=float), edge, 1 - edge)
    return np.sqrt(q * (1 - q) / shots)


def refit_binomial(model, x, y, fit, shots, names, bounds=(-np.inf, np.inf), rounds=2):
    """Refit ``fit`` of measured probabilities ``y`` with each point weighted by the
    variance the fitted model predicts there (iterated ``rounds`` times), so that the
    parameters' errors are those of binomial data."""
    for _ in range(rounds):
        fit = fit_curve(model, x, y, [fit[n] for n in names], names, bounds=bounds,
                        sigma=model_sigma(fit(x), shots))
    return fit


def binomial_sigma(p, shots):
    """Standard error of a measured probability, kept away from 0 at the edges."""
    p = np.asarray(p, dtype=float)
    return np.sqrt(np.clip(p * (1 - p), 0.25 / shots, None) / shots)


def save_plot(path, x, ys, fits=None, xlabel="", ylabel="P(1)", title="", labels=None,
              yerr=None):
    """Points (one series per column of ``ys``) with their fits, to a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    x = np.asarray(x, dtype=float)
    ys = np.atleast_2d(np.asarray(ys, dtype=float))
    if ys.shape[0] == len(x) and ys.shape[1] != len(x):
        ys = ys.T
    fig, ax = plt.subplots(figsize=(6, 4))
    dense = np.linspace(x.min(), x.max(), 400) if len(x) > 1 else x
    for i, y in enumerate(ys):
        label = labels[i] if labels else None
        err = None if yerr is None else np.atleast_2d(yerr)[i]
        line = ax.errorbar(x, y, yerr=err, fmt="o", ms=4, label=label)
        if fits and i < len(fits) and fits[i] is not None:
            ax.plot(dense, fits[i](dense), "-", color=line[0].get_color())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if labels:
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
