"""The HIL checks. Each measures something on a :class:`~hil.target.HilTarget` and
compares it with a limit: it returns a :class:`Measurement` when the limit holds and raises
:class:`CheckFailed` (saying what was measured and what was expected) when it does not.
They are plain functions, so tests can run them against a simulated crate broken on
purpose and see the right one fail.
"""
from dataclasses import dataclass

import numpy as np

from control.lang import (HasEnvironment, RTIOUnderflow, TInt32, TInt64, at_mu, delay_mu,
                          kernel, now_mu)
from kernels.detection import ReadoutHistogram, readout_fidelity
from kernels.rb import RandomizedBenchmarking

from hil.target import MissingDevice

__all__ = ["Measurement", "CheckFailed", "check_core", "check_ttl_timing",
           "check_dds_readback", "check_dark_counts", "check_detection_fidelity",
           "check_rb", "check_controllers", "check_underflow", "CHECKS"]


@dataclass
class Measurement:
    check: str
    value: float
    limit: str
    unit: str = ""
    detail: str = ""

    def row(self):
        return "{:<22s} {:>14s} {:<6s} limit {}".format(
            self.check, "{:.6g}".format(self.value), self.unit, self.limit)


class CheckFailed(AssertionError):
    def __init__(self, check, measured, expected, detail=""):
        self.check, self.measured, self.expected = check, measured, expected
        super().__init__("{}: measured {}, expected {}{}".format(
            check, measured, expected, "; " + detail if detail else ""))


def _require(ok, check, measured, expected, detail=""):
    if not ok:
        raise CheckFailed(check, measured, expected, detail)


class _Kernels(HasEnvironment):
    """Small kernels the checks run (a child of the target's experiment)."""

    def build(self, target):
        self.core = target.core
        self.detection = target.trap.detection
        self.kernel_invariants = {"core", "detection"}

    @kernel
    def reset_margin(self) -> TInt64:
        self.core.reset()
        return now_mu() - self.core.get_rtio_counter_mu()

    @kernel
    def break_realtime_margin(self) -> TInt64:
        at_mu(0)
        self.core.break_realtime()
        return now_mu() - self.core.get_rtio_counter_mu()

    @kernel
    def pulse_train(self, n: TInt32, period: TInt64, width: TInt64) -> TInt64:
        self.core.break_realtime()
        t0 = now_mu()
        for i in range(n):
            at_mu(t0 + i * period)
            self.ttl.pulse_mu(width)
        return t0

    @kernel
    def dds_readback(self):
        self.core.break_realtime()
        self.dds.set(self.frequency, phase=self.phase)
        self.core.break_realtime()
        # AD9910.get() returns (frequency, phase, amplitude), AD9912.get() (frequency,
        # phase): keep what both have, so one attribute type serves either chip.
        readback = self.dds.get()
        self.readback_frequency = readback[0]
        self.readback_phase = readback[1]

    @kernel
    def dark_counts(self, shots: TInt32, window: TInt64):
        self.core.break_realtime()
        self.detection.light.off()
        for shot in range(shots):
            t0 = now_mu()
            for i in range(self.detection.num_channels):
                at_mu(t0)
                self.gate_end[i] = self.detection.counters[i].gate_mu(window)
            for i in range(self.detection.num_channels):
                self.counts[shot * self.detection.num_channels + i] = \
                    self.detection.counters[i].fetch(self.gate_end[i])
            delay_mu(window)

    @kernel
    def too_fast(self, n: TInt32):
        self.core.break_realtime()
        for _ in range(n):
            self.ttl.pulse_mu(8)
            delay_mu(8)


def check_core(target):
    """The core device answers, and ``reset``/``break_realtime`` leave the margin ARTIQ
    promises (125 000 mu, less whatever the counter ran on meanwhile)."""
    k = _Kernels(target.env, target)
    margins = [int(k.reset_margin()), int(k.break_realtime_margin())]
    lo = 100_000
    _require(all(lo <= m <= 125_000 for m in margins), "core", margins,
             "margins in [{}, 125000] mu".format(lo))
    return Measurement("core reset margin", min(margins), "[100000, 125000]", "mu")


def check_ttl_timing(target, ttl="cool_397", loopback=None, n=20, period=2000, width=500):
    """A pulse train on a TTL lands at the programmed times: on the simulator from the
    recorded events; on a crate through a loopback input (``loopback`` device)."""
    name = target.require(ttl)
    k = _Kernels(target.env, target)
    k.ttl = target.dmgr.get(name)
    if target.hardware:
        if loopback is None:
            raise MissingDevice("the TTL timing check on a crate needs a loopback input "
                                "wired to {!r} (pass loopback=...)".format(ttl))
        raise MissingDevice("loopback input {!r} is not configured".format(loopback))
    t0 = int(k.pulse_train(n, period, width))
    events = [(t, v) for t, sig, v in target.sim.events(name, "state") if t >= t0]
    rises = [t - t0 for t, v in events if v]
    falls = [t - t0 for t, v in events if not v]
    expected_rises = [i * period for i in range(n)]
    expected_falls = [i * period + width for i in range(n)]
    worst = max([abs(a - b) for a, b in zip(rises, expected_rises)] +
                [abs(a - b) for a, b in zip(falls, expected_falls)] + [0])
    _require(rises[:n] == expected_rises and falls[:n] == expected_falls, "TTL timing",
             "edges off by up to {} mu ({} rising edges)".format(worst, len(rises)),
             "{} pulses of {} mu every {} mu, exactly".format(n, width, period))
    return Measurement("TTL timing error", worst, "0", "mu")


def check_dds_readback(target, dds, frequency=80e6, phase=0.25, tolerance_hz=1.0):
    """Set a DDS channel and read its registers back: frequency and phase must match
    what was written (to the tuning-word resolution)."""
    name = target.require(dds)
    k = _Kernels(target.env, target)
    k.dds = target.dmgr.get(name)
    k.frequency, k.phase = frequency, phase
    k.readback_frequency, k.readback_phase = 0.0, 0.0
    k.dds_readback()
    got_f, got_phase = k.readback_frequency, k.readback_phase
    err = abs(got_f - frequency)
    _require(err <= tolerance_hz and abs(got_phase - phase) < 1e-3, "DDS readback",
             "{} Hz, {} turns".format(got_f, got_phase),
             "{} Hz (±{} Hz), {} turns".format(frequency, tolerance_hz, phase),
             "device {}".format(name))
    return Measurement("DDS readback error", err, "<= {} Hz".format(tolerance_hz), "Hz",
                       name)


def check_dark_counts(target, shots=100, window=1e-3, limit=10.0):
    """With every beam off, the photon counters see only background: the mean count per
    window stays under ``limit``."""
    det = target.trap.detection
    k = _Kernels(target.env, target)
    n = det.num_channels
    k.gate_end = [np.int64(0)] * n
    k.counts = np.zeros(shots * n, dtype=np.int32)
    k.kernel_invariants = k.kernel_invariants | set()
    k.dark_counts(shots, int(round(window / target.core.ref_period)))
    mean = float(k.counts.mean())
    _require(mean < limit, "dark counts", "{:.3g} counts per {:.3g} s".format(mean, window),
             "< {}".format(limit))
    return Measurement("dark counts", mean, "< {}".format(limit), "counts")


def check_detection_fidelity(target, shots=400, limit=0.98):
    """Prepare |0> and |1> on every qubit and read out: the readout fidelity (with
    preparation and the X pulse) stays above ``limit`` for every qubit."""
    hist = ReadoutHistogram(target.env, ops=target.ops, shots=shots)
    hist.run()
    counts, bits = hist.results()
    fid = readout_fidelity(bits)["fidelity"]
    worst = float(fid.min())
    _require(worst >= limit, "detection fidelity",
             "{} (per qubit)".format(np.round(fid, 4).tolist()), ">= {}".format(limit),
             "mean counts |0>: {}, |1>: {}".format(np.round(counts[0].mean(axis=0), 2).tolist(),
                                                   np.round(counts[1].mean(axis=0), 2).tolist()))
    return Measurement("detection fidelity", worst, ">= {}".format(limit))


def check_rb(target, limit=0.99, lengths=(1, 10, 30, 60), samples=5, shots=30, seed=1):
    """A short single-qubit RB: the decay per Clifford p stays above ``limit``."""
    rb = RandomizedBenchmarking(target.env, ops=target.ops, n_qubits=1, lengths=lengths,
                                samples=samples, shots=shots, seed=seed)
    rb.prepare_program()
    rb.run()
    survival = rb.survival()
    try:
        fit = rb.fit(n_bootstrap=50, B=0.5)
    except Exception as exc:
        raise CheckFailed("RB", "no fit ({})".format(exc), "p >= {}".format(limit),
                          "mean survival {:.3f}".format(survival.mean())) from None
    _require(fit.p >= limit, "RB", "p = {:.4f} ± {:.4f}".format(fit.p, fit.p_err),
             "p >= {}".format(limit))
    return Measurement("RB p (1 qubit)", fit.p, ">= {}".format(limit))


def check_controllers(target, modules=("trap_rf", "oven")):
    """The lab instruments' controllers answer and report their safety limits."""
    reported = {}
    for name in modules:
        declared = target.trap.declared_modules()
        if name not in declared:
            continue
        device = declared[name].kwargs.get("device")
        target.require(device)
        mod = getattr(target.trap, name)
        limits = mod.limits()
        status = mod.status()
        _require(bool(limits) and bool(status), "controllers",
                 "{}: limits {}, status {}".format(name, limits, status),
                 "a status and non-empty safety limits")
        reported[name] = limits
    _require(bool(reported), "controllers", "no instrument modules", "at least one")
    return Measurement("controllers answering", len(reported), ">= 1", "",
                       "; ".join("{}: {}".format(k, v) for k, v in reported.items()))


def check_underflow(target, ttl="cool_397", n=2000):
    """A kernel that schedules events faster than the CPU can submit them raises
    ``RTIOUnderflow`` (the check passes when it does)."""
    name = target.require(ttl)
    k = _Kernels(target.env, target)
    k.ttl = target.dmgr.get(name)
    try:
        k.too_fast(n)
    except RTIOUnderflow:
        target.core.break_realtime()
        return Measurement("underflow raised", 1, "== 1")
    raise CheckFailed("RTIO underflow", "no exception after {} 16 mu pulses".format(n),
                      "RTIOUnderflow")


CHECKS = {
    "core": lambda t: check_core(t),
    "ttl_timing": lambda t: check_ttl_timing(t, t.trap.HIL_DEVICES["ttl"]),
    "dds_readback": lambda t: check_dds_readback(t, t.trap.HIL_DEVICES["dds"]),
    "dark_counts": lambda t: check_dark_counts(t),
    "detection_fidelity": lambda t: check_detection_fidelity(t),
    "rb": lambda t: check_rb(t),
    "controllers": lambda t: check_controllers(t),
    "underflow": lambda t: check_underflow(t, t.trap.HIL_DEVICES["ttl"]),
}
