"""Command-line plumbing shared by the ``aqctl_*`` controllers.

The controllers follow ARTIQ's network device support package conventions
(sipyco's ``simple_network_args``, ``verbosity_args``, ``simple_server_loop``).
sipyco is imported only when a controller starts, so the drivers work
without it; it is not on PyPI and comes with ARTIQ. A controller's parser can
be built without sipyco (``STAND_IN_COMMON_ARGS``), so that a device database's
command lines can be checked anywhere; serving still needs sipyco.
"""
import argparse
import types

SIPYCO_MISSING = ("sipyco is required for the controller; install ARTIQ/sipyco through "
                  "ARTIQ's channels (conda, nix or the lab's ARTIQ environment)")


def import_sipyco(prog):
    """Return ``(common_args, simple_server_loop)`` or exit with a clear message."""
    try:
        from sipyco import common_args
        from sipyco.pc_rpc import simple_server_loop
    except ImportError as e:
        raise SystemExit("{}: {} ({})".format(prog, SIPYCO_MISSING, e)) from e
    return common_args, simple_server_loop


def optional_float(text):
    """argparse type: a number, or ``none`` for no limit."""
    if text.strip().lower() == "none":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            "expected a number or 'none', not {!r}".format(text)) from None


def _network_options(parser, default_port):
    # The options sipyco's simple_network_args gives a controller, same names, types
    # and defaults, so that a command line parses the same with or without sipyco.
    group = parser.add_argument_group("network server")
    group.add_argument("--bind", action="append", default=[],
                       help="address to listen on besides localhost, repeatable; "
                            "'*' for every interface (default: %(default)s)")
    group.add_argument("--no-localhost-bind", action="store_true", default=False,
                       help="listen only on the --bind addresses, not on localhost")
    group.add_argument("-p", "--port", type=int, default=default_port,
                       help="TCP port to listen on (default: %(default)d)")


def _verbosity_options(parser):
    # As sipyco's verbosity_args: counted, so -vv is more than -v.
    group = parser.add_argument_group("verbosity")
    group.add_argument("-v", "--verbose", action="count", default=0,
                       help="log more (repeat for more)")
    group.add_argument("-q", "--quiet", action="count", default=0,
                       help="log less (repeat for less)")


#: Stands in for ``sipyco.common_args`` when only a parser is wanted and sipyco is not
#: installed (tests, checks of a device database's command lines).
STAND_IN_COMMON_ARGS = types.SimpleNamespace(simple_network_args=_network_options,
                                             verbosity_args=_verbosity_options)


def parser_common_args():
    """sipyco's ``common_args`` where sipyco is installed, else ``STAND_IN_COMMON_ARGS``."""
    try:
        from sipyco import common_args
    except ImportError:
        return STAND_IN_COMMON_ARGS
    return common_args


def make_parser(prog, description, default_port, common_args=None):
    """Parser with the network, verbosity and instrument arguments of every controller.

    ``common_args`` defaults to ``parser_common_args()``."""
    if common_args is None:
        common_args = parser_common_args()
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


def serve(controller, what, argv=None):
    """Run a controller module (one of ``aqctl_*``: its ``PROG``, ``TARGET``, ``DRIVER``,
    ``get_argparser`` and ``limit_kwargs``) until it is told to stop: parse the command
    line, open the instrument, serve it over sipyco's RPC, close it whatever happens.
    ``what`` names the instrument in the RPC description (``"RF generator"``)."""
    common_args, simple_server_loop = import_sipyco(controller.PROG)
    parser = controller.get_argparser(common_args)
    args = parser.parse_args(argv)
    check_instrument_args(parser, args)
    common_args.init_logger_from_args(args)
    driver = controller.DRIVER(args.resource, **controller.limit_kwargs(args),
                               **visa_kwargs(args))
    try:
        simple_server_loop({controller.TARGET: driver},
                           common_args.bind_address_from_args(args), args.port,
                           description="{} at {}".format(what, driver.resource))
    finally:
        driver.close()
