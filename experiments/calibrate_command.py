"""``control calibrate``: maintain a trap's calibration graph over a dataset DB file.

By default on the trap's simulated twin, whose truth can be moved away from the nominal
values (``--offset``) and given faults (``--fault``); with ``--device-db`` on a crate.
Lab settings the graph does not measure (attenuations, trap RF, oven...) that the DB
lacks are first written from the trap's nominal values, each said; then the graph runs
(``experiments/calibrate.py``), and what it wrote goes back into the DB file, also when a
later node was refused (what was calibrated stays calibrated).
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

__all__ = ["register_calibrate", "run_calibrate_command", "simulated_calibration",
           "lab_settings"]


def register_calibrate(subparsers):
    """The ``calibrate`` subcommand (an entry point of ``control.commands``)."""
    from drivers import systems
    from kernels.calibration.measure import NODE_NAMES  # not the fits: start-up stays fast
    p = subparsers.add_parser(
        "calibrate", help="bring a trap's calibrations into spec (the calibration graph)",
        description="Maintain the trap's calibration graph: each node is checked when "
                    "stale and recalibrated when out of spec or missing; a fit that fails "
                    "its checks writes nothing and stops what depends on it. Exit status 1 "
                    "when a node was refused.")
    p.add_argument("--system", choices=systems.names(), required=True)
    p.add_argument("--dataset-db", required=True,
                   help="the dataset DB to read and write (ARTIQ's .mdb, or a PYON file; "
                        "created if missing)")
    p.add_argument("--node", choices=NODE_NAMES, default=None,
                   help="maintain this node and what it depends on (default: all)")
    p.add_argument("--force", action="store_true",
                   help="recalibrate the node (all nodes without --node) whatever its "
                        "state")
    p.add_argument("--device-db", default=None,
                   help="a crate's device database (default: the trap's simulated twin)")
    p.add_argument("--offset", action="append", default=[], metavar="NAME=VALUE",
                   help="simulation: move the trap's truth, e.g. rabi_scale=1.05, "
                        "resonance_hz=[2e4,-2e4], bright_rate_scale=0.9, "
                        "ms_detuning_hz=2e3 (drivers/systems/simkit.py)")
    p.add_argument("--fault", action="append", default=[], metavar="DEVICE=KIND",
                   help="simulation: inject a fault, e.g. pmt0=disconnected")
    p.add_argument("--seed", type=int, default=None, help="simulation seed")
    p.add_argument("-q", "--quiet", action="count", default=0)
    p.set_defaults(func=run_calibrate_command)


def _pairs(option, items):
    from control import pyon
    from control.errors import ArgumentError
    out = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise ArgumentError("{} {!r}: give NAME=VALUE".format(option, item))
        try:
            out[name] = pyon.decode(text)
        except Exception:
            out[name] = text
    return out


def lab_settings(system, values):
    """The calibrations the trap's modules read that the graph does not measure and
    ``values`` lacks, where the trap has a nominal value: key -> that value."""
    from control.calibrations import needed_calibrations
    from control.device_db import load_device_db
    from control.sim import enable
    from drivers import systems
    from kernels.calibration.measure import KeyRef

    config = systems.sim_config(system)
    specs = needed_calibrations(systems.system_class(system),
                                enable(load_device_db(systems.device_db_path(system)),
                                       **config), config["datasets"])
    measured = set()
    for refs in systems.system_class(system).calibration_roles.values():
        for ref in [refs] if isinstance(refs, str) else refs:
            measured.add(KeyRef.parse(system, ref).key)
    nominal = systems.nominal_calibrations(system)
    # The lab's design value wins over a module's default (a DDS amplitude of 1).
    return {key: nominal[key] for key in sorted(specs)
            if key not in measured and key not in values and key in nominal}


def simulated_calibration(system, *, dataset_db=None, seed=0, faults=None,
                          **sim_overrides):
    """``experiments/calibrate.py`` built (not run) on ``system``'s simulated twin with
    no default datasets (the twin's values come from ``dataset_db`` only) and its truth
    as ``sim_overrides`` set it (``truth_offsets``, ``drift``...): a
    ``control.runner.Run``. Tests and benchmarks drive its ``make_maintainer()``."""
    from control.runner import build_experiment
    from drivers import systems
    config = systems.sim_config(system, seed=seed, **sim_overrides)
    config["datasets"] = {}
    if faults:
        config["faults"] = faults
    return build_experiment(os.path.join(HERE, "calibrate.py"), "Calibrate",
                            {"system": system}, systems.device_db_path(system), sim=True,
                            sim_options=config, dataset_db=dict(dataset_db or {}))


def run_calibrate_command(args):
    """Settings, then the graph, then the DB file; 0 when every node is in spec."""
    from tqdm import tqdm

    from control.datasets import open_dataset_db
    from control.device_db import load_device_db
    from control.runner import run_experiment
    from control.sim import resolve
    from drivers import systems
    from kernels.calibration.graph import CalibrationFailed

    sim = args.device_db is None
    with open_dataset_db(args.dataset_db) as db:
        settings = lab_settings(args.system, db.values)
        for key, value in settings.items():
            db.set(key, value)
            print("setting  {} = {!r} (nominal)".format(key, value))
        db.save()
        values = dict(db.values)
    options = {}
    if sim:
        ddb = load_device_db(systems.device_db_path(args.system))
        faults = {resolve(ddb, dev): {kind: True}
                  for dev, kind in _pairs("--fault", args.fault).items()}
        options = systems.sim_config(args.system, seed=args.seed,
                                     truth_offsets=_pairs("--offset", args.offset) or None)
        options["datasets"] = {}
        if faults:
            options["faults"] = faults
    device_db = systems.device_db_path(args.system) if sim else args.device_db
    arguments = {"system": args.system, "node": args.node or "all", "force": args.force}
    bar = None

    def on_broadcast(key, value):
        nonlocal bar
        if key != "calibration.scan" or args.quiet:
            return
        done, total = value
        if bar is None:
            bar = tqdm(total=total, unit="point", leave=False, desc="scan")
        bar.update(done - bar.n)
        if done >= total:
            bar.close()
            bar = None

    run, failure = None, None
    try:
        run = run_experiment(os.path.join(HERE, "calibrate.py"), "Calibrate", arguments,
                             device_db, sim=sim, sim_options=options, dataset_db=values,
                             write=False, on_broadcast=on_broadcast)
    except CalibrationFailed as exc:
        run, failure = exc.control_run, exc
    finally:
        if bar is not None:
            bar.close()
    written = run.dataset_mgr.persisted() if run is not None else {}
    with open_dataset_db(args.dataset_db) as db:
        for key, value in sorted(written.items()):
            if not key.startswith("calibration."):
                db.set(key, value)
        db.save()
    print("{}: {} dataset(s) written".format(args.dataset_db, len(written)))
    if failure is not None:
        print("calibration failed: {}".format(failure))
        return 1
    return 0
