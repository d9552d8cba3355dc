"""ARTIQ controller of the SCPI RF generator (``RFGenerator``), target ``rf_generator``.

``aqctl_rf_generator -p 3270 --resource TCPIP0::10.0.0.5::inst0::INSTR --max-power 5``
or ``aqctl_rf_generator --simulation``.
"""
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
    common_args, simple_server_loop = _controller.import_sipyco(PROG)
    parser = get_argparser(common_args)
    args = parser.parse_args(argv)
    _controller.check_instrument_args(parser, args)
    common_args.init_logger_from_args(args)

    driver = DRIVER(args.resource, **limit_kwargs(args), **_controller.visa_kwargs(args))
    try:
        simple_server_loop({TARGET: driver}, common_args.bind_address_from_args(args),
                           args.port, description="RF generator at " + driver.resource)
    finally:
        driver.close()


if __name__ == "__main__":
    main()
