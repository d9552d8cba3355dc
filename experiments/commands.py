"""Command-line front ends that ``control`` loads as plugins (entry points in the
``control.commands`` group): ``control rb`` runs ``experiments/rb.py`` on a trap's
simulated twin (or on its crate with ``--device-db``) with a progress bar, prints the
fit and writes HDF5 + PNG."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def _lengths(text):
    parts = [p for p in text.replace(",", " ").split() if p]
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise ValueError("--lengths takes integers, e.g. 1,20,50,100") from None


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
    lengths = _lengths(args.lengths)
    # PYONValue arguments travel as PYON text, as the dashboard sends them.
    arguments = {"system": args.system, "n_qubits": args.qubits,
                 "lengths": pyon.encode(lengths), "samples": args.samples,
                 "shots": args.shots, "interleave": args.interleave,
                 "final_pauli": args.final_pauli, "seed": args.seed}
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
        options = systems.sim_config(args.system, errors=errors, seed=args.seed,
                                     vcd=args.vcd)
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


def run_circuit_command(args):
    from control.runner import run_experiment
    from drivers import systems
    with open(args.file) as f:
        qasm = f.read()
    sim = args.device_db is None
    device_db = systems.device_db_path(args.system) if sim else args.device_db
    options = systems.sim_config(args.system, seed=args.seed) if sim else {}
    run = run_experiment(os.path.join(HERE, "circuit.py"), "Circuit",
                         {"system": args.system, "qasm": qasm, "shots": args.shots},
                         device_db, sim=sim, sim_options=options, results_dir=args.results)
    print("results: {}".format(run.path))
    print("plot:    {}".format(run.datasets.get("circuit.plot")))
    return 0
