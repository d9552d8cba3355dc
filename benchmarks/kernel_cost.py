"""What the abstraction costs in the compiled kernel: the RB gate path through the HAL
against the same pulses in one flat hand-written kernel, and against the HAL with
``kernel_invariants`` emptied. Needs ARTIQ (its compiler, RISC-V, no hardware) and
``llvm-objdump``; without them it says so and exits 0.

Each kernel is compiled the way a lab runs it (``Core.run`` with attribute writeback, on a
core whose ``host`` is None, the ELF dumped with ``ARTIQ_DUMP_ELF``) for the trap's
hardware device database, and measured as ``.text`` bytes and instruction count of the
whole kernel (gate loop and the drivers it calls).

    python benchmarks/kernel_cost.py [--system yb171|ca40]
"""
import argparse
import json
import math
import os
import re
import runpy
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

PI = math.pi


PI_TIME = 0  # set in main() from the trap's calibration: a literal for the flat kernel
ASF = 0


def _flat_classes():
    from numpy import int64

    from control.lang import HasEnvironment, kernel

    class _Flat(HasEnvironment):
        """(b) the same pulses hand-written: direct device calls, literal constants."""
        def build(self, ops, opcodes, thetas, phis):
            drive = ops.drive
            self.core = ops.core
            self.opcodes, self.thetas, self.phis = opcodes, thetas, phis
            if hasattr(drive, "dds"):
                self.dds, self.sw, self.ftw = drive.dds, drive.switch, drive.ftws[0]
            else:  # one DDS per ion: play on ion 0's channel
                beam = drive.beams[0]
                self.dds, self.sw, self.ftw = beam.dds, beam.switch, beam.ftw
            self.kernel_invariants = {"core", "opcodes", "thetas", "phis", "dds", "sw",
                                      "ftw"}

    class Flat9910(_Flat):
        @kernel
        def run(self):
            self.core.break_realtime()
            for k in range(len(self.opcodes)):
                p = self.opcodes[k] >> 12
                theta = self.thetas[p]
                turns = self.phis[p] / (2.0 * 3.141592653589793)
                if theta < 0.0:
                    theta = -theta
                    turns += 0.5
                self.dds.set_mu(self.ftw, self.dds.turns_to_pow(turns), ASF)
                self.sw.pulse_mu(int64(round(PI_TIME * theta / 3.141592653589793)))

    class Flat9912(_Flat):
        @kernel
        def run(self):
            self.core.break_realtime()
            for k in range(len(self.opcodes)):
                p = self.opcodes[k] >> 12
                theta = self.thetas[p]
                turns = self.phis[p] / (2.0 * 3.141592653589793)
                if theta < 0.0:
                    theta = -theta
                    turns += 0.5
                self.dds.set_mu(self.ftw, self.dds.turns_to_pow(turns))
                self.sw.pulse_mu(int64(round(PI_TIME * theta / 3.141592653589793)))

    return Flat9910, Flat9912


def objdump_figures(elf, objdump):
    head = subprocess.run([objdump, "-h", elf], capture_output=True, text=True).stdout
    text = next(int(line.split()[2], 16) for line in head.splitlines()
                if len(line.split()) > 2 and line.split()[1] == ".text")
    dis = subprocess.run([objdump, "-d", elf], capture_output=True, text=True).stdout
    insns = sum(1 for line in dis.splitlines() if re.match(r"^\s+[0-9a-f]+:\s", line))
    return text, insns


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--system", default="yb171")
    args = parser.parse_args()
    try:
        import artiq  # noqa: F401
    except ImportError:
        print("kernel_cost: ARTIQ is not installed; this benchmark needs its compiler "
              "(install ARTIQ through its own channels). Nothing measured.")
        print(json.dumps({"skipped": "no ARTIQ"}))
        return 0
    objdump = shutil.which("llvm-objdump")
    if objdump is None:
        print("kernel_cost: llvm-objdump is not on PATH (GNU objdump cannot read RISC-V).")
        print(json.dumps({"skipped": "no llvm-objdump"}))
        return 0

    global FlatGatePath9910, FlatGatePath9912
    FlatGatePath9910, FlatGatePath9912 = _flat_classes()

    from control.environment import (ArgumentManager, DatasetManager, DeviceManager,
                                     check_device_db)
    from control.hal import OperationInterface
    from control.lang import EnvExperiment, kernel
    from drivers import systems
    from kernels.rb import compile_program
    from kernels.rb_kernel import RBKernel1

    ddb = runpy.run_path(systems.device_db_path(args.system))["device_db"]
    ddb["core"]["arguments"]["host"] = None
    datasets = systems.sim_config(args.system)["datasets"]

    class Env(EnvExperiment):
        def build(self):
            self.trap = systems.build(self, args.system)
            self.ops = self.trap.find(OperationInterface)

        def run(self):
            pass

    env = Env((DeviceManager(check_device_db(ddb)), DatasetManager(datasets),
               ArgumentManager({}), {}))
    env.prepare()
    ops = env.ops
    program = compile_program(ops.native_gates(), 1, [20], 1, seed=1)
    opcodes, starts, thetas, phis, expected = program.chunk_arrays(0, 1)

    class GatePath(RBKernel1):
        """(a) the RB gate loop through the HAL, without prep and measurement."""
        @kernel
        def run(self):
            self.core.break_realtime()
            for k in range(self.starts[0], self.starts[1]):
                self.play(self.opcodes[k])

    drive = ops.drive
    literal = {"ASF": int(getattr(drive, "asf", 0x3fff)),
               "PI_TIME": int(drive.pi_time)}

    global PI_TIME, ASF
    PI_TIME, ASF = literal["PI_TIME"], literal["ASF"]  # literals the flat kernel folds
    flat_cls = FlatGatePath9910 if hasattr(drive, "asf") else FlatGatePath9912

    results = {}
    folder = tempfile.mkdtemp(prefix="kernel-cost-")
    cases = [("a_hal", lambda: GatePath(env, ops=ops, qubits=[0], shots=1)),
             ("b_flat", lambda: flat_cls(env, ops, opcodes, thetas, phis)),
             ("c_no_invariants", lambda: GatePath(env, ops=ops, qubits=[0], shots=1))]
    for name, make in cases:
        k = make()
        if name != "b_flat":
            k.load(opcodes, starts, thetas, phis, expected)
        if name == "c_no_invariants":
            # every project object on the path loses its invariants (drivers keep theirs)
            for obj in [k, ops, drive] + list(env.trap.registry.modules.values()):
                obj.kernel_invariants = set()
        os.environ["ARTIQ_DUMP_ELF"] = os.path.join(folder, name)
        try:
            k.run()
        except Exception as exc:  # the dummy comm cannot run kernels; compiling is enough
            if not os.path.exists(os.path.join(folder, name + ".elf")):
                raise
            del exc
        results[name] = objdump_figures(os.path.join(folder, name + ".elf"), objdump)
    a, b, c = results["a_hal"], results["b_flat"], results["c_no_invariants"]
    print("compiled RB gate path on {} ({} gates), ARTIQ's compiler, rv32".format(
        args.system, len(opcodes)))
    print("{:<28s} {:>10s} {:>13s}".format("kernel", ".text (B)", "instructions"))
    for name, label in (("a_hal", "(a) through the HAL"), ("b_flat", "(b) flat, hand-written"),
                        ("c_no_invariants", "(c) HAL, no invariants")):
        print("{:<28s} {:>10d} {:>13d}".format(label, *results[name]))
    figures = {"insn_ratio_vs_flat": round(a[1] / b[1], 3),
               "text_ratio_vs_flat": round(a[0] / b[0], 3),
               "insn_reduction_vs_no_invariants": round(1 - a[1] / c[1], 3)}
    print("a/b instructions {insn_ratio_vs_flat}, a/b .text {text_ratio_vs_flat}, "
          "a has {pct:.0%} fewer instructions than c".format(
              pct=figures["insn_reduction_vs_no_invariants"], **figures))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
