"""ARTIQ controller of the ASCII-protocol synthesizer (``AsciiSynth``), target ``ascii_synth``.

``aqctl_ascii_synth -p 3272 --resource ASRL/dev/ttyACM0::INSTR --backend @py --max-power 10``
or ``aqctl_ascii_synth --simulation``.
"""
from . import _controller
from .ascii_synth import AsciiSynth

PROG = "aqctl_ascii_synth"
DEFAULT_PORT = 3272
TARGET = "ascii_synth"
DRIVER = AsciiSynth


def get_argparser(common_args=None):
    """The command line (sipyco's network options, or their stand-in without sipyco)."""
    parser = _controller.make_parser(
        PROG, "ARTIQ controller of an ASCII-protocol (Windfreak/Valon-style) synthesizer",
        DEFAULT_PORT, common_args)
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
                           args.port, description="ASCII synthesizer at " + driver.resource)
    finally:
        driver.close()


if __name__ == "__main__":
    main()
