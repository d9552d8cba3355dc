"""The ``control`` command: run experiments (on hardware or the simulator) and report
what they link.

    control run FILE.py [-c Class] [name=value ...] --device-db DDB [--sim] [-o FILE.h5]
    control link FILE.py [-c Class] [name=value ...] --device-db DDB [--sim]
    control list [PATH]

Arguments are ``name=value`` with PYON values, as ``artiq_run`` takes them; a bare word
that is not PYON is a string (``system=yb171``). Errors in the input (a missing device,
an unknown argument, a bad value) are printed as one clear message and exit with status 2;
an experiment that fails exits 1 after writing what it had; Ctrl-C exits 130.
"""
import argparse
import json
import logging
import os
import sys

from control.errors import ArgumentError, DatasetError, DeviceDBError, DeviceError
from control.managers import parse_arguments
from control.modules import ModuleError
from control.results import ResultsWriteError
from control.runner import ExperimentFileError, link_experiment, run_experiment

__all__ = ["main"]

INPUT_ERRORS = (ArgumentError, DeviceDBError, DeviceError, ExperimentFileError,
                ModuleError, DatasetError, FileNotFoundError, ValueError)


def _split_class_and_arguments(args):
    """``-c Class`` (``artiq_run``'s way) or a first bare word, then ``name=value``s."""
    rest, class_name = args.rest, args.class_name
    if rest and "=" not in rest[0]:
        if class_name is not None:
            raise ArgumentError("give the class once: -c {} or {}, not both".format(
                class_name, rest[0]))
        class_name, rest = rest[0], rest[1:]
    return class_name, parse_arguments(rest)


def _load_dataset_db(path):
    """The datasets of a dataset DB file: ARTIQ's (``.mdb``) or a PYON dict."""
    if path is None:
        return {}
    if not os.path.exists(path):
        raise DatasetError("dataset database not found: {}".format(path))
    from control.datasets import open_dataset_db
    with open_dataset_db(path) as db:
        return dict(db.values)


def _common(parser):
    parser.add_argument("file", help="experiment file")
    parser.add_argument("rest", nargs="*", metavar="[Class] name=value",
                        help="optional class name, then arguments")
    parser.add_argument("-c", "--class-name", default=None,
                        help="name of the class to run (when the file holds several)")
    parser.add_argument("--device-db", default="device_db.py",
                        help="device database file (default: %(default)s)")
    parser.add_argument("--dataset-db", default=None,
                        help="PYON/JSON file of datasets (calibrations) to read")
    parser.add_argument("--sim", action="store_true",
                        help="run on the simulated backend (rewrites the device database)")
    parser.add_argument("--seed", type=int, default=None, help="simulation seed")
    parser.add_argument("--vcd", default=None, help="simulation: write a VCD waveform here")
    _verbosity(parser)


def _verbosity(parser):
    group = parser.add_argument_group("verbosity")
    group.add_argument("-v", "--verbose", action="count", default=0,
                       help="increase logging level")
    group.add_argument("-q", "--quiet", action="count", default=0,
                       help="decrease logging level")


def _sim_options(args):
    options = {}
    if args.seed is not None:
        options["seed"] = args.seed
    if args.vcd is not None:
        options["vcd"] = args.vcd
    return options


def _cmd_run(args):
    class_name, arguments = _split_class_and_arguments(args)
    run = run_experiment(args.file, class_name, arguments, args.device_db, sim=args.sim,
                         sim_options=_sim_options(args),
                         dataset_db=_load_dataset_db(args.dataset_db),
                         results_dir=args.results, hdf5=args.hdf5)
    for key, value in sorted(run.datasets.items()):
        text = repr(value)
        print("{}: {}".format(key, text if len(text) < 200 else text[:197] + "..."))
    print("results: {}".format(run.path))
    return 0


def format_link_report(report):
    """The text ``control link`` prints for ``report`` (what ``link_experiment``
    returns): per system the modules linked, then per kernel what it reaches."""
    lines = ["experiment {}".format(report["experiment"])]
    if report["experiment_invariants"]:
        lines.append("  invariants: " + ", ".join(report["experiment_invariants"]))
    for system in report["systems"]:
        lines.append("system {}".format(system["system"]))
        for row in system["modules"]:
            lines.append("  linked  {}  ({})".format(row["module"], row["class"]))
            if row["devices"]:
                lines.append("          devices:    " + ", ".join(row["devices"]))
            if row["invariants"]:
                lines.append("          invariants: " + ", ".join(row["invariants"]))
        for key in system["not_linked"]:
            lines.append("  not linked  {}".format(key))
    lines.append("devices built: " + (", ".join(report["devices_built"]) or "none"))
    for k in report.get("kernels", []):
        lines.append("kernel {}: {} kernel functions".format(k["kernel"], len(k["functions"])))
        lines.append("  modules reached: " + (", ".join(k["modules"]) or "none"))
        lines.append("  devices reached: " + (", ".join(k["devices"]) or "none"))
        folded = sum(len(v) for v in k["invariants"].values())
        lines.append("  invariants folded: {} (in {} objects)".format(
            folded, len(k["invariants"])))
    return "\n".join(lines)


def _cmd_link(args):
    class_name, arguments = _split_class_and_arguments(args)
    report = link_experiment(args.file, class_name, arguments, args.device_db, sim=args.sim,
                             sim_options=_sim_options(args),
                             dataset_db=_load_dataset_db(args.dataset_db))
    print(json.dumps(report, indent=2) if args.json else format_link_report(report))
    return 0


def _cmd_list(args):
    from control.examine import examine_path, format_listing, to_json
    examined = examine_path(args.path, dataset_db=_load_dataset_db(args.dataset_db))
    print(json.dumps(to_json(examined), indent=2) if args.json
          else format_listing(examined))
    skipped = [f for f in examined if f.error is not None]
    for f in skipped:
        logging.getLogger("control").debug("%s", f.file, exc_info=f.error)
    if skipped:
        print("error: the master would skip {} file(s): {}".format(
            len(skipped), ", ".join(f.file for f in skipped)), file=sys.stderr)
        return 1
    return 0


def build_parser():
    """The ``control`` argument parser: ``run``, ``link``, ``list`` and the commands
    other layers add as entry points."""
    parser = argparse.ArgumentParser(prog="control", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run an experiment as artiq_run does")
    _common(run)
    run.add_argument("--results", default="results", help="results folder (default: %(default)s)")
    run.add_argument("-o", "--hdf5", default=None,
                     help="write the results to this HDF5 file instead of the results folder")
    run.set_defaults(func=_cmd_run)
    link = sub.add_parser("link", help="report the modules, devices and invariants an "
                                       "experiment links")
    _common(link)
    link.add_argument("--json", action="store_true", help="print the report as JSON")
    link.set_defaults(func=_cmd_link)
    listing = sub.add_parser(
        "list", help="list the experiments of a file or folder with their arguments, "
                     "as the master's repository scan finds them")
    listing.add_argument("path", nargs="?", default="experiments",
                         help="experiment file or repository folder (default: %(default)s)")
    listing.add_argument("--dataset-db", default=None,
                         help="PYON/JSON file of datasets the scan may read")
    listing.add_argument("--json", action="store_true", help="print the listing as JSON")
    _verbosity(listing)
    listing.set_defaults(func=_cmd_list)
    for register in _plugin_commands():
        register(sub)
    return parser


def _plugin_commands():
    """Commands that other layers add (``rb``, ...), declared as entry points in the
    ``control.commands`` group: control imports none of them itself."""
    from importlib.metadata import entry_points
    found = []
    for ep in sorted(entry_points(group="control.commands"), key=lambda e: e.name):
        try:
            found.append(ep.load())
        except Exception as exc:  # a broken plugin must not take the others down
            logging.getLogger(__name__).warning("command %s unavailable: %s", ep.name, exc)
    return found


def _report_save_error(run):
    """A failed run whose results also missed their folder: say where they are."""
    if run is not None and run.save_error is not None:
        print("error: {}".format(run.save_error), file=sys.stderr)


def main(argv=None):
    """Run the ``control`` command on ``argv`` (the process's arguments if None) and
    return its exit status: 0, 1 for a failed experiment, 2 for bad input, 130 on Ctrl-C."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING + 10 * (getattr(args, "quiet", 0) - getattr(args, "verbose", 0))
    logging.basicConfig(level=level,
                        format="%(levelname)s:%(name)s:%(message)s")
    try:
        return args.func(args)
    except KeyboardInterrupt as exc:
        run = getattr(exc, "control_run", None)
        print("interrupted{}".format("; partial results: " + run.path if run and run.path
                                     else ""), file=sys.stderr)
        _report_save_error(run)
        return 130
    except ResultsWriteError as exc:
        # The run itself may have succeeded; its results are not where they belong.
        print("error: {}".format(exc), file=sys.stderr)
        return 1
    except Exception as exc:
        run = getattr(exc, "control_run", None)
        if run is None or (isinstance(exc, INPUT_ERRORS) and run.run_time is None):
            if isinstance(exc, INPUT_ERRORS):
                # Bad input (a device, an argument, a calibration): one clear line.
                print("error: {}".format(exc), file=sys.stderr)
                _report_save_error(run)
                return 2
            raise
        logging.getLogger("control").error("experiment failed", exc_info=exc)
        print("error: {}: {}\npartial results: {}".format(type(exc).__name__, exc, run.path),
              file=sys.stderr)
        _report_save_error(run)
        return 1


if __name__ == "__main__":
    sys.exit(main())
