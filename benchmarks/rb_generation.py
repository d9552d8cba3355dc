"""RB sequence generation speed: 100 sequences of 1000 Cliffords, 1 and 2 qubits,
including compilation to each simulated trap's native opcodes (as the trap publishes them:
yb171 with virtual Z, ca40 with Z played as pulses), against qiskit-experiments'
``StandardRB(...).circuits()`` for the same sizes (the optional ``bench`` extra:
``pip install -e .[bench]``; without it only our figures are printed).

Both sides are timed the same way. *Warm*: in one process, one untimed warm-up call of
each, then ``--repeat`` timed calls of each, interleaved (reference, then ours on each
trap, round after round; a garbage collection before every call), reported as median
and best; the warm ratio is the reference's median over ours (and best over best).
The reference does not depend on the trap, so both traps' ratios share its timings.
*Cold*: what a first call in a new process costs: a fresh interpreter (numpy already
imported) times the import of the generator, which loads its tables (``kernels.rb``;
``qiskit_experiments.library``), then the first call, which for us also builds the
trap's compiled Clifford table; median of ``--cold-repeat`` fresh interpreters, also
interleaved. Our warm time is mostly writing fresh arrays (a long 2-qubit program is
~4 MB of opcodes): page faults included, so it moves with the allocator's state (what
the reference's garbage leaves) by up to 2x from run to run.

    python benchmarks/rb_generation.py [--sequences 100] [--length 1000] [--repeat 5]
                                       [--cold-repeat 3] [--system ca40]
"""
import argparse
import dataclasses
import gc
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

SYSTEMS = ("yb171", "ca40")
QUBITS = (1, 2)


def trap_gates(systems):
    """``{system: NativeGateSet}``: the native gates each simulated trap publishes."""
    from hil.target import HilTarget
    gates = {}
    for system in systems:
        target = HilTarget(system)
        gates[system] = target.ops.native_gates()
        target.close()
    return gates


def gates_to_json(gates):
    """A ``NativeGateSet`` as JSON, for a cold child process."""
    return json.dumps({kind: dict(dataclasses.asdict(g), duration=float(g.duration),
                                  angles=[float(a) for a in g.angles])
                       for kind, g in gates.gates.items()})


def gates_from_json(text):
    from control.hal import NativeGate, NativeGateSet
    return NativeGateSet({kind: NativeGate(**dict(fields, angles=tuple(fields["angles"])))
                          for kind, fields in json.loads(text).items()})


def have_reference():
    try:
        import qiskit_experiments  # noqa: F401
    except ImportError:
        return False
    return True


def reference_version():
    from importlib.metadata import version
    return "qiskit-experiments " + version("qiskit-experiments")


def timed(fn):
    gc.collect()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


# ---- cold: one fresh interpreter per measurement ----------------------------------------

def cold_child(args):
    """In a fresh interpreter: import the generator (loading its tables), then the first
    call; prints ``{"import_s", "first_s"}``."""
    t = time.perf_counter()
    if args.cold == "ours":
        from kernels.rb import compile_program
        gates = gates_from_json(args.gates)
        loaded = time.perf_counter()
        compile_program(gates, args.qubits, [args.length], args.sequences, seed=1)
    else:
        from qiskit_experiments.library import StandardRB
        loaded = time.perf_counter()
        StandardRB(list(range(args.qubits)), [args.length], num_samples=args.sequences,
                   seed=1).circuits()
    done = time.perf_counter()
    print(json.dumps({"import_s": loaded - t, "first_s": done - loaded}))


def cold_run(side, n, args, gates=None):
    cmd = [sys.executable, os.path.abspath(__file__), "--cold", side, "--qubits", str(n),
           "--sequences", str(args.sequences), "--length", str(args.length)]
    if gates is not None:
        cmd += ["--gates", gates_to_json(gates)]
    # both children are this script: numpy is imported (at its top) before the clock
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    return figures["import_s"], figures["first_s"]


def measure(args):
    from kernels.rb import compile_program
    gates = trap_gates(args.systems)
    reference = have_reference()
    if reference:
        from qiskit_experiments.library import StandardRB

    def ours(system, n):
        return lambda: compile_program(gates[system], n, [args.length], args.sequences,
                                       seed=1)

    def ref(n):
        return lambda: StandardRB(list(range(n)), [args.length],
                                  num_samples=args.sequences, seed=1).circuits()

    warm = {("ours", s, n): [] for s in args.systems for n in QUBITS}
    warm.update({("ref", n): [] for n in QUBITS} if reference else {})
    for n in QUBITS:  # warm-up: tables built, caches filled, code paths taken once
        if reference:
            ref(n)()
        for s in args.systems:
            ours(s, n)()
    for _ in range(args.repeat):
        for n in QUBITS:
            if reference:
                warm[("ref", n)].append(timed(ref(n)))
            for s in args.systems:
                warm[("ours", s, n)].append(timed(ours(s, n)))

    cold = {key: [] for key in warm}  # (import_s, first_s) of each fresh interpreter
    for _ in range(args.cold_repeat):
        for n in QUBITS:
            if reference:
                cold[("ref", n)].append(cold_run("reference", n, args))
            for s in args.systems:
                cold[("ours", s, n)].append(cold_run("ours", n, args, gates[s]))
    opcodes = {s: float(np.mean(np.diff(compile_program(
        gates[s], 2, [args.length], args.sequences, seed=1).starts))) for s in args.systems}
    return warm, cold, reference, opcodes


def cold_figures(side, runs):
    """The median cold time (import + first call) of fresh interpreters, and its two
    parts (medians of each)."""
    return {side + "_cold_s": statistics.median(i + f for i, f in runs),
            side + "_cold_import_s": statistics.median(i for i, _ in runs),
            side + "_cold_first_call_s": statistics.median(f for _, f in runs)}


def summarize(warm, cold, reference, systems):
    """``{system: {"1q": {...}, "2q": {...}}}`` of medians, bests, colds and ratios."""
    out = {}
    for s in systems:
        out[s] = {}
        for n in QUBITS:
            mine, mine_cold = warm[("ours", s, n)], cold[("ours", s, n)]
            row = {"ours_median_s": statistics.median(mine), "ours_best_s": min(mine)}
            row.update(cold_figures("ours", mine_cold))
            if reference:
                theirs, theirs_cold = warm[("ref", n)], cold[("ref", n)]
                row.update(reference_median_s=statistics.median(theirs),
                           reference_best_s=min(theirs))
                row.update(cold_figures("reference", theirs_cold))
                row.update(speedup_warm=row["reference_median_s"] / row["ours_median_s"],
                           speedup_warm_best=row["reference_best_s"] / row["ours_best_s"],
                           speedup_cold=row["reference_cold_s"] / row["ours_cold_s"])
            out[s]["{}q".format(n)] = row
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequences", type=int, default=100)
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5,
                        help="timed warm calls of each side (default 5)")
    parser.add_argument("--cold-repeat", type=int, default=3,
                        help="fresh interpreters per side and size (default 3)")
    parser.add_argument("--system", choices=SYSTEMS,
                        help="one trap's native gates only (default: both)")
    parser.add_argument("--cold", choices=["ours", "reference"], help=argparse.SUPPRESS)
    parser.add_argument("--qubits", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--gates", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold:
        return cold_child(args)
    if args.repeat < 1 or args.cold_repeat < 1:
        parser.error("--repeat and --cold-repeat must be at least 1")
    args.systems = SYSTEMS if args.system is None else (args.system,)

    warm, cold, reference, opcodes = measure(args)
    table = summarize(warm, cold, reference, args.systems)
    ref_name = reference_version() if reference else None

    print("RB generation: {} sequences x {} Cliffords, compiled to each trap's native "
          "opcodes; reference: {}".format(args.sequences, args.length,
                                          ref_name + " StandardRB(...).circuits()"
                                          if reference else "not installed"))
    print("warm: median (best) of {} interleaved calls after a warm-up; cold: median of "
          "{} fresh interpreters, import + first call (ms)".format(args.repeat,
                                                                 args.cold_repeat))

    def ms(x):
        return "{:.1f}".format(1e3 * x)

    def ratio(x):
        return "{:.0f}x".format(x)

    def cold_cell(r, side):
        return "{:.0f} ({:.0f}+{:.0f})".format(*(1e3 * r[side + key] for key in (
            "_cold_s", "_cold_import_s", "_cold_first_call_s")))

    line = "{:<6s} {:>6s} {:>13s} {:>17s} {:>11s} {:>17s} {:>18s} {:>6s}"
    print(line.format("trap", "qubits", "ours warm", "reference warm", "warm x",
                      "ours cold", "reference cold", "cold x"))
    for s in args.systems:
        for n in QUBITS:
            r = table[s]["{}q".format(n)]
            cells = [s, str(n), "{} ({})".format(ms(r["ours_median_s"]), ms(r["ours_best_s"]))]
            if reference:
                cells += ["{} ({})".format(ms(r["reference_median_s"]),
                                           ms(r["reference_best_s"])),
                          "{} ({})".format(ratio(r["speedup_warm"]),
                                           ratio(r["speedup_warm_best"])),
                          cold_cell(r, "ours"), cold_cell(r, "reference"),
                          ratio(r["speedup_cold"])]
            else:
                cells += ["-", "-", cold_cell(r, "ours"), "-", "-"]
            print(line.format(*cells))
    print("2-qubit opcodes per sequence: " + ", ".join(
        "{} {:.0f}".format(s, opcodes[s]) for s in args.systems))

    figures = {"sequences": args.sequences, "length": args.length, "repeat": args.repeat,
               "cold_repeat": args.cold_repeat, "reference": ref_name}
    for s in args.systems:
        figures[s] = {q: {k: round(v, 6 if k.endswith("_s") else 1) for k, v in r.items()}
                      for q, r in table[s].items()}
    if reference:
        figures["min_speedup_warm"] = round(min(table[s][q]["speedup_warm"]
                                                for s in args.systems for q in table[s]), 1)
        figures["min_speedup_cold"] = round(min(table[s][q]["speedup_cold"]
                                                for s in args.systems for q in table[s]), 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
