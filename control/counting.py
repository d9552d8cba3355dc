"""Photon counting: the count threshold that tells a bright ion from a dark one.

A detection window collects Poisson-distributed counts, of mean ``bright_mean`` from a
bright ion and ``dark_mean`` from a dark one (background). A count above the threshold
reads bright: a dark ion is misread with probability P(n > threshold | dark_mean), a bright
one with P(n <= threshold | bright_mean). :func:`best_threshold` picks the integer that
minimises the mean of the two; with one mean per qubit (a trap has one threshold for all
its detectors) the mean over the qubits too. Means up to a few thousand counts are fine
(``scipy.stats.poisson``, vectorised over thresholds; imported by the functions, so that
the experiments that import this module do not load scipy until they count).
"""
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["best_threshold", "misassignment"]

Means = float | Sequence[float] | NDArray[np.float64]


def _means(bright_mean: Means, dark_mean: Means) -> tuple[NDArray[np.float64],
                                                          NDArray[np.float64]]:
    bright = np.atleast_1d(np.asarray(bright_mean, dtype=float))
    dark = np.atleast_1d(np.asarray(dark_mean, dtype=float))
    if bright.ndim != 1 or bright.shape != dark.shape:
        raise ValueError("bright and dark means: two numbers, or two lists of one per "
                         "qubit of the same length, not shapes {} and {}".format(
                             bright.shape, dark.shape))
    if not (np.all(np.isfinite(bright)) and np.all(np.isfinite(dark))
            and np.all(bright >= 0) and np.all(dark >= 0)):
        raise ValueError("mean counts are finite and not negative: bright {}, dark "
                         "{}".format(bright.tolist(), dark.tolist()))
    return bright, dark


def misassignment(threshold: int, bright_mean: Means, dark_mean: Means
                  ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(P(bright | dark), P(dark | bright))`` at ``threshold`` (a count above it reads
    bright), each an array with one entry per mean given (one for scalars)."""
    from scipy.stats import poisson

    bright, dark = _means(bright_mean, dark_mean)
    return (np.asarray(poisson.sf(threshold, dark), dtype=float),
            np.asarray(poisson.cdf(threshold, bright), dtype=float))


def best_threshold(bright_mean: Means, dark_mean: Means) -> tuple[int, float]:
    """``(threshold, error)``: the integer count threshold (a count above it reads bright)
    minimising the mean of the two Poisson misassignment probabilities for mean counts
    ``bright_mean`` and ``dark_mean`` per detection window, and that mean error.

    Either argument may be a list, one mean per qubit: then the one threshold minimises
    the mean error over the qubits as well, and the error returned is that mean.
    Thresholds from 0 to the largest bright mean are tried (the best one lies between the
    two means); ties go to the lowest. ``drivers.systems.simkit.best_threshold(bright_rate,
    dark_rate, window)`` is this with ``bright_mean = (bright_rate + dark_rate) * window``
    and ``dark_mean = dark_rate * window``.
    """
    from scipy.stats import poisson

    bright, dark = _means(bright_mean, dark_mean)
    thresholds = np.arange(0, int(np.floor(bright.max())) + 1)[:, None]
    errors = 0.5 * (poisson.sf(thresholds, dark[None, :])
                    + poisson.cdf(thresholds, bright[None, :]))
    mean = np.mean(errors, axis=1)
    best = int(np.argmin(mean))
    return int(thresholds[best, 0]), float(mean[best])
