"""Ramsey: two π/2 pulses around a wait, on one qubit, fitted for detuning and T2*.

The second pulse's phase advances by 2π δ_a t with the wait t (an artificial detuning
δ_a, done by phase so the HAL needs nothing but ``rphi``), so the fringes oscillate at
δ_a + δ, where δ is the drive's detuning from the qubit (drive minus qubit frequency). The
fit of P(t) = 1/2 + (A/2) exp(−t/T2*) cos(2π f t + φ) gives f, hence δ = f − δ_a, and
T2*. Choose δ_a larger than any |δ| expected, so that f does not fold through zero.
"""
import math

import numpy as np

from control.lang import TInt32, delay_mu, kernel

from kernels.fitting import FitError, binomial_sigma, fit_curve, refit_binomial, save_plot
from kernels.shots import ShotScan, check_scan_points

__all__ = ["Ramsey", "fit_ramsey", "MIN_POINTS"]

HALF_PI = math.pi / 2
#: The parameters ``fit_ramsey`` fits, and the distinct points it needs: one more than
#: them (``fit_curve`` refuses fewer; the covariance needs a degree of freedom).
RAMSEY_PARAMETERS = ("f", "a", "t2", "phi")
MIN_POINTS = len(RAMSEY_PARAMETERS) + 1


class Ramsey(ShotScan):
    """``build(ops, qubit, artificial_detuning, shots, dataset)``: Ramsey on ``qubit`` with
    the artificial detuning in Hz. ``set_waits`` gives the scan, ``run()`` plays it,
    ``fit_ramsey`` fits ``probabilities()``."""

    def build(self, ops, qubit=0, artificial_detuning=50e3, shots=100,
              dataset="ramsey.p1"):
        """``ShotScan.build`` with ``qubit`` as the live qubit, checked against the trap;
        the qubit and the scan's waits and phases are kernel invariants."""
        super().build(ops, shots, dataset, live_qubit=qubit)
        if not 0 <= qubit < ops.num_qubits:
            raise ValueError("qubit {} does not exist: the trap has {}".format(
                qubit, ops.num_qubits))
        self.qubit = qubit
        self.artificial_detuning = artificial_detuning
        self.kernel_invariants = self.kernel_invariants | {"qubit", "waits_mu", "phases"}

    def set_waits(self, waits):
        """Waits between the pulses, in seconds (host)."""
        # Checked before any work: finite, not negative, as many distinct points as
        # the fit needs, within memory.
        waits = check_scan_points(
            "waits", waits, MIN_POINTS,
            "the Ramsey fit of {}".format(", ".join(RAMSEY_PARAMETERS)),
            num_qubits=self.num_qubits)
        self.waits = waits
        self.waits_mu = np.array([np.int64(round(w / self.core.ref_period)) for w in waits],
                                 dtype=np.int64)
        t_half = self.ops.native_gates().duration("rphi", HALF_PI)
        # The phase follows the time between the pulses' starts, which is what the
        # fringe frequency is measured against.
        self.phases = 2 * math.pi * self.artificial_detuning * (waits + t_half)
        self.set_points(len(waits))

    @kernel
    def sequence(self, point: TInt32):
        """Plays the point: a π/2 ``rphi`` at phase 0, a wait of ``waits_mu[point]``, a π/2
        ``rphi`` at ``phases[point]``; advances the timeline by the wait and the two
        pulses as the trap's ``rphi`` plays them."""
        self.ops.rphi(HALF_PI, 0.0, self.qubit)
        delay_mu(self.waits_mu[point])
        self.ops.rphi(HALF_PI, self.phases[point], self.qubit)


def _ramsey(t, f, a, t2, phi):
    return 0.5 + 0.5 * a * np.exp(-t / t2) * np.cos(2 * np.pi * f * t + phi)


def fit_ramsey(waits, p1, shots, f_guess):
    """Fit P(1) against wait; returns a ``Fit`` with ``f`` (Hz), ``a``, ``t2`` (s),
    ``phi``. ``f_guess`` is where to start (the artificial detuning)."""
    waits = np.asarray(waits, dtype=float)
    sigma = binomial_sigma(p1, shots)
    span = waits.max() - waits.min() if len(waits) > 1 else 1.0
    # Sampled every dt, fringes at f and 1/dt - f look the same: keep the fit below the
    # Nyquist frequency, where the artificial detuning puts the fringe.
    steps = np.diff(np.unique(waits))
    f_max = 0.5 / steps.min() if len(steps) else np.inf
    best = None
    for guess in (min(g, 0.99 * f_max) for g in (f_guess, 0.7 * f_guess, 1.4 * f_guess)):
        for phi0 in (0.0, math.pi):
            try:
                fit = fit_curve(_ramsey, waits, p1, [guess, 1.0, 10 * span, phi0],
                                RAMSEY_PARAMETERS,
                                bounds=([0, 0, span / 100, -2 * math.pi],
                                        [f_max, 1.1, 1e3, 2 * math.pi]), sigma=sigma)
            except FitError:
                continue
            chi2 = float(np.sum(((fit(waits) - p1) / sigma) ** 2))
            if best is None or chi2 < best[0]:
                best = (chi2, fit)
    if best is None:
        raise FitError("the Ramsey fit did not converge for any starting point")
    return refit_binomial(_ramsey, waits, p1, best[1], shots, RAMSEY_PARAMETERS,
                          bounds=([0, 0, span / 100, -2 * math.pi],
                                  [f_max, 1.1, 1e3, 2 * math.pi]))


def plot_ramsey(path, waits, p1, fit, qubit, shots, detuning):
    """P(1) against wait (``waits`` in s, drawn in µs) with binomial error bars and the
    fit, the ``detuning`` (Hz) and T2* in the title, to a PNG at ``path``; returns
    ``path``."""
    return save_plot(path, np.asarray(waits) * 1e6, [p1], [lambda x: fit(x * 1e-6)],
                     xlabel="wait (µs)", ylabel="P(1)",
                     title="Ramsey, qubit {}: detuning {:.2f} kHz, T2* {}".format(
                         qubit, detuning / 1e3,
                         "{:.0f} µs".format(fit["t2"] * 1e6) if fit["t2"] < 1 else "> 1 s"),
                     yerr=[binomial_sigma(p1, shots)])
