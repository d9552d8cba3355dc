"""ARTIQ controller of the SCPI DC power supply (``PowerSupply``), target ``power_supply``.

For the atomic oven: ``aqctl_power_supply -p 3271 --resource TCPIP0::10.0.0.6::inst0::INSTR
--max-current 3.0 --max-current-step 0.1 --max-voltage 2.5`` or
``aqctl_power_supply --simulation``.
"""
import sys

from . import _controller
from .power_supply import PowerSupply

PROG = "aqctl_power_supply"
DEFAULT_PORT = 3271
TARGET = "power_supply"
DRIVER = PowerSupply


def get_argparser(common_args=None):
    """The command line (sipyco's network options, or their stand-in without sipyco)."""
    parser = _controller.make_parser(
        PROG, "ARTIQ controller of an SCPI DC power supply (atomic oven)",
        DEFAULT_PORT, common_args)
    group = parser.add_argument_group("safety limits")
    group.add_argument("--max-voltage", type=float, default=5.0,
                       help="highest voltage allowed, V (default: %(default)s)")
    group.add_argument("--max-current", type=float, default=2.0,
                       help="highest current allowed, A (default: %(default)s)")
    group.add_argument("--max-current-step", type=_controller.optional_float, default=0.2,
                       help="largest current change per setting, A, or 'none' "
                            "(default: %(default)s)")
    return parser


def limit_kwargs(args):
    """The driver's safety-limit keyword arguments from the parsed command line."""
    return dict(max_voltage=args.max_voltage, max_current=args.max_current,
                max_current_step=args.max_current_step)


def main(argv=None):
    _controller.serve(sys.modules[__name__], "DC power supply", argv)


if __name__ == "__main__":
    main()
