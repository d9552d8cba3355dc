"""Readout histograms and fidelity of every qubit, on either trap."""
from control.hal import OperationInterface
from control.lang import EnvExperiment, NumberValue
from control.results import figure_path
from drivers import systems
from kernels.detection import ReadoutHistogram, plot_histograms, readout_fidelity


class Readout(EnvExperiment):
    """Readout fidelity"""

    def build(self):
        systems.setattr_system(self)
        self.setattr_argument("shots", NumberValue(500, precision=0, step=1, min=1,
                                                   max=100000), group="Readout",
                              tooltip="shots prepared in 0 and again in 1, each")
        self.setattr_device("scheduler")
        if self.trap is None:
            return  # the master's repository scan: arguments are None, no trap to build
        self.ops = self.trap.find(OperationInterface)
        self.histogram = ReadoutHistogram(self, ops=self.ops, shots=self.shots)

    def run(self):
        self.histogram.run()

    def analyze(self):
        counts, bits = self.histogram.results()
        result = readout_fidelity(bits)
        self.set_dataset("readout.counts", counts)
        for key, value in result.items():
            self.set_dataset("readout." + key, value, broadcast=True)
        plot_histograms(figure_path(self.scheduler, "readout.png"), counts)
        for q in range(self.ops.num_qubits):
            print("qubit {}: readout fidelity {:.4f} ± {:.4f} (P(1|0) {:.4f}, P(0|1) {:.4f})"
                  .format(q, result["fidelity"][q], result["fidelity_err"][q],
                          result["p1_given_0"][q], result["p0_given_1"][q]))
