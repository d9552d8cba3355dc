"""RB scaling on the simulator: wall time and peak memory of a 1-qubit RB run with 10, 100
and 1000 sequences of about 1000 Cliffords (1 shot each; ten lengths a step apart, as RB
needs distinct lengths), each in a fresh process, to show that time grows linearly with the
work and memory stays bounded. Last line is JSON.

    python benchmarks/rb_scaling.py [--counts 10,100,1000] [--length 1000]
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import json, resource, sys, time, logging
sys.path.insert(0, {root!r})
logging.disable(logging.WARNING)
from control import pyon
from control.runner import run_experiment
from drivers import systems
n, length = {n}, {length}
# n sequences: ten lengths a step apart (RB refuses repeats), n / 10 samples each
args = {{"system": "yb171", "n_qubits": 1,
         "lengths": pyon.encode([length + i for i in range(10)]),
         "samples": max(1, n // 10), "shots": 1, "seed": 1}}
t = time.perf_counter()
try:
    run_experiment({rb!r}, "RB", args, systems.device_db_path("yb171"), sim=True,
                   sim_options=systems.sim_config("yb171"), write=False)
except Exception as exc:
    run = getattr(exc, "control_run", None)
    if run is None or run.run_time is None:
        raise  # failed before running: nothing measured
    # one shot a sequence may not fit: the analysis may refuse, the run is what is measured
wall = time.perf_counter() - t
print(json.dumps({{"wall_s": wall,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", default="10,100,1000")
    parser.add_argument("--length", type=int, default=1000)
    args = parser.parse_args()
    rows = []
    for n in [int(x) for x in args.counts.split(",")]:
        code = CHILD.format(root=ROOT, n=n, length=args.length,
                            rb=os.path.join(ROOT, "experiments", "rb.py"))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             cwd=os.path.join(ROOT, "benchmarks"))
        line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
        if not line:
            print(out.stderr[-2000:])
            return 1
        r = json.loads(line[-1])
        rows.append((n, r["wall_s"], r["peak_rss_mb"]))
    print("1-qubit RB on the simulated yb171, sequences of {} Cliffords, 1 shot".format(
        args.length))
    print("{:>10s} {:>10s} {:>16s} {:>14s}".format("sequences", "wall (s)",
                                                    "s per sequence", "peak RSS (MB)"))
    for n, wall, rss in rows:
        print("{:>10d} {:>10.2f} {:>16.4f} {:>14.0f}".format(n, wall, wall / n, rss))
    per = [w / n for n, w, _ in rows]
    print(json.dumps({"sequences": [r[0] for r in rows],
                      "wall_s": [round(r[1], 3) for r in rows],
                      "peak_rss_mb": [round(r[2], 1) for r in rows],
                      "time_per_sequence_ratio_last_first": round(per[-1] / per[0], 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
