"""Run a small quantum circuit (OpenQASM 2/3 text or a .qasm file) on either trap."""
from control.hal import OperationInterface
from control.lang import EnvExperiment, NumberValue, StringValue
from control.results import figure_path
from drivers import systems
from kernels.circuit import (CircuitKernel, check_circuit, load_circuit, lower,
                             result_from_counts, to_native)

BELL = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q -> c;
"""


class Circuit(EnvExperiment):
    """Quantum circuit"""

    def build(self):
        systems.setattr_system(self)
        self.setattr_argument("qasm", StringValue(BELL), group="Circuit",
                              tooltip="OpenQASM 2/3 text, or the path of a .qasm file")
        self.setattr_argument("shots", NumberValue(500, precision=0, step=1, min=1,
                                                   max=1000000), group="Circuit",
                              tooltip="repetitions of the circuit")
        self.setattr_device("scheduler")
        if self.trap is None:
            return  # the master's repository scan: arguments are None, no trap to build
        self.ops = self.trap.find(OperationInterface)
        self.circuit = load_circuit(self.qasm)
        check_circuit(self.circuit, self.ops.num_qubits)
        self.kernel = CircuitKernel(self, ops=self.ops, qubits=list(range(
            self.circuit.num_qubits)), shots=self.shots)

    def prepare(self):
        super().prepare()
        self.native = to_native(self.circuit, self.ops.native_gates(),
                                self.circuit.num_qubits)
        opcodes, angles = lower(self.native)
        thetas, phis = angles.arrays()
        self.kernel.load_circuit(opcodes, thetas, phis)
        self.set_dataset("circuit.native_ops", self.native.count_ops() and
                         str(dict(self.native.count_ops())))

    def run(self):
        self.kernel.run()

    def analyze(self):
        self.result = result_from_counts(self.kernel.histogram)
        self.set_dataset("circuit.histogram", self.kernel.histogram)
        self.set_dataset("circuit.populations", self.result.populations, broadcast=True)
        self.set_dataset("circuit.parity", self.result.parity)
        self.set_dataset("circuit.counts", str(self.result.counts))
        path = figure_path(self.scheduler, "circuit.png")
        self._plot(path)
        self.set_dataset("circuit.plot", path, broadcast=True)
        print(self.result.table())

    def _plot(self, path):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        n = self.circuit.num_qubits
        keys = [format(i, "0{}b".format(n)) for i in range(2 ** n)]
        fig, ax = plt.subplots(figsize=(5, 3.2))
        ax.bar(keys, self.result.populations)
        ax.set_ylabel("probability")
        ax.set_title("{} shots on {}".format(self.shots, self.system))
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
