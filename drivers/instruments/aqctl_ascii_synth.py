"""ARTIQ controller of the ASCII-protocol synthesizer (``AsciiSynth``), target ``ascii_synth``.

``aqctl_ascii_synth -p 3272 --resource ASRL/dev/ttyACM0::INSTR --backend @py --max-power 10``
or ``aqctl_ascii_synth --simulation``.
"""
import sys

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
    _controller.serve(sys.modules[__name__], "ASCII synthesizer", argv)


if __name__ == "__main__":
    main()
