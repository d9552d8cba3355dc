"""The calibration graph's nodes: what each calibration plays, and its cheap check.

Portable: each node measures through a :class:`~kernels.calibration.measure.Measurement`
(the trap built afresh, values under test as overrides) with the programs of
:mod:`kernels.calibration.programs`, and turns the data into a value with
:mod:`kernels.calibration.analysis` (which refuses a fit that fails its checks). Which
datasets a node owns comes from the trap's ``calibration_roles``.

Checks are a few points chosen to be sensitive to the error they look for (a Ramsey pair
at ±π/2, an odd number of π/2 pulses, the MS gate's odd-parity population), with the
tolerance the node is held to; a check whose data make no sense (no contrast, no photons)
says "bad data", and the graph then looks upstream.
"""
import math

import numpy as np

from control.calgraph import (
    BAD_DATA, IN_SPEC, OUT_OF_SPEC, Calibrated, CalibrationRefused, CheckResult, Node)
from control.constants import PI
from kernels.calibration import analysis
from kernels.calibration.programs import MsGates, RamseyPhases, RotationPulses
from kernels.calibration.sweep import Sweep
from kernels.detection import ReadoutHistogram
from kernels.ramsey import Ramsey

__all__ = ["TrapNode", "DetectionThreshold", "QubitFrequencies", "PiTime", "MsDetuning",
           "MsGateTime"]

HALF_PI = PI / 2


class TrapNode(Node):
    """A node that measures a trap through ``measurement``. Class attributes set the
    shots and tolerances; keyword arguments of the constructor override them."""
    role = ""
    name = ""
    depends: tuple[str, ...] = ()
    timeout = math.inf

    def __init__(self, measurement, *, timeout=None, **settings):
        self.m = measurement
        for key, value in settings.items():
            if not hasattr(type(self), key):
                raise TypeError("{} has no setting {!r}".format(type(self).__name__, key))
            setattr(self, key, value)
        super().__init__(self.name, keys=measurement.keys(self.role),
                         depends_on=tuple(d for d in self.depends if d),
                         timeout=self.timeout if timeout is None else timeout)

    def _measured(self, start, estimate):
        """``Calibrated`` from an analysis ``Estimate`` and the shots since ``start``."""
        return Calibrated(estimate.value, estimate.uncertainty, shots=self.m.shots - start,
                          quality=estimate.quality, detail=estimate.detail)

    def _refused(self, start, exc):
        """The analysis's refusal, with the shots this node spent."""
        return CalibrationRefused(exc.reason, shots=self.m.shots - start)

    def _check(self, start, state, detail):
        return CheckResult(state, shots=self.m.shots - start, detail=detail)

    def _pi_time(self, ops):
        """The π time the built trap publishes (s)."""
        return ops.native_gates().duration("rphi", PI)


# ---- detection

def misassignment(threshold, bright_mean, dark_mean):
    """Mean of P(read dark | bright) and P(read bright | dark) at ``threshold`` (a count
    above it reads bright), for Poisson counts of the given means."""
    from scipy.stats import poisson

    return 0.5 * (poisson.cdf(threshold, bright_mean) + poisson.sf(threshold, dark_mean))


class DetectionThreshold(TrapNode):
    """The count threshold, from photon-count histograms of |0> and of |0> after an X
    (a two-component fit: the X need not be calibrated). Reports the readout fidelity.
    Check: histograms of ``check_shots``; out of spec when the threshold in use misreads
    more than ``max_excess_error`` above the best one on any qubit."""
    role = "detection.threshold"
    name = "detection"
    timeout = 24 * 3600.0
    shots = 500
    check_shots = 100
    max_excess_error = 0.002

    def _histograms(self, shots):
        program = ReadoutHistogram(self.m.parent, self.m.ops(), shots=shots)
        self.m.play(program)
        counts, _ = program.results()
        return analysis.detection_threshold(counts[0], counts[1])

    def calibrate(self, values):
        """Histograms of ``shots`` per state; the threshold with the fewest errors."""
        start = self.m.shots
        try:
            estimate = self._histograms(self.shots)
        except CalibrationRefused as exc:
            raise self._refused(start, exc) from None
        return self._measured(start, estimate)

    def check(self, values):
        """Histograms of ``check_shots``: is the threshold in use still (nearly) the best?"""
        start = self.m.shots
        current = values[self.keys[0]]
        try:
            estimate = self._histograms(self.check_shots)
        except CalibrationRefused as exc:
            return self._check(start, BAD_DATA, exc.reason)
        bright = np.atleast_1d(estimate.quality["bright_mean"])
        dark = np.atleast_1d(estimate.quality["dark_mean"])
        excess = max(misassignment(current, b, d) - misassignment(estimate.value, b, d)
                     for b, d in zip(bright, dark))
        state = OUT_OF_SPEC if excess > self.max_excess_error else IN_SPEC
        return self._check(start, state, "threshold {} misreads {:.2%} more than {}".format(
            current, excess, estimate.value))


# ---- qubit frequencies

class QubitFrequencies(TrapNode):
    """Each qubit's drive frequency: coarse spectroscopy (a π pulse scanned over ±1.5
    Rabi frequencies, ``coarse_points`` × ``coarse_shots``) when there is no value yet or
    the check finds the qubit far off, then Ramsey (``ramsey_points`` × ``ramsey_shots``,
    artificial detuning ``ramsey_detuning`` of the Rabi frequency, over ``ramsey_fringes``
    fringes). Check: a Ramsey pair at ±π/2 after a short and a long wait per qubit; out
    of spec when |δ| > ``tolerance`` × the Rabi frequency. Only the qubits out of spec are
    recalibrated after a check."""
    role = "qubit_frequency"
    name = "qubit_frequencies"
    depends = ("detection",)
    timeout = 600.0
    coarse_points = 31
    coarse_shots = 50
    ramsey_points = 15
    ramsey_shots = 50
    ramsey_detuning = 0.4
    ramsey_fringes = 4
    check_shots = 100
    tolerance = 0.01

    def __init__(self, measurement, **settings):
        super().__init__(measurement, **settings)
        self.refs = measurement.roles[self.role]
        self._verdict = None  # per qubit, from the check this pass: "ok", "off", "far"

    def calibrate(self, values):
        """Spectroscopy where needed, then Ramsey, for each qubit due."""
        start = self.m.shots
        verdict, self._verdict = self._verdict, None
        new, sigma = {}, {}
        for key in self.keys:
            new[key] = self.m.current(key)
            prov = self.m.provenance(key)
            sigma[key] = None if prov is None else prov.get("uncertainty")
        quality = {}
        for q, ref in enumerate(self.refs):
            known = values.get(ref.key) is not None
            state = "far" if not known else ("off" if verdict is None else verdict[q])
            if state == "ok" and sigma[ref.key] is not None:
                continue
            try:
                f = self.m.value(ref)
                if state == "far":
                    f = self._spectroscopy(q, ref, f).value
                estimate = self._ramsey(q, ref, f)
            except CalibrationRefused as exc:
                raise CalibrationRefused("qubit {}: {}".format(q, exc.reason),
                                         shots=self.m.shots - start) from None
            new[ref.key] = ref.put(new[ref.key], float(estimate.value))
            old_sigma = sigma[ref.key]
            if ref.index is not None and not isinstance(old_sigma, list):
                old_sigma = [0.0] * len(new[ref.key])
            sigma[ref.key] = ref.put(old_sigma, float(estimate.uncertainty))
            quality["q{}".format(q)] = estimate.quality
        if len(self.keys) == 1:
            key = self.keys[0]
            return Calibrated(new[key], sigma[key], shots=self.m.shots - start,
                              quality=quality)
        return Calibrated(new, sigma, shots=self.m.shots - start, quality=quality)

    def _spectroscopy(self, q, ref, f):
        ops = self.m.ops()
        t_pi = self._pi_time(ops)
        span = 1.5 / (2 * t_pi)
        freqs = f + np.linspace(-span, span, self.coarse_points)

        p1 = Sweep(self.m, lambda ops: RotationPulses(self.m.parent, ops,
                                                      shots=self.coarse_shots, qubit=q,
                                                      angles=[PI]),
                   ref, freqs, name=self.name, what="spectroscopy q{}".format(q),
                   result=lambda program: program.p1()[0, q]).run()
        return analysis.spectroscopy_center(freqs, p1, self.coarse_shots, t_pi)

    def _ramsey(self, q, ref, f):
        ops = self.m.ops({ref: float(f)})
        rabi = 1 / (2 * self._pi_time(ops))
        detuning = self.ramsey_detuning * rabi
        waits = np.linspace(0.0, self.ramsey_fringes / detuning, self.ramsey_points)
        program = Ramsey(self.m.parent, ops, qubit=q, artificial_detuning=detuning,
                         shots=self.ramsey_shots, dataset=None)
        program.set_waits(waits)
        self.m.play(program)
        p1 = program.probabilities()[:, q]
        return analysis.ramsey_frequency(waits, p1, self.ramsey_shots, f, detuning)

    def check(self, values):
        """Per qubit, P(1) of a Ramsey pair (second pulse at +π/2 and −π/2) after a wait
        of one and of five π times: P(−) − P(+) = C sin(2π δ T)."""
        start = self.m.shots
        ops = self.m.ops()
        t_pi = self._pi_time(ops)
        rabi = 1 / (2 * t_pi)
        t_half = ops.native_gates().duration("rphi", HALF_PI)
        waits = [t_pi, t_pi, 5 * t_pi, 5 * t_pi]
        phases = [HALF_PI, -HALF_PI, HALF_PI, -HALF_PI]
        verdict, worst = [], 0.0
        for q in range(len(self.refs)):
            program = RamseyPhases(self.m.parent, ops, shots=self.check_shots, qubit=q,
                                   waits=waits, phases=phases)
            self.m.play(program)
            p = program.p1()[:, q]
            for i in (0, 2):
                if abs(p[i] + p[i + 1] - 1) > 0.5:
                    self._verdict = None
                    return self._check(start, BAD_DATA, "qubit {}: no Ramsey contrast "
                                       "(P(+) = {:.2f}, P(−) = {:.2f})".format(
                                           q, p[i], p[i + 1]))
            short = _ramsey_detuning(p[1] - p[0], waits[0] + t_half)
            long = _ramsey_detuning(p[3] - p[2], waits[2] + t_half)
            # The long wait folds beyond 1/(4 T); the short one sees far but coarsely.
            far = abs(short) > 0.5 / (4 * (waits[2] + t_half))
            detuning = short if far else long
            worst = max(worst, abs(detuning))
            if abs(detuning) <= self.tolerance * rabi:
                verdict.append("ok")
            else:
                verdict.append("far" if abs(short) > self.ramsey_detuning * rabi / 4
                               else "off")
        self._verdict = verdict
        state = IN_SPEC if all(v == "ok" for v in verdict) else OUT_OF_SPEC
        return self._check(start, state, "largest detuning {:.0f} Hz (tolerance {:.0f} Hz)"
                           .format(worst, self.tolerance * rabi))


def _ramsey_detuning(difference, time):
    """δ from P(−) − P(+) = sin(2π δ T) at full contrast."""
    return math.asin(max(-1.0, min(1.0, difference))) / (2 * PI * time)


# ---- π time

class PiTime(TrapNode):
    """The π time: Rabi flopping on each qubit over 2.5 π times (``points`` × ``shots``),
    the mean of the qubits' 1/(2 f). Check: 21 and 23 π/2 pulses per qubit,
    P21 − P23 = 11π ε for a relative pulse-area error ε; out of spec when
    |ε| > ``tolerance``."""
    role = "pi_time"
    name = "pi_time"
    depends = ("qubit_frequencies",)
    timeout = 2 * 3600.0
    points = 21
    shots = 100
    check_shots = 100
    tolerance = 0.01

    def _qubits(self):
        refs = self.m.roles.get("qubit_frequency")
        return range(len(refs)) if refs else range(1)

    def calibrate(self, values):
        """Rabi flopping on each qubit; the π time of the mean Rabi frequency."""
        start = self.m.shots
        ops = self.m.ops()
        t_pi = self._pi_time(ops)
        angles = PI * np.linspace(0.1, 2.6, self.points)
        durations = angles * t_pi / PI
        columns = []
        for q in self._qubits():
            program = RotationPulses(self.m.parent, ops, shots=self.shots, qubit=q,
                                     angles=angles)
            self.m.play(program)
            columns.append(program.p1()[:, q])
        try:
            estimate = analysis.pi_time(durations, np.stack(columns, axis=1), self.shots,
                                        pi_time_guess=t_pi)
        except CalibrationRefused as exc:
            raise self._refused(start, exc) from None
        return self._measured(start, estimate)

    def check(self, values):
        """21 and 23 π/2 pulses on each qubit."""
        start = self.m.shots
        ops = self.m.ops()
        worst = 0.0
        for q in self._qubits():
            program = RotationPulses(self.m.parent, ops, shots=self.check_shots, qubit=q,
                                     angles=[HALF_PI, HALF_PI], repeats=[21, 23])
            self.m.play(program)
            p21, p23 = program.p1()[:, q]
            if abs(p21 + p23 - 1) > 0.5:
                return self._check(start, BAD_DATA, "qubit {}: P(1) after 21 and 23 π/2 "
                                   "pulses is {:.2f} and {:.2f}, not about 1/2".format(
                                       q, p21, p23))
            error = (p21 - p23) / (11 * PI)
            if abs(error) > abs(worst):
                worst = error
        state = OUT_OF_SPEC if abs(worst) > self.tolerance else IN_SPEC
        return self._check(start, state, "pulse area off by {:+.2%} (tolerance {:.1%})"
                           .format(worst, self.tolerance))


# ---- the MS gate

class _MsNode(TrapNode):
    def _gate_time(self):
        if self.m.has("ms.gate_time"):
            return float(self.m.value(self.m.roles["ms.gate_time"]))
        return self.m.ops().native_gates().duration("rxx", HALF_PI)


class MsDetuning(_MsNode):
    """The MS detuning: the odd-parity population P(01) + P(10) after one gate, whose
    spin–motion loop closes at the right detuning. A coarse scan over one loop spacing
    (±1/(2T) around the value in use, ``coarse_points`` × ``coarse_shots``), fitted as a
    whole, finds the dip,
    a fine scan (±0.25/T around it, ``points`` × ``shots``) is fitted. The capture range is
    the coarse scan's: a detuning off by more than 1/(2T) lands on the next loop. Check:
    P(odd) after one gate (``check_shots``); out of spec above ``max_odd``."""
    role = "ms.detuning"
    name = "ms_detuning"
    depends = ("detection",)
    timeout = 3600.0
    coarse_points = 11
    coarse_shots = 200
    points = 15
    shots = 200
    check_shots = 200
    max_odd = 0.03

    def _scan(self, ref, detunings, shots, what):
        def odd(program):
            p = program.probabilities()[0]
            return p[1] + p[2]
        return Sweep(self.m, lambda ops: MsGates(self.m.parent, ops, shots=shots,
                                                 repeats=[1]),
                     ref, detunings, name=self.name, what=what, result=odd).run()

    def calibrate(self, values):
        """The coarse scan's lowest point, then the fine scan's fitted dip."""
        start = self.m.shots
        ref = self.m.roles[self.role]
        gate_time = self._gate_time()
        centre = float(self.m.value(ref))
        coarse = centre + np.linspace(-0.5, 0.5, self.coarse_points) / gate_time
        p_odd = self._scan(ref, coarse, self.coarse_shots, "coarse detuning")
        try:
            # The whole coarse scan fitted: robust where its lowest point is not (a weak
            # dip; the next loop's dip just beyond one edge).
            centre = float(analysis.ms_detuning(coarse, p_odd, self.coarse_shots,
                                                gate_time, allow_edge=True,
                                                min_p_value=0.0).value)
        except CalibrationRefused:
            centre = float(coarse[int(np.argmin(p_odd))])
        fine = centre + np.linspace(-0.25, 0.25, self.points) / gate_time
        p_odd = self._scan(ref, fine, self.shots, "detuning")
        try:
            estimate = analysis.ms_detuning(fine, p_odd, self.shots, gate_time)
        except CalibrationRefused as exc:
            raise self._refused(start, exc) from None
        return self._measured(start, estimate)

    def check(self, values):
        """P(odd) after one gate."""
        start = self.m.shots
        program = MsGates(self.m.parent, self.m.ops(), shots=self.check_shots, repeats=[1])
        self.m.play(program)
        p = program.probabilities()[0]
        odd = p[1] + p[2]
        if odd > 0.6:
            return self._check(start, BAD_DATA, "P(odd) {:.2f} after one gate: no "
                               "entangling interaction at all?".format(odd))
        state = OUT_OF_SPEC if odd > self.max_odd else IN_SPEC
        return self._check(start, state, "P(odd) {:.3f} after one gate (at most {})".format(
            odd, self.max_odd))


class MsGateTime(_MsNode):
    """The MS gate time: P(11) after 1..``max_gates`` gates from |00> (``shots`` each),
    each gate an angle θ; the time that makes θ = π/2, its uncertainty including the
    calibrated detuning's (θ ∝ 1/δ', δ' = K/T the detuning from the mode of a gate of K
    loops). Check: 9 and 11 gates,
    P9 − P11 = 5π ε for a relative angle error ε; out of spec when |ε| > ``tolerance``."""
    role = "ms.gate_time"
    name = "ms_gate_time"
    depends = ("ms_detuning",)
    timeout = 2 * 3600.0
    max_gates = 10
    shots = 100
    check_shots = 200
    tolerance = 0.015

    def calibrate(self, values):
        """Repeated gates and the angle per gate."""
        start = self.m.shots
        gate_time = self._gate_time()
        n = np.arange(1, self.max_gates + 1)
        program = MsGates(self.m.parent, self.m.ops(), shots=self.shots, repeats=n)
        self.m.play(program)
        p11 = program.probabilities()[:, 3]
        try:
            estimate = analysis.ms_gate_time(n, p11, self.shots, gate_time)
        except CalibrationRefused as exc:
            raise self._refused(start, exc) from None
        # The angle was measured at the calibrated detuning δ, and θ ∝ 1/δ: the
        # detuning's own error is in the gate time too.
        detuning = self.m.provenance(self.m.keys("ms.detuning")[0]) if \
            self.m.has("ms.detuning") else None
        if detuning and detuning.get("uncertainty"):
            # The detuning from the mode: K whole loops in the gate time.
            value = abs(float(self.m.value(self.m.roles["ms.detuning"])))
            delta = max(1, round(value * gate_time)) / gate_time
            extra = estimate.value * float(detuning["uncertainty"]) / delta
            estimate.uncertainty = float(np.hypot(estimate.uncertainty, extra))
            estimate.quality["from_detuning"] = extra
        return self._measured(start, estimate)

    def check(self, values):
        """9 and 11 gates."""
        start = self.m.shots
        program = MsGates(self.m.parent, self.m.ops(), shots=self.check_shots,
                          repeats=[9, 11])
        self.m.play(program)
        p = program.probabilities()
        p9, p11 = p[0, 3], p[1, 3]
        if abs(p9 + p11 - 1) > 0.5:
            return self._check(start, BAD_DATA, "P(11) after 9 and 11 gates is {:.2f} and "
                               "{:.2f}, not about 1/2".format(p9, p11))
        error = (p9 - p11) / (5 * PI)
        state = OUT_OF_SPEC if abs(error) > self.tolerance else IN_SPEC
        return self._check(start, state, "gate angle off by {:+.2%} (tolerance {:.1%})"
                           .format(error, self.tolerance))
