"""Command-line plumbing shared by the ``aqctl_*`` controllers.

The controllers follow ARTIQ's network device support package conventions
(sipyco's ``simple_network_args``, ``verbosity_args``, ``simple_server_loop``).
sipyco is imported only when a controller starts, so the drivers work
without it; it is not on PyPI and comes with ARTIQ.
"""
import argparse

SIPYCO_MISSING = ("sipyco is required for the controller; install ARTIQ/sipyco through "
                  "ARTIQ's channels (conda, nix or the lab's ARTIQ environment)")


def import_sipyco(prog):
    """Return ``(common_args, simple_server_loop)`` or exit with a clear message."""
    try:
        from sipyco import common_args
        from sipyco.pc_rpc import simple_server_loop
    except ImportError as e:
        raise SystemExit("{}: {} ({})".format(prog, SIPYCO_MISSING, e))
    return common_args, simple_server_loop


def optional_float(text):
    """argparse type: a number, or ``none`` for no limit."""
    if text.strip().lower() == "none":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number or 'none', not {!r}".format(text))


def make_parser(prog, description, default_port, common_args):
    """Parser with the network, verbosity and instrument arguments of every controller."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    common_args.simple_network_args(parser, default_port)
    common_args.verbosity_args(parser)
    group = parser.add_argument_group("instrument")
    group.add_argument("--resource", default=None,
                       help="VISA resource string, e.g. TCPIP0::10.0.0.5::inst0::INSTR "
                            "(required unless --simulation)")
    group.add_argument("--backend", default="",
                       help="pyvisa backend: '' for the default VISA library, '@py' for "
                            "pyvisa-py, 'file.yaml@sim' for pyvisa-sim (default: %(default)r)")
    group.add_argument("--simulation", action="store_true",
                       help="use the simulated instrument shipped with the driver")
    group.add_argument("--timeout", type=float, default=2.0,
                       help="seconds to wait for each reply (default: %(default)s)")
    group.add_argument("--attempts", type=int, default=3,
                       help="tries of a command that times out (default: %(default)s)")
    return parser


def check_instrument_args(parser, args):
    if args.simulation and args.backend:
        parser.error("give either --simulation or --backend, not both")
    if not args.simulation and not args.resource:
        parser.error("--resource is required unless --simulation is given")


def visa_kwargs(args):
    return dict(backend=args.backend, simulation=args.simulation,
                timeout=args.timeout, attempts=args.attempts)


def add_synthesizer_limit_args(parser):
    group = parser.add_argument_group("safety limits")
    group.add_argument("--min-frequency", type=float, default=None,
                       help="lowest frequency allowed, Hz (default: the model's minimum)")
    group.add_argument("--max-frequency", type=float, default=None,
                       help="highest frequency allowed, Hz (default: the model's maximum)")
    group.add_argument("--min-power", type=float, default=None,
                       help="lowest power allowed, dBm (default: the model's minimum)")
    group.add_argument("--max-power", type=float, default=0.0,
                       help="highest power allowed, dBm (default: %(default)s)")
    group.add_argument("--max-power-step", type=optional_float, default=1.0,
                       help="largest power change per setting, dB, or 'none' "
                            "(default: %(default)s)")


def synthesizer_limit_kwargs(args):
    return dict(min_frequency=args.min_frequency, max_frequency=args.max_frequency,
                min_power_dbm=args.min_power, max_power_dbm=args.max_power,
                max_power_step_db=args.max_power_step)
