"""Readout: photon-count histograms of |0> and |1>, and the readout fidelity.

Every qubit is prepared in |0> for ``shots`` shots, then in |1> (an X after preparation),
and measured; the trap's own threshold gives the bits. Readout fidelity per qubit is
F = 1 − (P(1|0) + P(0|1)) / 2, which includes preparation and the X pulse, as a lab's
readout figure does.
"""
import math

import numpy as np

from control.lang import HasEnvironment, kernel

from kernels.fitting import binomial_sigma

__all__ = ["ReadoutHistogram", "readout_fidelity", "plot_histograms"]


class ReadoutHistogram(HasEnvironment):
    """``build(ops, shots)``: readout histograms of every qubit, ``shots`` per prepared
    state. ``run()`` fills ``counts`` and ``bits``; ``results()`` shapes them."""

    def build(self, ops, shots=500):
        """Require ``get_counts`` of the trap (the photon counts are the histogram) and
        size ``counts`` and ``bits``: 2 × ``shots`` × qubits each."""
        if shots < 1:
            raise ValueError("shots must be at least 1, not {}".format(shots))
        ops.require("get_counts", user="the readout histogram")
        self.ops = ops
        self.core = ops.core
        self.num_qubits = ops.num_qubits
        self.shots = shots
        self.kernel_invariants = {"ops", "core", "num_qubits", "shots"}
        size = 2 * shots * self.num_qubits
        self.counts = np.zeros(size, dtype=np.int32)
        self.bits = np.zeros(size, dtype=np.int32)

    @kernel
    def run(self):
        """Plays ``shots`` shots that prepare |0> and measure every qubit, then ``shots``
        that add an X on every qubit before measuring, keeping each qubit's count and bit.
        After ``core.break_realtime()`` and ``ops.initialize()``, advances the timeline by
        2 × ``shots`` × (preparation + detection), plus the X pulses."""
        self.core.break_realtime()
        self.ops.initialize()
        for state in range(2):
            for shot in range(self.shots):
                self.ops.prep_0_all()
                if state == 1:
                    for q in range(self.num_qubits):
                        self.ops.x(q)
                self.ops.m_z_all()
                base = (state * self.shots + shot) * self.num_qubits
                for q in range(self.num_qubits):
                    self.counts[base + q] = self.ops.get_counts(q)
                    self.bits[base + q] = self.ops.get_measurement(q)

    def results(self):
        """``counts`` and ``bits`` shaped (prepared state, shot, qubit)."""
        shape = (2, self.shots, self.num_qubits)
        return self.counts.reshape(shape), self.bits.reshape(shape)


def readout_fidelity(bits):
    """Per qubit: ``p1_given_0``, ``p0_given_1``, ``fidelity`` and their errors, from
    bits shaped (prepared state, shot, qubit)."""
    bits = np.asarray(bits)
    shots = bits.shape[1]
    e0 = bits[0].mean(axis=0)
    e1 = 1 - bits[1].mean(axis=0)
    s0 = binomial_sigma(e0, shots)
    s1 = binomial_sigma(e1, shots)
    return {"p1_given_0": e0, "p0_given_1": e1, "fidelity": 1 - (e0 + e1) / 2,
            "fidelity_err": 0.5 * np.sqrt(s0 ** 2 + s1 ** 2)}


def plot_histograms(path, counts, threshold=None):
    """One panel per qubit: count histograms after preparing |0> and |1>."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    counts = np.asarray(counts)
    nq = counts.shape[2]
    fig, axes = plt.subplots(1, nq, figsize=(4 * nq, 3.2), squeeze=False)
    top = int(counts.max()) + 2
    bins = np.arange(-0.5, top + 0.5, max(1, math.ceil(top / 60)))
    for q in range(nq):
        ax = axes[0, q]
        ax.hist(counts[0, :, q], bins=bins, alpha=0.6, label="prepared |0>")
        ax.hist(counts[1, :, q], bins=bins, alpha=0.6, label="prepared |1>")
        if threshold is not None:
            ax.axvline(threshold + 0.5, color="k", ls="--", label="threshold")
        ax.set_xlabel("photon counts")
        ax.set_title("qubit {}".format(q))
        ax.legend(fontsize=8)
    axes[0, 0].set_ylabel("shots")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
