"""Rabi flopping on either trap: P(1) against pulse length, fitted for the Rabi rate."""
import numpy as np

from control.hal import OperationInterface
from control.lang import EnvExperiment, NumberValue, RangeScan, Scannable, us
from control.results import figure_path
from drivers import systems
from kernels.rabi import RabiFlop, fit_rabi, plot_rabi


class Rabi(EnvExperiment):
    """Rabi flopping"""

    def build(self):
        systems.setattr_system(self)
        self.setattr_argument("durations", Scannable(
            default=RangeScan(0.0, 40 * us, 21), unit="us", global_min=0.0,
            global_max=10e-3), group="Scan", tooltip="pulse lengths scanned")
        self.setattr_argument("qubit", NumberValue(0, precision=0, step=1, min=0, max=4),
                              group="Scan", tooltip="the qubit driven (one of the trap's)")
        self.setattr_argument("shots", NumberValue(100, precision=0, step=1, min=1,
                                                   max=100000), group="Scan",
                              tooltip="repetitions per point")
        self.setattr_device("scheduler")
        self.setattr_device("ccb")
        if self.trap is None:
            return  # the master's repository scan: arguments are None, no trap to build
        self.ops = self.trap.find(OperationInterface)
        self.scan = RabiFlop(self, ops=self.ops, qubit=self.qubit, shots=self.shots)

    def prepare(self):
        super().prepare()
        self.scan.set_durations(self.durations)

    def run(self):
        self.set_dataset("rabi.durations", self.scan.durations, broadcast=True, unit="us",
                         scale=1e-6)
        self.ccb.issue("create_applet", "rabi", "${artiq_applet}plot_xy rabi.p1 "
                       "--x rabi.durations")
        self.scan.start_live()
        self.scan.run()

    def analyze(self):
        p1 = self.scan.probabilities()[:, self.qubit]
        self.set_dataset("rabi.p1_final", p1)
        t_pi = self.ops.native_gates().duration("rphi", np.pi)
        fit = fit_rabi(self.scan.durations, p1, self.shots, 1 / (2 * t_pi))
        for key, value in fit.as_dict().items():
            self.set_dataset("rabi.fit." + key, value, broadcast=True)
        plot_rabi(figure_path(self.scheduler, "rabi.png"), self.scan.durations, p1, fit,
                  self.qubit, self.shots)
        print("Rabi frequency on qubit {}: {:.3f} ± {:.3f} kHz".format(
            self.qubit, fit["f"] / 1e3, fit.error("f") / 1e3))
