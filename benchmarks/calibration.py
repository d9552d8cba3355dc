"""What calibration costs, and what it buys: shots and simulated time to bring each
simulated trap up from an empty dataset DB (its truth offset as on a first day:
``experiments.calibration_study.BOOTSTRAP_OFFSETS``), to maintain it after one qubit's
frequency drifts, against recalibrating every node; and RB's error per Clifford after the
bootstrap against RB on a perfectly calibrated trap (same seeds).

The maintenance scenario: after the bootstrap, qubit 0's resonance steps by
``--step`` Hz and ``--idle`` seconds of simulated time pass (longer than the qubit
frequencies are trusted, shorter than the other nodes are); ``maintain`` then checks what
is stale and recalibrates what is out of spec. "Recalibrate all" is ``maintain(force=True)``
from the same state: every node measured again from its current value.

    python benchmarks/calibration.py [--system yb171|ca40] [--seed N] [--rb-samples N]

Prints a table per trap, then one line of JSON:
``{trap: {"bootstrap_shots", "maintain_shots", "recalibrate_all_shots",
"maintain_ratio", "bootstrap_sim_s", "maintain_sim_s", "recalibrate_all_sim_s",
"epc_calibrated", "epc_ideal", "max_abs_pull"}}``.
"""
import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from drivers import systems  # noqa: E402
from experiments import calibration_study as study  # noqa: E402


def measure(system, seed, step_hz, idle_s, rb_samples, rb_shots):
    """The figures of one trap."""
    drift_at = 100.0  # s of simulated time: after the bootstrap, before the idle ends
    session = study.bootstrap(system, seed=seed, drift=[
        {"param": "resonance_hz", "qubit": 0, "steps": [[drift_at, step_hz]]}])
    t0, n0 = session.sim_time(), session.shots
    boot = session.maintainer.maintain()
    if not boot.ok:
        raise SystemExit("{}: the bootstrap failed:\n{}".format(system, boot.summary_table()))
    pulls = study.compare_with_truth(session)
    out = {"bootstrap_shots": session.shots - n0, "bootstrap_sim_s": session.sim_time() - t0}
    boot_datasets = session.datasets()

    study.advance(session, max(0.0, drift_at - session.sim_time()) + idle_s)
    t0, n0 = session.sim_time(), session.shots
    maint = session.maintainer.maintain()
    out["maintain_shots"] = session.shots - n0
    out["maintain_sim_s"] = session.sim_time() - t0
    out["maintain_recalibrated"] = list(maint.calibrated)
    t0, n0 = session.sim_time(), session.shots
    session.maintainer.maintain(force=True)
    out["recalibrate_all_shots"] = session.shots - n0
    out["recalibrate_all_sim_s"] = session.sim_time() - t0
    out["maintain_ratio"] = out["recalibrate_all_shots"] / max(1, out["maintain_shots"])

    ideal = study.rb_epc(system, seed=seed, samples=rb_samples, shots=rb_shots)
    calibrated = study.rb_epc(system, boot_datasets, study.BOOTSTRAP_OFFSETS, seed=seed,
                              samples=rb_samples, shots=rb_shots)
    out["epc_ideal"] = float(ideal["epc"])
    out["epc_calibrated"] = float(calibrated["epc"])
    out["max_abs_pull"] = max(abs(row.pull) for row in pulls
                              if not row.name.endswith("threshold"))
    out["all_within_truth"] = all(row.within for row in pulls)
    return out, pulls, boot, maint


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--system", choices=systems.names(), action="append")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--step", type=float, default=3e3,
                        help="qubit 0's frequency step (Hz)")
    parser.add_argument("--idle", type=float, default=900.0,
                        help="simulated seconds between bootstrap and maintenance")
    parser.add_argument("--rb-samples", type=int, default=10)
    parser.add_argument("--rb-shots", type=int, default=50)
    args = parser.parse_args()
    figures = {}
    for system in args.system or systems.names():
        out, pulls, boot, maint = measure(system, args.seed, args.step, args.idle,
                                          args.rb_samples, args.rb_shots)
        figures[system] = out
        print("== {}: bootstrap from an empty dataset DB, truth offset {}".format(
            system, study.BOOTSTRAP_OFFSETS))
        print(boot.summary_table())
        print("\n{:<36} {:>14} {:>11} {:>14} {:>7}  {}".format(
            "calibration", "value", "± (1σ)", "truth", "pull", "within"))
        for row in pulls:
            print("{:<36} {:>14.8g} {:>11.3g} {:>14.8g} {:>7.2f}  {}".format(
                row.name, row.value, row.uncertainty, row.truth, row.pull,
                "yes" if row.within else "NO"))
        print("\n== {}: maintenance after qubit 0 moved {:+.0f} Hz".format(system,
                                                                       args.step))
        print(maint.summary_table())
        print("\n{:<28} {:>10} {:>16}".format("", "shots", "simulated time"))
        for label, key in (("bootstrap", "bootstrap"), ("maintain after drift", "maintain"),
                           ("recalibrate everything", "recalibrate_all")):
            print("{:<28} {:>10} {:>14.1f} s".format(label, out[key + "_shots"],
                                                      out[key + "_sim_s"]))
        print("maintenance needs {:.1f}x fewer shots than recalibrating everything".format(
            out["maintain_ratio"]))
        print("RB error per Clifford: {:.4g} after the bootstrap, {:.4g} perfectly "
              "calibrated (ratio {:.3f})\n".format(out["epc_calibrated"], out["epc_ideal"],
                                                   out["epc_calibrated"] / out["epc_ideal"]))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
