"""How much of the executed code the two traps share.

Runs the same 1-qubit RB (and the same HIL checks) on each simulated trap under
coverage.py and reports, per layer (``control``, ``kernels``, ``drivers``) and overall,
the share of covered statements that both runs executed: |A ∩ B| / |A ∪ B| over
(file, line) pairs. The last line is JSON.

    python benchmarks/code_sharing.py
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

LAYERS = ("control", "kernels", "drivers")


def covered(job):
    import coverage
    cov = coverage.Coverage(data_file=None, source=[os.path.join(ROOT, l) for l in LAYERS])
    cov.start()
    try:
        job()
    finally:
        cov.stop()
    data = cov.get_data()
    lines = set()
    for path in data.measured_files():
        rel = os.path.relpath(path, ROOT)
        for n in data.lines(path) or ():
            lines.add((rel, n))
    return lines


def rb_job(system):
    def job():
        from control import pyon
        from control.runner import run_experiment
        from drivers import systems
        run_experiment(os.path.join(ROOT, "experiments", "rb.py"), "RB",
                       {"system": system, "n_qubits": 1, "lengths": pyon.encode([1, 5, 10, 20]),
                        "samples": 3, "shots": 10}, systems.device_db_path(system), sim=True,
                       sim_options=systems.sim_config(system, errors={"depolarizing": 0.02}),
                       write=False)
    return job


def hil_job(system):
    def job():
        from hil import checks
        from hil.target import HilTarget
        t = HilTarget(system)
        for check in checks.CHECKS.values():
            check(t)
        t.close()
    return job


SIM = os.path.join("control", "sim") + os.sep


def shares(a, b):
    out = {}
    groups = {layer: (lambda x, layer=layer: x[0].startswith(layer + os.sep))
              for layer in LAYERS}
    groups["overall"] = lambda x: True
    groups["without sim"] = lambda x: not x[0].startswith(SIM)
    for name, keep in groups.items():
        aa = {x for x in a if keep(x)}
        bb = {x for x in b if keep(x)}
        union = aa | bb
        out[name] = len(aa & bb) / len(union) if union else float("nan")
    return out


def main():
    import logging
    import tempfile
    logging.disable(logging.WARNING)
    os.chdir(tempfile.mkdtemp(prefix="code-sharing-"))  # the runs' figures go there
    # run everything once first, so import-time lines count for neither run
    for system in ("yb171", "ca40"):
        rb_job(system)()
        hil_job(system)()
    rb = shares(covered(rb_job("yb171")), covered(rb_job("ca40")))
    hil = shares(covered(hil_job("yb171")), covered(hil_job("ca40")))
    print("statements executed by both traps / executed by either (coverage.py)")
    print("{:<12s} {:>8s} {:>8s}".format("layer", "RB", "HIL"))
    for layer in LAYERS + ("overall", "without sim"):
        print("{:<12s} {:>7.1f}% {:>7.1f}%".format(layer, 100 * rb[layer], 100 * hil[layer]))
    figures = {"shared_rb": round(rb["overall"], 4), "shared_hil": round(hil["overall"], 4),
               "shared_rb_without_sim": round(rb["without sim"], 4)}
    figures.update({"rb_" + k: round(v, 4) for k, v in rb.items() if k in LAYERS})
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
