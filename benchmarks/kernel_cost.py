"""What the abstraction costs in the compiled kernel: the RB gate path through the HAL
against the same pulses in one flat hand-written kernel, and against the HAL with
``kernel_invariants`` emptied. Needs ARTIQ (its compiler, RISC-V, no hardware) and
``llvm-objdump``; without them it says so and exits 0.

Each kernel is compiled the way a lab runs it (``Core.run`` with attribute writeback, on a
core whose ``host`` is None, the ELF dumped with ``ARTIQ_DUMP_ELF``) for the trap's
hardware device database, and measured as ``.text`` bytes and instruction count of the
whole kernel (gate loop and the drivers it calls). The kernels are in
``benchmarks/flat_kernels.py``: (a) ``hal_gate_path``, (b) the flat kernel of the trap's
drive, which ``tests/test_kernel_cost_reference.py`` checks plays the same RTIO events as
(a) on the simulator, and (b') the same with the HAL's data layout (frames in a list).
(c) is (a) with ``kernel_invariants`` emptied: (c1) on the project's objects only, (c2)
also on the ARTIQ coredevice drivers the kernel reaches.

    python benchmarks/kernel_cost.py [--system yb171|ca40]

``KERNEL_COST_DUMP=folder`` keeps the ELFs and the optimized LLVM IR there.
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


def missing(bench, module, label, why):
    """Whether ``module`` is missing; if so, say why ``bench`` measured nothing and print
    the JSON line ``{"skipped": label}`` (the benchmarks exit 0 without their tools)."""
    try:
        __import__(module)
    except ImportError:
        print("{}: {} Nothing measured.".format(bench, why))
        print(json.dumps({"skipped": label}))
        return True
    return False


NO_ARTIQ = ("ARTIQ is not installed; this benchmark needs its compiler (install ARTIQ "
            "through its own channels).")


def _reachable(roots, prefixes):
    """Objects reachable from ``roots`` through attributes and lists whose class lives in
    a module starting with one of ``prefixes`` (the objects a kernel can read)."""
    seen, out, todo = set(), [], list(roots)
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, (list, tuple)):
            todo.extend(obj)
            continue
        if not hasattr(obj, "__dict__") or isinstance(obj, type):
            continue
        if not type(obj).__module__.startswith(prefixes):
            continue
        out.append(obj)
        todo.extend(vars(obj).values())
    return out


def objdump_figures(elf, objdump):
    head = subprocess.run([objdump, "-h", elf], capture_output=True, text=True).stdout
    text = next(int(line.split()[2], 16) for line in head.splitlines()
                if len(line.split()) > 2 and line.split()[1] == ".text")
    dis = subprocess.run([objdump, "-d", elf], capture_output=True, text=True).stdout
    insns = sum(1 for line in dis.splitlines() if re.match(r"^\s+[0-9a-f]+:\s", line))
    # The kernel's entry (__modinit__) holds the gate loop and all that was inlined into it;
    # the rest are out-of-line functions: driver calls and the cold stubs that raise
    # IndexError for each list access the compiler could not prove in bounds.
    syms = subprocess.run([objdump, "-t", elf], capture_output=True, text=True).stdout
    body = next(int(line.split()[-2], 16) for line in syms.splitlines()
                if line.split() and line.split()[-1] == "__modinit__")
    return text, insns, body // 4  # rv32g: 4-byte instructions


PROJECT = ("control.", "drivers.", "kernels.", "benchmarks.", "__main__")

# The compiled kernels: name, label in the tables.
CASES = (("a_hal", "(a) through the HAL"),
         ("b_flat", "(b) flat, hand-written, same pulses"),
         ("b_flat_in_memory", "(b') b, the HAL's data layout"),
         ("c_no_project_invariants", "(c1) HAL, project invariants emptied"),
         ("c_no_invariants", "(c2) HAL, all invariants emptied (+ARTIQ)"))


def build_trap(system):
    """The trap ``system`` built for its hardware device database on a core without a host
    (ARTIQ needed): its environment and its :class:`OperationInterface`."""
    from control.device_db import check_device_db
    from control.hal import OperationInterface
    from control.lang import EnvExperiment
    from control.managers import ArgumentManager, DatasetManager, DeviceManager
    from drivers import systems

    ddb = runpy.run_path(systems.device_db_path(system))["device_db"]
    ddb["core"]["arguments"]["host"] = None
    datasets = systems.sim_config(system)["datasets"]

    class Env(EnvExperiment):
        def build(self):
            self.trap = systems.build(self, system)
            self.ops = self.trap.find(OperationInterface)

        def run(self):
            pass

    env = Env((DeviceManager(check_device_db(ddb)), DatasetManager(datasets),
               ArgumentManager({}), {}))
    env.prepare()
    return env, env.ops


def compile_case(env, ops, name, chunk, folder, dump_name=None):
    """Compile kernel ``name`` (one of :data:`CASES`) playing ``chunk`` (``opcodes,
    starts, thetas, phis``) into ``folder/<dump_name or name>.elf``; returns its path.
    The ``kernel_invariants`` emptied for (c1)/(c2) are put back afterwards."""
    from benchmarks.flat_kernels import flat_kernel, hal_gate_path

    opcodes, starts, thetas, phis = chunk
    if name.startswith("b_flat"):
        k = flat_kernel(env, ops, opcodes, starts, thetas, phis,
                        in_memory=name == "b_flat_in_memory")
    else:
        k = hal_gate_path(env, ops)
        k.load(opcodes, starts, thetas, phis, [0])
    emptied = []
    if name == "c_no_project_invariants":
        # every project object the kernel reaches loses its invariants; the ARTIQ
        # coredevice drivers (DDS, CPLD, SPI, TTL, core) keep theirs
        emptied = _reachable([k], PROJECT)
    elif name == "c_no_invariants":
        # and the ARTIQ coredevice drivers on the path lose theirs too
        emptied = _reachable([k], PROJECT + ("artiq.",))
    saved = [(obj, vars(obj).get("kernel_invariants", _MISSING)) for obj in emptied]
    for obj in emptied:
        obj.kernel_invariants = set()
    stem = os.path.join(folder, dump_name or name)
    os.environ["ARTIQ_DUMP_ELF"] = stem
    if os.environ.get("KERNEL_COST_DUMP"):
        os.environ["ARTIQ_DUMP_LLVM"] = stem
    try:
        k.run()
    except Exception as exc:  # the dummy comm cannot run kernels; compiling is enough
        if not os.path.exists(stem + ".elf"):
            raise
        del exc
    finally:
        for obj, value in saved:
            if value is _MISSING:
                del obj.kernel_invariants
            else:
                obj.kernel_invariants = value
    return stem + ".elf"


_MISSING = object()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--system", default="yb171")
    args = parser.parse_args()
    if missing("kernel_cost", "artiq", "no ARTIQ", NO_ARTIQ):
        return 0
    objdump = shutil.which("llvm-objdump")
    if objdump is None:
        print("kernel_cost: llvm-objdump is not on PATH (GNU objdump cannot read RISC-V).")
        print(json.dumps({"skipped": "no llvm-objdump"}))
        return 0

    from benchmarks.flat_kernels import gate_chunk

    env, ops = build_trap(args.system)
    # One two-qubit RB sequence's single-qubit gates: rphi (and rz where the trap has a
    # virtual one) on both qubits; tests/test_kernel_cost_reference.py checks that (a)
    # and (b) play the same RTIO events for such a chunk.
    chunk = gate_chunk(ops.native_gates(), length=6, seed=1)
    opcodes = chunk[0]
    qubits = list(range(ops.num_qubits))

    results = {}
    folder = os.environ.get("KERNEL_COST_DUMP") or tempfile.mkdtemp(prefix="kernel-cost-")
    os.makedirs(folder, exist_ok=True)
    for name, _ in CASES:
        elf = compile_case(env, ops, name, chunk, folder)
        results[name] = objdump_figures(elf, objdump)
    a, b = results["a_hal"], results["b_flat"]
    cp, c = results["c_no_project_invariants"], results["c_no_invariants"]
    print("compiled RB gate path on {} ({} single-qubit gates on {} qubits), ARTIQ's "
          "compiler, rv32".format(args.system, len(opcodes), len(qubits)))
    print("{:<44s} {:>10s} {:>13s} {:>18s}".format("kernel", ".text (B)", "instructions",
                                                   "of which entry"))
    for name, label in CASES:
        print("{:<44s} {:>10d} {:>13d} {:>18d}".format(label, *results[name]))
    print("(c1) empties kernel_invariants of this project's objects only (kernel, HAL, "
          "modules);\n(c2) also of the ARTIQ coredevice drivers the path reaches (DDS, "
          "CPLD, SPI, TTL, core).\n(c2) is the modular kernel with every "
          "kernel_invariants emptied; (c1) isolates what the project's own declarations "
          "buy.\n'entry' is __modinit__: the gate loop with everything inlined into it; "
          "the rest is out of line\n(driver calls, and one cold IndexError stub per list "
          "access the compiler cannot prove in bounds).")
    figures = {"insn_ratio_vs_flat": round(a[1] / b[1], 3),
               "text_ratio_vs_flat": round(a[0] / b[0], 3),
               "insn_ratio_vs_flat_in_memory": round(a[1] / results["b_flat_in_memory"][1],
                                                     3),
               "insn_reduction_vs_no_invariants": round(1 - a[1] / c[1], 3),
               "insn_reduction_vs_no_project_invariants": round(1 - a[1] / cp[1], 3),
               "text_insns": {name: list(v) for name, v in results.items()}}
    print("a/b instructions {insn_ratio_vs_flat}, a/b .text {text_ratio_vs_flat}; a has "
          "{pct:.0%} fewer instructions than c2 (all emptied), {pct1:.0%} fewer than c1 "
          "(project emptied)".format(
              pct=figures["insn_reduction_vs_no_invariants"],
              pct1=figures["insn_reduction_vs_no_project_invariants"], **figures))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
