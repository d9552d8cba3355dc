"""Ramsey fringes on either trap: detuning of the drive and T2*."""
from control.hal import OperationInterface
from control.lang import EnvExperiment, NumberValue, RangeScan, Scannable, kHz, us
from control.results import figure_path
from drivers import systems
from kernels.ramsey import Ramsey as RamseyScan, fit_ramsey, plot_ramsey


class Ramsey(EnvExperiment):
    """Ramsey fringes"""

    def build(self):
        systems.setattr_system(self)
        self.setattr_argument("waits", Scannable(
            default=RangeScan(0.0, 100 * us, 26), unit="us", global_min=0.0,
            global_max=1.0), group="Scan", tooltip="free-evolution times scanned")
        self.setattr_argument("artificial_detuning", NumberValue(
            50 * kHz, unit="kHz", min=0.0, max=10e6), group="Scan",
            tooltip="phase advance of the second pulse, as a frequency")
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
        self.scan = RamseyScan(self, ops=self.ops, qubit=self.qubit, shots=self.shots,
                               artificial_detuning=self.artificial_detuning)

    def prepare(self):
        super().prepare()
        self.scan.set_waits(self.waits)

    def run(self):
        self.set_dataset("ramsey.waits", self.scan.waits, broadcast=True, unit="us",
                         scale=1e-6)
        self.ccb.issue("create_applet", "ramsey", "${artiq_applet}plot_xy ramsey.p1 "
                       "--x ramsey.waits")
        self.scan.start_live()
        self.scan.run()

    def analyze(self):
        p1 = self.scan.probabilities()[:, self.qubit]
        self.set_dataset("ramsey.p1_final", p1)
        fit = fit_ramsey(self.scan.waits, p1, self.shots, self.artificial_detuning)
        detuning = fit["f"] - self.artificial_detuning
        for key, value in fit.as_dict().items():
            self.set_dataset("ramsey.fit." + key, value, broadcast=True)
        self.set_dataset("ramsey.detuning", detuning, broadcast=True)
        self.set_dataset("ramsey.detuning_err", fit.error("f"), broadcast=True)
        plot_ramsey(figure_path(self.scheduler, "ramsey.png"), self.scan.waits, p1, fit,
                    self.qubit, self.shots, detuning)
        print("Ramsey on qubit {}: detuning {:.3f} ± {:.3f} kHz, T2* {:.3g} s".format(
            self.qubit, detuning / 1e3, fit.error("f") / 1e3, fit["t2"]))
