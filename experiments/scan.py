"""Calibration scan: a sequence's own points (pulse lengths, Ramsey waits, MS gate counts)
against a calibration value (a qubit's frequency, the MS detuning), alone or as a 2-D
product, in a chosen order, live in the dashboard and fitted.

The scan layer has two axes: a kernel argument, swept in one kernel by a
``kernels.shots.ShotScan`` (Rabi flopping and Ramsey are its instances, and
``experiments/rabi.py`` and ``ramsey.py`` are that axis alone, live point by point), and a
calibration value, swept by ``kernels.calibration.sweep.Sweep`` with the trap rebuilt per
value. This experiment composes them.

The scan reads the trap's calibrations and writes none: it shows and fits what a
calibration node would see (``Calibrate`` writes values back, with their checks). A fit
that fails its checks says why in the log and broadcasts nothing.
"""
import math

import numpy as np

from control.calgraph import CalibrationRefused, EnvironmentStore
from control.lang import (EnumerationValue, EnvExperiment, NumberValue, RangeScan,
                          Scannable, kHz, us)
from drivers import systems
from experiments.calibrate import TrapMeasurements
from kernels.calibration import analysis
from kernels.calibration.measure import Measurement
from kernels.calibration.programs import MsGates, RamseyPhases, RotationPulses
from kernels.calibration.sweep import ORDERS, Sweep
from kernels.fitting import FitError
from kernels.rabi import RabiFlop, fit_rabi
from kernels.ramsey import Ramsey as RamseyScan, fit_ramsey

SEQUENCES = ("rabi", "ramsey", "ms gates")
#: outer axis name -> the trap's calibration role
PARAMETERS = {"none": None, "qubit frequency": "qubit_frequency",
              "MS detuning": "ms.detuning"}


class CalibrationScan(TrapMeasurements, EnvExperiment):
    """Calibration scan"""

    def build(self):
        systems.setattr_system(self)
        self.setattr_argument("sequence", EnumerationValue(list(SEQUENCES), "rabi"),
                              group="Sequence", tooltip="what each point plays")
        self.setattr_argument("qubit", NumberValue(0, precision=0, step=1, min=0, max=4),
                              group="Sequence", tooltip="the qubit driven (rabi, ramsey)")
        self.setattr_argument("durations", Scannable(
            default=RangeScan(0.0, 40 * us, 21), unit="us", global_min=0.0,
            global_max=10e-3), group="Sequence", tooltip="rabi: pulse lengths")
        self.setattr_argument("waits", Scannable(
            default=RangeScan(0.0, 100 * us, 21), unit="us", global_min=0.0,
            global_max=0.1), group="Sequence", tooltip="ramsey: waits between the pulses")
        self.setattr_argument("artificial_detuning", NumberValue(
            20e3, unit="kHz", scale=1e3, min=0.0, max=10e6), group="Sequence",
            tooltip="ramsey: the second pulse's phase advances at this rate")
        self.setattr_argument("gates", Scannable(
            default=RangeScan(1, 10, 10), precision=0, global_min=1, global_max=1000,
            global_step=1), group="Sequence", tooltip="ms gates: gates played back to back")
        self.setattr_argument("parameter", EnumerationValue(list(PARAMETERS), "none"),
                              group="Calibration axis",
                              tooltip="a calibration scanned around its value (the trap "
                                      "is rebuilt, so recompiled, for each value)")
        self.setattr_argument("offsets", Scannable(
            default=RangeScan(-50 * kHz, 50 * kHz, 21), unit="kHz", global_min=-1e8,
            global_max=1e8), group="Calibration axis",
            tooltip="the calibration's values, as offsets from the value in use")
        self.setattr_argument("order", EnumerationValue(list(ORDERS), "sequential"),
                              group="Calibration axis",
                              tooltip="the order the calibration's values are played in")
        self.setattr_argument("shots", NumberValue(100, precision=0, step=1, min=1,
                                                   max=100000), group="Sequence",
                              tooltip="repetitions per point")
        self.setattr_device("scheduler")
        self.setattr_device("ccb")
        if self.trap is None:
            return  # the master's repository scan: arguments are None, no trap to build
        self.nominal = systems.nominal_calibrations(self.system)
        self.role = PARAMETERS[self.parameter]
        if self.role is not None and self.role not in self.trap.calibration_roles:
            raise ValueError("{} has no calibration {!r} to scan".format(self.system,
                                                                       self.parameter))

    def prepare(self):
        self.measurement = Measurement(self, self.build_ops, self.system,
                                       self.trap.calibration_roles, EnvironmentStore(self),
                                       self.nominal)
        ops = self.measurement.ops()
        if not 0 <= self.qubit < ops.num_qubits:
            raise ValueError("qubit {} does not exist: {} has {}".format(
                self.qubit, self.system, ops.num_qubits))
        self.t_pi = ops.native_gates().duration("rphi", math.pi)
        self.t_half = ops.native_gates().duration("rphi", math.pi / 2)
        self.inner = np.array(list({"rabi": self.durations, "ramsey": self.waits,
                                    "ms gates": self.gates}[self.sequence]), dtype=float)
        self.ref, self.outer = None, None
        if self.role is not None:
            refs = self.measurement.roles[self.role]
            self.ref = refs[self.qubit] if isinstance(refs, list) else refs
            centre = float(self.measurement.value(self.ref))
            self.outer = centre + np.array(list(self.offsets), dtype=float)

    def program(self, ops):
        """The inner points' program on a built trap: a scan of pulse lengths or waits is
        the very Rabi flopping or Ramsey of ``experiments/rabi.py`` and ``ramsey.py``
        (``kernels.rabi.RabiFlop``, ``kernels.ramsey.Ramsey``); a single point (a scan of
        the calibration alone) is one pulse or one Ramsey pair."""
        many = len(np.unique(self.inner)) > 1
        if self.sequence == "rabi":
            if many:
                flop = RabiFlop(self, ops=ops, qubit=self.qubit, shots=self.shots,
                                dataset=None)
                flop.set_durations(self.inner)
                return flop
            return RotationPulses(self, ops, shots=self.shots, qubit=self.qubit,
                                  angles=math.pi * self.inner / self.t_pi)
        if self.sequence == "ramsey":
            if many:
                fringes = RamseyScan(self, ops=ops, qubit=self.qubit, shots=self.shots,
                                     artificial_detuning=self.artificial_detuning,
                                     dataset=None)
                fringes.set_waits(self.inner)
                return fringes
            phases = 2 * math.pi * self.artificial_detuning * (self.inner + self.t_half)
            return RamseyPhases(self, ops, shots=self.shots, qubit=self.qubit,
                                waits=self.inner, phases=phases)
        return MsGates(self, ops, shots=self.shots, repeats=self.inner.astype(int))

    def signal(self, program):
        """What is plotted and fitted of a played program, per inner point: P(1) of the
        qubit; for MS gates P(11), or P(odd) when the MS detuning is scanned with one gate
        count."""
        if self.sequence == "ms gates":
            p = program.probabilities()
            if self.role == "ms.detuning" and len(self.inner) == 1:
                return p[:, 1] + p[:, 2]
            return p[:, 3]
        return program.p1()[:, self.qubit]

    def run(self):
        outer = 1 if self.outer is None else len(self.outer)
        two_d = outer > 1 and len(self.inner) > 1
        x = self.outer if len(self.inner) == 1 and self.outer is not None else self.inner
        self.set_dataset("scan.x", x, broadcast=True)
        if self.outer is not None:
            self.set_dataset("scan.outer", self.outer, broadcast=True)
        if two_d:
            self.set_dataset("scan.signal_2d", np.full((outer, len(self.inner)), np.nan),
                             broadcast=True)
            self.ccb.issue("create_applet", "calibration scan",
                           "${artiq_applet}image scan.signal_2d")
        else:
            self.set_dataset("scan.signal", np.full(len(x), np.nan), broadcast=True)
            self.ccb.issue("create_applet", "calibration scan",
                           "${artiq_applet}plot_xy scan.signal --x scan.x")

        def on_row(index, row):
            if two_d:
                self.mutate_dataset("scan.signal_2d", index, row)
            elif len(self.inner) == 1 and self.outer is not None:
                self.mutate_dataset("scan.signal", index, row[0])
            else:
                self.set_dataset("scan.signal", row, broadcast=True)

        self.sweep = Sweep(self.measurement, self.program, self.ref, self.outer,
                           order=self.order, seed=self.scheduler.rid, on_row=on_row,
                           result=self.signal)
        self.sweep.run()

    def analyze(self):
        signal = self.sweep.results
        self.set_dataset("scan.signal_final", signal)
        if signal.shape[0] > 1 and signal.shape[1] > 1:
            return  # a 2-D scan is looked at, not fitted
        try:
            value, error, quality = self.fit(signal.ravel())
        except (CalibrationRefused, FitError) as exc:
            print("no fit: {}".format(getattr(exc, "reason", exc)))
            return
        self.set_dataset("scan.fit.value", float(value), broadcast=True)
        self.set_dataset("scan.fit.uncertainty", float(error), broadcast=True)
        for key in ("chi2_red", "p_value"):
            if key in quality:
                self.set_dataset("scan.fit." + key, quality[key], broadcast=True)
        print("{}: {:.9g} ± {:.3g}".format(self.fitted, value, error))

    def fit(self, y):
        """(value, uncertainty, quality) of the 1-D scan's fit; sets ``fitted`` (what)."""
        if self.outer is not None and len(self.inner) == 1:
            if self.role == "qubit_frequency":
                self.fitted = "line centre (Hz)"
                e = analysis.spectroscopy_center(self.outer, y, self.shots,
                                                 self.inner[0] if self.sequence == "rabi"
                                                 else self.t_pi)
            else:
                self.fitted = "MS detuning closing the loops (Hz)"
                e = analysis.ms_detuning(self.outer, y, self.shots, self._gate_time())
            return e.value, e.uncertainty, e.quality
        if self.sequence == "rabi":
            self.fitted = "Rabi frequency (Hz)"
            f = fit_rabi(self.inner, y, self.shots, 1 / (2 * self.t_pi))
            return float(f["f"]), float(f.error("f")), {}
        if self.sequence == "ramsey":
            self.fitted = "drive − qubit detuning (Hz)"
            f = fit_ramsey(self.inner, y, self.shots, self.artificial_detuning)
            return float(f["f"]) - self.artificial_detuning, float(f.error("f")), {}
        self.fitted = "MS gate time of θ = π/2 (s)"
        e = analysis.ms_gate_time(self.inner.astype(int), y, self.shots, self._gate_time())
        return e.value, e.uncertainty, e.quality

    def _gate_time(self):
        ops = self.measurement.ops()
        return ops.native_gates().duration("rxx", math.pi / 2)
