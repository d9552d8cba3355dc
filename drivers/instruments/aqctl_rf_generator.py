"""ARTIQ controller of the SCPI RF generator (``RFGenerator``), target ``rf_generator``.

``aqctl_rf_generator -p 3270 --resource TCPIP0::10.0.0.5::inst0::INSTR --max-power 5``
or ``aqctl_rf_generator --simulation``.
"""
import sys

from . import _controller
from .rf_generator import RFGenerator

PROG = "aqctl_rf_generator"
DEFAULT_PORT = 3270
TARGET = "rf_generator"
DRIVER = RFGenerator


def get_argparser(common_args=None):
    """The command line (sipyco's network options, or their stand-in without sipyco)."""
    parser = _controller.make_parser(
        PROG, "ARTIQ controller of an SCPI RF signal generator", DEFAULT_PORT, common_args)
    _controller.add_synthesizer_limit_args(parser)
    return parser


def limit_kwargs(args):
    """The driver's safety-limit keyword arguments from the parsed command line."""
    return _controller.synthesizer_limit_kwargs(args)


def main(argv=None):
    _controller.serve(sys.modules[__name__], "RF generator", argv)


if __name__ == "__main__":
    main()
