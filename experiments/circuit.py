"""Run a small quantum circuit (OpenQASM 2/3 text or a .qasm file) on either trap."""
import os

from control.hal import OperationInterface
from control.lang import EnvExperiment, NumberValue, StringValue
from control.results import figure_path
from drivers import systems
from kernels.circuit import (circuit_kernel_class, check_circuit, load_circuit, lower,
                             readout_map, result_from_counts, to_native)

BELL = """OPENQASM 2.0;
include "qelib1.inc";
// Bell state (|00> + |11>)/sqrt(2)
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q -> c;
"""


def circuit_name(source, limit=70):
    """What the plot calls a circuit: a file's name, else its first comment line, else
    its first statements after the header (shortened to ``limit`` characters)."""
    text = str(source).strip()
    if "\n" not in text and text.endswith((".qasm", ".qasm3")):
        return os.path.basename(text)
    statements = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("//"):
            comment = line.lstrip("/").strip()
            if comment:
                statements = [comment]
                break
            continue
        if line and not line.startswith(("OPENQASM", "include")):
            statements.append(line)
    name = " ".join(statements) or "circuit"
    return name if len(name) <= limit else name[:limit - 3].rstrip() + "..."


class Circuit(EnvExperiment):
    """Quantum circuit"""

    def build(self):
        systems.setattr_system(self)
        self.setattr_argument("qasm", StringValue(BELL), group="Circuit",
                              tooltip="OpenQASM 2/3 text, or the path of a .qasm or "
                                      ".qasm3 file")
        self.setattr_argument("shots", NumberValue(500, precision=0, step=1, min=1,
                                                   max=1000000), group="Circuit",
                              tooltip="repetitions of the circuit")
        self.setattr_device("scheduler")
        if self.trap is None:
            return  # the master's repository scan: arguments are None, no trap to build
        self.ops = self.trap.find(OperationInterface)
        self.circuit = load_circuit(self.qasm)
        check_circuit(self.circuit, self.ops.num_qubits)
        self.kernel = circuit_kernel_class(self.ops)(self, ops=self.ops, qubits=list(range(
            self.circuit.num_qubits)), shots=self.shots)

    def prepare(self):
        super().prepare()
        self.native = to_native(self.circuit, self.ops.native_gates(),
                                self.circuit.num_qubits)
        # which kernel qubit each classical bit reads, through the final layout
        self.readout = readout_map(self.circuit, self.native)
        opcodes, angles = lower(self.native)
        thetas, phis = angles.arrays()
        self.kernel.load_circuit(opcodes, thetas, phis)
        self.set_dataset("circuit.native_ops", self.native.count_ops() and
                         str(dict(self.native.count_ops())))
        self.set_dataset("circuit.final_layout", list(self.readout.positions))
        self.set_dataset("circuit.clbit_sources", list(self.readout.sources))
        self.set_dataset("circuit.bit_order", self.readout.bit_order())

    def run(self):
        self.kernel.run()

    def analyze(self):
        self.result = result_from_counts(self.kernel.histogram, self.readout)
        # the kernel's outcomes, kernel qubit i in bit i (before the readout map)
        self.set_dataset("circuit.histogram", self.kernel.histogram)
        # per value of the classical bits, classical bit c in bit c
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
        import numpy as np
        keys = self.result.keys()
        n = self.result.shots
        counts = np.array([self.result.counts.get(k, 0) for k in keys], dtype=float)
        p = counts / max(n, 1)
        # 68% Wilson score interval of a binomial proportion: not zero-width at 0 or 1
        z = 1.0
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        err = np.array([np.clip(p - (centre - half), 0, None),
                        np.clip(centre + half - p, 0, None)])
        fig, ax = plt.subplots(figsize=(max(5, 0.5 * len(keys) + 2), 3.4))
        ax.bar(keys, p, yerr=err, capsize=3, color="tab:blue", ecolor="black")
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("probability")
        ax.set_xlabel("outcome {} (classical bit 0 rightmost)".format(
            self.readout.bit_order()))
        ax.set_title("{}\n{} shots on {}; bars: 68% binomial (Wilson) interval".format(
            circuit_name(self.qasm), n, self.system), fontsize=9)
        if len(keys) > 8:
            plt.setp(ax.get_xticklabels(), rotation=90)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
