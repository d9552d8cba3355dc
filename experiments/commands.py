"""Command-line front ends that ``control`` loads as plugins (entry points in the
``control.commands`` group): ``control rb`` runs ``experiments/rb.py`` on a trap's
simulated twin (or on its crate with ``--device-db``) with a progress bar, prints the
fit and writes HDF5 + PNG."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def _lengths(text):
    from control.errors import ArgumentError
    parts = [p for p in text.replace(",", " ").split() if p]
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise ArgumentError("--lengths: {!r} is not a list of integers; give at least 3 "
                            "distinct positive integers, comma separated, e.g. "
                            "1,20,50,100".format(text)) from None


#: Seeds the RB experiment takes (its ``seed`` argument's range).
SEED_RANGE = (0, 2 ** 31 - 1)


def _check_probability(option, value, what):
    """A noise option: a finite probability in [0, 1], or an ``ArgumentError``."""
    import math
    from control.errors import ArgumentError
    if value is None:
        return
    if not math.isfinite(value):
        raise ArgumentError("{}: {} is not a finite number; allowed range [0, 1] ({})"
                            .format(option, value, what))
    if not 0.0 <= value <= 1.0:
        raise ArgumentError("{}: {} is outside the allowed range [0, 1] ({})".format(
            option, value, what))


def _check_at_least_one(option, value, what):
    from control.errors import ArgumentError
    if value < 1:
        raise ArgumentError("{}: {} is outside the allowed range [1, inf) ({})".format(
            option, value, what))


def _check_seed(value):
    from control.errors import ArgumentError
    lo, hi = SEED_RANGE
    if not lo <= value <= hi:
        raise ArgumentError("--seed: {} is outside the allowed range [{}, {}]".format(
            value, lo, hi))


def _sim_config(system, **overrides):
    """``systems.sim_config``, with a device its ion model looks up in the trap's device
    database and does not find said as a ``DeviceError`` naming the device, the model
    and the database (a ``KeyError`` traceback before)."""
    from importlib import import_module
    from control.errors import DeviceError
    from drivers import systems
    try:
        return systems.sim_config(system, **overrides)
    except KeyError as exc:
        model = import_module(systems.SYSTEMS[system] + ".sim").__file__
        raise DeviceError("the simulated {} trap's ion model ({}) needs a device that its "
                          "device database {} lacks: {}".format(
                              system, model, systems.device_db_path(system),
                              exc.args[0] if exc.args else exc)) from None


def check_rb_command(args):
    """Every value of ``control rb`` checked before any work (no results folder, no run
    ID, no trap built): the noise options, the seed, and the sizes RB's ``build`` checks
    too (lengths, samples, shots, the program's memory), named as the command names
    them. Returns the lengths."""
    from kernels.rb import check_rb_arguments
    lengths = _lengths(args.lengths)
    _check_probability("--depolarizing", args.depolarizing,
                       "simulator: depolarizing probability per single-qubit pulse")
    _check_probability("--depolarizing-2q", args.depolarizing_2q,
                       "simulator: depolarizing probability per MS gate")
    _check_seed(args.seed)
    if args.interleave:
        from control.errors import ArgumentError
        from kernels.rb import interleave_index
        try:
            interleave_index(args.interleave, args.qubits)
        except ValueError as exc:
            raise ArgumentError("--interleave: {}".format(exc)) from None
    if args.device_db is not None:
        from control.errors import ArgumentError
        for option, value in (("--depolarizing", args.depolarizing),
                              ("--depolarizing-2q", args.depolarizing_2q),
                              ("--vcd", args.vcd)):
            if value is not None:
                raise ArgumentError("{}: {} sets the simulator, and --device-db {} runs "
                                    "on a crate; drop one of them".format(
                                        option, value, args.device_db))
    return check_rb_arguments(args.qubits, lengths, args.samples, args.shots,
                              interleaved=bool(args.interleave),
                              names={"lengths": "--lengths", "samples": "--samples",
                                     "shots": "--shots"})


def register_rb(subparsers):
    from drivers import systems
    p = subparsers.add_parser(
        "rb", help="randomized benchmarking on a trap (the simulator by default)")
    p.add_argument("--system", choices=systems.names(), required=True)
    p.add_argument("--qubits", type=int, choices=(1, 2), default=1)
    p.add_argument("--lengths", default="1,20,50,100,200",
                   help="sequence lengths (Cliffords), comma separated")
    p.add_argument("--samples", type=int, default=10, help="sequences per length")
    p.add_argument("--shots", type=int, default=50, help="shots per sequence")
    p.add_argument("--interleave", default="", help="gate to interleave (x, h, cz, ms, ...)")
    p.add_argument("--final-pauli", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-dma", dest="dma", action="store_false",
                   help="play every gate of every shot from the CPU instead of recording "
                        "each sequence once with DMA (long sequences can underflow)")
    p.add_argument("--device-db", default=None,
                   help="run on this crate's device database instead of the simulator")
    p.add_argument("--depolarizing", type=float, default=None,
                   help="simulator: depolarizing probability per single-qubit pulse")
    p.add_argument("--depolarizing-2q", type=float, default=None,
                   help="simulator: depolarizing probability per MS gate")
    p.add_argument("--results", default="results")
    p.add_argument("--vcd", default=None, help="simulator: waveform file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_rb_command)


def run_rb_command(args):
    from tqdm import tqdm

    from control.runner import run_experiment
    from drivers import systems

    from control import pyon
    lengths = check_rb_command(args)
    # PYONValue arguments travel as PYON text, as the dashboard sends them.
    arguments = {"system": args.system, "n_qubits": args.qubits,
                 "lengths": pyon.encode(lengths), "samples": args.samples,
                 "shots": args.shots, "interleave": args.interleave,
                 "final_pauli": args.final_pauli, "seed": args.seed, "dma": args.dma}
    sim = args.device_db is None
    device_db = systems.device_db_path(args.system) if sim else args.device_db
    options = {}
    if sim:
        errors = None
        if args.depolarizing is not None or args.depolarizing_2q is not None:
            from importlib import import_module
            errors = dict(import_module(systems.SYSTEMS[args.system] + ".sim").ERRORS)
            if args.depolarizing is not None:
                errors["depolarizing"] = args.depolarizing
            if args.depolarizing_2q is not None:
                errors["depolarizing_2q"] = args.depolarizing_2q
        options = _sim_config(args.system, errors=errors, seed=args.seed, vcd=args.vcd)
    n_sequences = len(lengths) * args.samples * (2 if args.interleave else 1)
    bar = tqdm(total=n_sequences, unit="seq", disable=args.quiet,
               desc="RB {} {}q".format(args.system, args.qubits))

    def on_broadcast(key, value):
        if key == "rb.progress":
            bar.update(int(value) - bar.n)

    try:
        run = run_experiment(os.path.join(HERE, "rb.py"), "RB", arguments, device_db,
                             sim=sim, sim_options=options, results_dir=args.results,
                             on_broadcast=on_broadcast)
    finally:
        bar.close()
    if sim:
        # What the simulated ions should give: the configured error per native gate,
        # through the pulses each Clifford compiled to on this trap.
        errors = options["model"]["errors"]
        compiler = run.experiment.rb.program.compiler
        alpha = compiler.expected_decay(errors.get("depolarizing", 0.0),
                                        errors.get("depolarizing_2q", 0.0))
        d = 2 ** args.qubits
        print("ion model: {} -> expected error per Clifford {:.3g} ({:.2f} single-qubit "
              "pulses, {:.2f} MS gates per Clifford on {})".format(
                  ", ".join("{} {}".format(k, v) for k, v in sorted(errors.items())) or
                  "no errors", (d - 1) / d * (1 - alpha), compiler.mean_pulses_1q(),
                  compiler.gates_2q.mean(), args.system))
    print("results: {}".format(run.path))
    print("plot:    {}".format(run.datasets.get("rb.plot")))
    return 0


def register_circuit(subparsers):
    from drivers import systems
    p = subparsers.add_parser("circuit", help="run an OpenQASM circuit on a trap "
                                              "(the simulator by default)")
    p.add_argument("file", help="OpenQASM 2 or 3 file")
    p.add_argument("--system", choices=systems.names(), required=True)
    p.add_argument("--shots", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device-db", default=None,
                   help="run on this crate's device database instead of the simulator")
    p.add_argument("--results", default="results")
    p.set_defaults(func=run_circuit_command)


def _read_circuit_file(path):
    """The text of ``control circuit``'s file, or an ``ArgumentError`` saying why not."""
    from control.errors import ArgumentError
    if not os.path.exists(path):
        raise ArgumentError("file: {}: no such file (give an OpenQASM 2 or 3 file)".format(
            path))
    if os.path.isdir(path):
        raise ArgumentError("file: {}: is a directory, not an OpenQASM file".format(path))
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except UnicodeDecodeError as exc:
        raise ArgumentError("file: {}: is not text (OpenQASM is UTF-8 text): {}".format(
            path, exc)) from None
    except OSError as exc:
        raise ArgumentError("file: {}: cannot be read: {}".format(
            path, exc.strerror or exc)) from None


def run_circuit_command(args):
    from control.runner import run_experiment
    from drivers import systems
    qasm = _read_circuit_file(args.file)
    _check_at_least_one("--shots", args.shots, "repetitions of the circuit")
    _check_seed(args.seed)
    sim = args.device_db is None
    device_db = systems.device_db_path(args.system) if sim else args.device_db
    options = _sim_config(args.system, seed=args.seed) if sim else {}
    run = run_experiment(os.path.join(HERE, "circuit.py"), "Circuit",
                         {"system": args.system, "qasm": qasm, "shots": args.shots},
                         device_db, sim=sim, sim_options=options, results_dir=args.results)
    print("results: {}".format(run.path))
    print("plot:    {}".format(run.datasets.get("circuit.plot")))
    return 0


def register_calibrations(subparsers):
    from drivers import systems
    p = subparsers.add_parser(
        "calibrations",
        help="list a trap's calibrations and write its starting set into a dataset DB",
        description="List every calibration a trap's modules read, with the value a "
                    "dataset DB holds and whether it is missing or out of range; with "
                    "--from, write the missing ones (ARTIQ's LMDB for a .mdb path, which "
                    "needs ARTIQ; a PYON file otherwise). Values already in the DB are "
                    "kept unless --force. Exit status 1 while anything needed is missing "
                    "or out of range. Change a master's DB only while it is stopped.")
    p.add_argument("--system", choices=systems.names(), required=True)
    p.add_argument("--dataset-db", required=True,
                   help="the dataset DB (e.g. the master's dataset_db.mdb)")
    p.add_argument("--from", dest="source", default=None, metavar="nominal|sim|FILE.pyon",
                   help="write values from the trap's nominal values ('nominal': its "
                        "design values, drivers/systems/<trap>/nominal.py), its simulated "
                        "twin's datasets ('sim') or a PYON file of dataset name -> value")
    p.add_argument("--force", action="store_true",
                   help="replace values the DB already holds")
    p.add_argument("--show", action="store_true",
                   help="only print the table (the default without --from)")
    p.set_defaults(func=run_calibrations_command)


def _calibration_source(system, source):
    from control import pyon
    from control.errors import DatasetError
    from drivers import systems
    if source == "nominal":
        return systems.nominal_calibrations(system), "{}'s nominal values".format(system)
    if source == "sim":
        return systems.sim_config(system)["datasets"], "{}'s simulator defaults".format(
            system)
    if not os.path.isfile(source):
        raise DatasetError("--from {}: no such file (give 'nominal', 'sim' or a PYON "
                           "file)".format(source))
    with open(source) as f:
        values = pyon.decode(f.read())
    if not isinstance(values, dict):
        raise DatasetError("--from {}: must hold a dict of dataset name -> value".format(
            source))
    return values, source


def run_calibrations_command(args):
    from control.calibrations import check, format_status, needed_calibrations
    from control.datasets import open_dataset_db
    from control.device_db import load_device_db
    from control.errors import DatasetError
    from control.sim import enable
    from drivers import systems

    config = systems.sim_config(args.system)
    # What the trap reads, found by building all its modules on its simulated twin.
    specs = needed_calibrations(systems.system_class(args.system),
                                enable(load_device_db(systems.device_db_path(args.system)),
                                       **config),
                                config["datasets"])
    with open_dataset_db(args.dataset_db) as db:
        if args.source is not None and not args.show:
            values, origin = _calibration_source(args.system, args.source)
            unknown = sorted(k for k in values if k.startswith(args.system + ".")
                             and k not in specs)
            bad = [(s.spec.key, s.detail) for s in check(specs, values)
                   if s.state == "out of range" and s.spec.key in values]
            if bad:
                raise DatasetError("--from {}: refused, nothing written: {}".format(
                    origin, "; ".join("{}: {}".format(k, d) for k, d in bad)))
            written = kept = 0
            for key in sorted(values):
                if key not in specs:
                    continue
                old = db.values.get(key)
                if key in db.values and not args.force:
                    if old != values[key]:
                        print("kept     {} = {!r} (the DB's; --from has {!r}; --force "
                              "replaces it)".format(key, old, values[key]))
                    kept += 1
                    continue
                db.set(key, values[key], metadata={"unit": specs[key].unit}
                       if specs[key].unit else None)
                print("{} {} = {!r}{}".format("replaced" if key in db.values and
                                              old is not None else "wrote   ", key,
                                              values[key], "" if old is None else
                                              " (was {!r})".format(old)))
                written += 1
            db.save()
            print("{}: wrote {}, kept {} from {}{}".format(
                args.dataset_db, written, kept, origin,
                "; not read by any {} module: {}".format(args.system, ", ".join(unknown))
                if unknown else ""))
        statuses = check(specs, db.values)
    print(format_status(statuses))
    missing = [s for s in statuses if not s.usable]
    if missing:
        print("{} of {} calibrations of {} missing or out of range: {}".format(
            len(missing), len(statuses), args.system,
            ", ".join(s.spec.key for s in missing)))
        return 1
    print("all {} calibrations of {} are set".format(len(statuses), args.system))
    return 0
