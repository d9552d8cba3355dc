"""Rabi flopping: P(1) against pulse length on one qubit, fitted for the Rabi frequency.

The HAL speaks in rotation angles, so the scan asks for angles θ = π t / t_π, where t_π is
the π time the trap publishes (``native_gates()``); the pulse then lasts t. The fit of
P(t) = B + A (1 − cos 2π f t) / 2 gives the Rabi frequency f the ions actually see, which
differs from 1 / (2 t_π) when the π time is miscalibrated.
"""
import math

import numpy as np

from control.lang import TInt32, kernel

from kernels.fitting import binomial_sigma, fit_curve, refit_binomial, save_plot
from kernels.shots import ShotScan, check_scan_points

__all__ = ["RabiFlop", "fit_rabi", "MIN_POINTS"]

#: The parameters ``fit_rabi`` fits, and the distinct points it needs: one more than
#: them (``fit_curve`` refuses fewer; the covariance needs a degree of freedom).
RABI_PARAMETERS = ("f", "a", "b")
MIN_POINTS = len(RABI_PARAMETERS) + 1


class RabiFlop(ShotScan):
    """``build(ops, qubit, shots, dataset)``: Rabi flopping on ``qubit``. ``set_durations``
    gives the scan, ``run()`` plays it, ``fit_rabi`` fits ``probabilities()``."""

    def build(self, ops, qubit=0, shots=100, dataset="rabi.p1"):
        """``ShotScan.build`` with ``qubit`` as the live qubit, checked against the trap;
        the qubit and the scan's angles are kernel invariants."""
        super().build(ops, shots, dataset, live_qubit=qubit)
        if not 0 <= qubit < ops.num_qubits:
            raise ValueError("qubit {} does not exist: the trap has {}".format(
                qubit, ops.num_qubits))
        self.qubit = qubit
        self.kernel_invariants = self.kernel_invariants | {"qubit", "angles"}

    def set_durations(self, durations):
        """Pulse lengths to scan, in seconds (host; after the trap is initialized)."""
        # Checked before any work: finite, not negative, as many distinct points as
        # the fit needs, within memory.
        durations = check_scan_points(
            "durations", durations, MIN_POINTS,
            "the Rabi fit of {}".format(", ".join(RABI_PARAMETERS)),
            num_qubits=self.num_qubits)
        t_pi = self.ops.native_gates().duration("rphi", math.pi)
        self.durations = durations
        self.angles = math.pi * durations / t_pi
        self.set_points(len(durations))

    @kernel
    def sequence(self, point: TInt32):
        """Plays the point's pulse: ``rphi`` by ``angles[point]`` at phase 0 on ``qubit``;
        advances the timeline as the trap's ``rphi`` does (a pulse ``durations[point]``
        long, and whatever its drive needs to set up)."""
        self.ops.rphi(self.angles[point], 0.0, self.qubit)


def _rabi(t, f, a, b):
    return b + a * (1 - np.cos(2 * np.pi * f * t)) / 2


def fit_rabi(durations, p1, shots, f_guess):
    """Fit P(1) against duration; returns a ``Fit`` with ``f`` (Hz), ``a``, ``b``."""
    sigma = binomial_sigma(p1, shots)
    best = None
    for guess in (f_guess, 0.8 * f_guess, 1.25 * f_guess):
        try:
            fit = fit_curve(_rabi, durations, p1, [guess, 1.0, 0.0], RABI_PARAMETERS,
                            bounds=([0, 0, -0.2], [np.inf, 1.2, 1.0]), sigma=sigma)
        except Exception:
            continue
        chi2 = float(np.sum(((fit(durations) - p1) / sigma) ** 2))
        if best is None or chi2 < best[0]:
            best = (chi2, fit)
    if best is None:
        from kernels.fitting import FitError
        raise FitError("the Rabi fit did not converge for any starting frequency")
    return refit_binomial(_rabi, durations, p1, best[1], shots, RABI_PARAMETERS,
                          bounds=([0, 0, -0.2], [np.inf, 1.2, 1.0]))


def plot_rabi(path, durations, p1, fit, qubit, shots):
    """P(1) against pulse length (``durations`` in s, drawn in µs) with binomial error
    bars and the fit, its frequency in the title, to a PNG at ``path``; returns ``path``."""
    return save_plot(path, np.asarray(durations) * 1e6, [p1], [lambda x: fit(x * 1e-6)],
                     xlabel="pulse length (µs)", ylabel="P(1)",
                     title="Rabi flopping, qubit {}: f = {:.2f} ± {:.2f} kHz".format(
                         qubit, fit["f"] / 1e3, fit.error("f") / 1e3),
                     yerr=[binomial_sigma(p1, shots)])
