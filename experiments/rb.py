"""Randomized benchmarking on either trap, 1 or 2 qubits, standard or interleaved.

The same script runs on every installed system: the trap is one argument, and the
sequences are compiled to that trap's native gates from the description it publishes.
Live datasets: ``rb.progress`` (sequences done) and ``rb.survival`` (per sequence).
"""
import numpy as np

from control.hal import OperationInterface
from control.lang import (BooleanValue, EnvExperiment, NumberValue, PYONValue,
                          StringValue)
from control.results import figure_path
from drivers import systems
from kernels.rb import RandomizedBenchmarking
from kernels.rb_analysis import plot_rb


class RB(EnvExperiment):
    """Randomized benchmarking"""

    def build(self):
        systems.setattr_system(self)
        self.setattr_argument("n_qubits", NumberValue(1, precision=0, step=1, min=1, max=2),
                              group="RB", tooltip="qubits benchmarked together (1 or 2)")
        self.setattr_argument("lengths", PYONValue([1, 20, 50, 100, 200]), group="RB",
                              tooltip="sequence lengths in Cliffords, a PYON list")
        self.setattr_argument("samples", NumberValue(10, precision=0, step=1, min=1,
                                                     max=10000), group="RB",
                              tooltip="random sequences per length")
        self.setattr_argument("shots", NumberValue(50, precision=0, step=1, min=1,
                                                   max=100000), group="RB",
                              tooltip="repetitions of each sequence")
        self.setattr_argument("interleave", StringValue(""), group="RB",
                              tooltip="a gate to interleave (x, h, sx, cz, ms, ...) or "
                                      "empty for standard RB")
        self.setattr_argument("final_pauli", BooleanValue(False), group="RB",
                              tooltip="end each sequence on a random Pauli, so the "
                                      "expected outcome is 0 or 1 at random")
        self.setattr_argument("seed", NumberValue(0, precision=0, step=1, min=0,
                                                  max=2 ** 31 - 1), group="RB",
                              tooltip="seed of the sequence generator")
        self.setattr_argument("dma", BooleanValue(True), group="RB",
                              tooltip="record each sequence once with DMA and play the "
                                      "recording in every shot (off: the CPU plays every "
                                      "gate of every shot, and long sequences can underflow)")
        self.setattr_device("scheduler")
        self.setattr_device("ccb")
        if self.trap is None:
            return  # the master's repository scan: arguments are None, no trap to build
        self.ops = self.trap.find(OperationInterface)
        self.rb = RandomizedBenchmarking(
            self, ops=self.ops, n_qubits=self.n_qubits, lengths=self.lengths,
            samples=self.samples, shots=self.shots, seed=self.seed,
            interleave=self.interleave or None, final_pauli=self.final_pauli,
            dma=self.dma)

    def prepare(self):
        super().prepare()
        self.rb.prepare_program()
    def run(self):
        # Live datasets start here, not in prepare: the master prepares the next
        # experiment while this one runs, and would reset a running RB's plot.
        program = self.rb.program
        self.set_dataset("rb.lengths", program.lengths, broadcast=True)  # the applet's x
        self.set_dataset("rb.group", program.group)
        self.set_dataset("rb.opcodes_per_sequence", np.diff(program.starts))
        self.set_dataset("rb.survival", np.full(program.n_sequences, np.nan),
                         broadcast=True)
        self.set_dataset("rb.progress", 0, broadcast=True)
        self.ccb.issue("create_applet", "RB decay",
                       "${artiq_applet}plot_xy rb.survival --x rb.lengths")

        def on_sequence(index, survived):
            self.mutate_dataset("rb.survival", index, survived / self.shots)
            self.set_dataset("rb.progress", index + 1, broadcast=True)

        self.rb.run(on_sequence)
        self.set_dataset("rb.survival", self.rb.survival(), broadcast=True)

    def analyze(self):
        results = self.rb.analyze()
        ref = results["reference"]
        # rb.fit.*: the decay (p, A, B, epc with errors, or, when the data do not resolve
        # it, resolved=False with epc_upper_95 and NaN errors), B_fixed and the fit model.
        for key, value in ref.as_dict().items():
            self.set_dataset("rb.fit." + key, value, broadcast=True)
        fits, labels, gate = [ref], None, results.get("gate")
        lines = [ref.table()]
        if gate is not None:
            for key, value in results["interleaved"].as_dict().items():
                self.set_dataset("rb.interleaved." + key, value, broadcast=True)
            for key, value in gate.as_dict().items():
                self.set_dataset("rb.gate." + key, value, broadcast=True)
            fits.append(results["interleaved"])
            labels = ["reference", "interleaved {}".format(self.interleave)]
            lines += [results["interleaved"].table(), gate.table()]
        # On a simulated crate: the error per Clifford the ion model implies, through the
        # native pulses each Clifford compiled to (what `control rb` prints beside the fit).
        expected = None
        if "control_sim" in self.get_device_db():
            model = getattr(self.get_device("control_sim"), "model", None)
            if model is not None:
                from control import pyon
                errors = dict(model.errors)
                compiler = self.rb.program.compiler
                alpha = compiler.expected_decay(errors.get("depolarizing", 0.0),
                                                errors.get("depolarizing_2q", 0.0))
                d = 2 ** self.n_qubits
                expected = (d - 1) / d * (1 - alpha)
                for key, value in (("expected_epc", expected),
                                   ("expected_decay", alpha),
                                   ("errors", pyon.encode(errors)),
                                   ("pulses_1q_per_clifford", compiler.mean_pulses_1q()),
                                   ("gates_2q_per_clifford",
                                    float(compiler.gates_2q.mean()))):
                    self.set_dataset("rb.sim." + key, value, broadcast=True)
        self.results = results
        path = figure_path(self.scheduler, "rb.png")
        title = "{}-qubit RB on {}".format(self.n_qubits, self.system)
        if expected is not None:
            title += " (simulated: ion model EPC {:.2g})".format(expected)
        plot_rb(fits, None, path, title=title, labels=labels, gate=gate)
        self.set_dataset("rb.plot", path, broadcast=True)
        print("\n".join(lines))
