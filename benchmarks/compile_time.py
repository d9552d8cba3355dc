"""What the abstraction costs at compile time: ARTIQ's compiler on the RB gate path through
the HAL against the flat hand-written kernel of the same pulses, per trap. Needs ARTIQ
(its compiler, RISC-V, no hardware); without it, it says so and exits 0.

Both kernels are the pair ``benchmarks/kernel_cost.py`` compares (``hal_gate_path`` and
the trap's flat kernel from ``benchmarks/flat_kernels.py``, checked by
``tests/test_kernel_cost_reference.py`` to play the same RTIO events), compiled the way a
lab runs them: ``Core.run`` on a core whose ``host`` is None (what ``artiq_run`` does on
a host-less core), which compiles, links and stops at the dummy comm. Each is compiled
``--repeat`` times, interleaved (HAL, flat, HAL, flat, ...) so that a busy machine slows
both alike; the figure is the ratio of the medians. A kernel that does nothing but
``break_realtime`` is timed the same way, as the floor every compile pays.

Python's garbage collector is held to the same state for every compile: a collection
runs before each timed compile, outside the timer, which restarts the collector's counts,
so that no compile of these kernels reaches a full collection; after the warm-up round the
process's own objects (the built trap, numpy, qiskit, ARTIQ's modules: some 90,000) are
frozen out of the collector (``gc.freeze``), which keeps that collection short. Without
this, a full collection (0.08-0.2 s: the process's objects and the compile's own, against
0.2 s for a ca40 compile) falls in whichever compile the count since the last one happens
to cross the threshold: about half of them, in an order set by what ran before, so the
medians were a coin toss (ca40 1.5-1.7x reported, 0.98-1.19x here, with best-of ratios
1.13-1.21x). The compile's young-generation collections still count. ``--gc-as-is``
times without this.

    python benchmarks/compile_time.py [--system yb171|ca40 ...] [--repeat 7] [--gc-as-is]
"""
import argparse
import contextlib
import gc
import json
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.kernel_cost import NO_ARTIQ, build_trap, compile_case, missing  # noqa: E402


def _floor_kernel(env):
    """A kernel with nothing in it but ``break_realtime``: the compile's fixed cost."""
    from control.lang import EnvExperiment, kernel

    class Floor(EnvExperiment):
        def build(self):
            self.setattr_device("core")

        @kernel
        def run(self):
            self.core.break_realtime()

    return Floor(env)


def _compile_seconds(compile_once, gc_control=True):
    # ARTIQ prints a banner for every ELF it dumps: keep the table readable.
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        if gc_control:
            gc.collect()  # every compile starts from the same collector state
        start = time.perf_counter()
        compile_once()
        return time.perf_counter() - start


def _run_floor(floor, folder):
    os.environ["ARTIQ_DUMP_ELF"] = os.path.join(folder, "floor")
    try:
        floor.run()
    except Exception:  # the dummy comm cannot run kernels; compiling is what is timed
        if not os.path.exists(os.path.join(folder, "floor.elf")):
            raise


def measure(system, repeat, folder, gc_control=True):
    """Compile seconds per kernel (lists, one entry a repeat) on ``system``; with
    ``gc_control`` the collector is held to one state for every compile (module
    docstring)."""
    from benchmarks.flat_kernels import gate_chunk

    env, ops = build_trap(system)
    chunk = gate_chunk(ops.native_gates(), length=6, seed=1)
    floor = _floor_kernel(env)
    times = {"hal": [], "flat": [], "floor": []}
    try:
        # the first round warms imports and caches up: dropped
        for round_ in range(repeat + 1):
            for key, once in (
                    ("hal", lambda: compile_case(env, ops, "a_hal", chunk, folder)),
                    ("flat", lambda: compile_case(env, ops, "b_flat", chunk, folder)),
                    ("floor", lambda: _run_floor(floor, folder))):
                times[key].append(_compile_seconds(once, gc_control))
            if round_ == 0 and gc_control:
                gc.collect()
                gc.freeze()  # what exists now is the process's, not a compile's
    finally:
        gc.unfreeze()
    return {key: values[1:] for key, values in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--system", action="append", default=None,
                        help="a trap (repeatable; default: both)")
    parser.add_argument("--repeat", type=int, default=7, help="compiles per kernel")
    parser.add_argument("--gc-as-is", action="store_true",
                        help="leave the garbage collector alone (full collections of the "
                             "whole process then land in compiles at random)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if missing("compile_time", "artiq", "no ARTIQ", NO_ARTIQ):
        return 0
    from drivers import systems
    traps = args.system or systems.names()
    folder = tempfile.mkdtemp(prefix="compile-time-")
    figures = {}
    print("ARTIQ compile time, RB gate path: HAL against the flat kernel of the same "
          "pulses (median of {}, s; {})".format(
              args.repeat, "garbage collector as is" if args.gc_as_is else
              "the process's objects frozen out of the garbage collector"))
    print("{:<8s} {:>10s} {:>10s} {:>10s} {:>12s} {:>18s}".format(
        "trap", "HAL", "flat", "floor", "HAL / flat", "(HAL-floor)/(flat-floor)"))
    for trap in traps:
        t = measure(trap, args.repeat, folder, gc_control=not args.gc_as_is)
        hal, flat, floor = (statistics.median(t[k]) for k in ("hal", "flat", "floor"))
        above = (hal - floor) / (flat - floor) if flat > floor else float("nan")
        figures[trap] = {"compile_ratio_vs_flat": round(hal / flat, 3),
                         "hal_s": round(hal, 4), "flat_s": round(flat, 4),
                         "floor_s": round(floor, 4),
                         "ratio_above_floor": round(above, 3),
                         "best_ratio": round(min(t["hal"]) / min(t["flat"]), 3)}
        print("{:<8s} {:>10.3f} {:>10.3f} {:>10.3f} {:>12.3f} {:>18.3f}".format(
            trap, hal, flat, floor, hal / flat, above))
    print("floor: a kernel that only calls break_realtime (what any compile pays: "
          "embedding, LLVM, linking)")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
