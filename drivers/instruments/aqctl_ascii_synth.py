"""ARTIQ controller of the ASCII-protocol synthesizer (``AsciiSynth``), target ``ascii_synth``.

``aqctl_ascii_synth -p 3272 --resource ASRL/dev/ttyACM0::INSTR --backend @py --max-power 10``
or ``aqctl_ascii_synth --simulation``.
"""
from . import _controller
from .ascii_synth import AsciiSynth

DEFAULT_PORT = 3272
TARGET = "ascii_synth"


def main(argv=None):
    prog = "aqctl_ascii_synth"
    common_args, simple_server_loop = _controller.import_sipyco(prog)
    parser = _controller.make_parser(
        prog, "ARTIQ controller of an ASCII-protocol (Windfreak/Valon-style) synthesizer",
        DEFAULT_PORT, common_args)
    _controller.add_synthesizer_limit_args(parser)
    args = parser.parse_args(argv)
    _controller.check_instrument_args(parser, args)
    common_args.init_logger_from_args(args)

    driver = AsciiSynth(args.resource, **_controller.synthesizer_limit_kwargs(args),
                        **_controller.visa_kwargs(args))
    try:
        simple_server_loop({TARGET: driver}, common_args.bind_address_from_args(args),
                           args.port, description="ASCII synthesizer at " + driver.resource)
    finally:
        driver.close()


if __name__ == "__main__":
    main()
