"""How much of the executed code the two traps share.

Runs the same 1-qubit RB (and the same HIL checks) on each simulated trap under
coverage.py and reports, per layer (``control``, ``kernels``, ``drivers``) and overall,
the share of covered statements that both runs executed: |A ∩ B| / |A ∪ B| over
(file, line) pairs. The last line is JSON.

Two scopes. *Code* is what runs in the lab too: it leaves out the simulator's device
twins and timeline (``control/sim``: on hardware ARTIQ's own drivers run in their place,
and they differ as the chips do) and each trap's configuration data (its device database
and simulator config, ``drivers/systems/<trap>/device_db*.py`` and ``sim.py``). This is
the figure the goals refer to (``shared_rb``, ``shared_hil`` and the per-layer keys).
*Everything* counts every executed statement of the three folders
(``shared_rb_everything``). Import-time lines count for neither trap: both runs are
warmed up first in the same process.

    python benchmarks/code_sharing.py
"""
import contextlib
import io
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

LAYERS = ("control", "kernels", "drivers")


def covered(job):
    import coverage
    cov = coverage.Coverage(data_file=None, source=[os.path.join(ROOT, layer) for layer in LAYERS])
    cov.start()
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the runs' own printouts
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
CONFIG_FILES = ("device_db.py", "device_db_sim.py", "sim.py")


def is_code(item):
    """Project code that runs in the lab too (see the module docstring)."""
    path = item[0]
    if path.startswith(SIM):
        return False
    return not (path.startswith(os.path.join("drivers", "systems") + os.sep)
                and os.path.basename(path) in CONFIG_FILES)


def shares(a, b):
    """Shared fraction per group: each layer's code, all code, and everything."""
    out = {}
    groups = {layer: (lambda x, layer=layer: x[0].startswith(layer + os.sep) and is_code(x))
              for layer in LAYERS}
    groups["code"] = is_code
    groups["everything"] = lambda x: True
    for name, keep in groups.items():
        aa = {x for x in a if keep(x)}
        bb = {x for x in b if keep(x)}
        union = aa | bb
        out[name] = len(aa & bb) / len(union) if union else float("nan")
        out[name + " statements"] = (len(aa & bb), len(union))
    return out


def main():
    import logging
    import tempfile
    logging.disable(logging.WARNING)
    os.chdir(tempfile.mkdtemp(prefix="code-sharing-"))  # the runs' figures go there
    # run everything once first, so import-time lines count for neither run
    with contextlib.redirect_stdout(io.StringIO()):
        for system in ("yb171", "ca40"):
            rb_job(system)()
            hil_job(system)()
    rb = shares(covered(rb_job("yb171")), covered(rb_job("ca40")))
    hil = shares(covered(hil_job("yb171")), covered(hil_job("ca40")))
    print("statements executed by both traps / executed by either (coverage.py)")
    print("{:<28s} {:>18s} {:>18s}".format("scope", "RB", "HIL"))

    def cell(d, key):
        both, union = d[key + " statements"]
        return "{:5.1f}% ({}/{})".format(100 * d[key], both, union)
    for key, label in [(layer, layer + " (code)") for layer in LAYERS] + \
            [("code", "all code"), ("everything", "everything (+ sim, config)")]:
        print("{:<28s} {:>18s} {:>18s}".format(label, cell(rb, key), cell(hil, key)))
    figures = {"shared_rb": round(rb["code"], 4), "shared_hil": round(hil["code"], 4),
               "shared_rb_everything": round(rb["everything"], 4),
               "shared_hil_everything": round(hil["everything"], 4)}
    figures.update({"rb_" + k: round(rb[k], 4) for k in LAYERS})
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
