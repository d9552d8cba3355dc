"""Driver of a synthesizer with a terse ASCII protocol (Windfreak/Valon style).

A second model behind the same ``Synthesizer`` interface as the SCPI
``RFGenerator``: frequency in MHz (``f12642.812118``, ``f?``), power in dBm
(``W-10.0``, ``W?``), output ``E1``/``E0`` (``E?``), identity ``+``. Its error
queue is read with ``e?`` (``0,No error`` when empty), an assumption of this
model: real Windfreak SynthHD or Valon units have no error queue, so check
the manual of the real device and adapt ``ERROR_QUERY``/``_error_is_empty``
before using this on hardware.
"""
from .synthesizer import LimitedSynthesizer


class AsciiSynth(LimitedSynthesizer):
    """ASCII-protocol microwave synthesizer with safety limits, e.g. for the
    12.6 GHz Yb-171 qubit drive; usually a USB serial port (``ASRLn::INSTR``)."""

    SIM_FILE = "ascii_synth.yaml"
    SIM_RESOURCE = "ASRL1::INSTR"
    IDN_QUERY = "+"
    ERROR_QUERY = "e?"
    MIN_FREQUENCY = 53e6
    MAX_FREQUENCY = 14e9
    MIN_POWER_DBM = -60.0
    FREQUENCY_UNIT = 1e6
    FREQUENCY_QUERY = "f?"
    POWER_QUERY = "W?"
    OUTPUT_QUERY = "E?"
    READ_TERMINATION = "\n"
    WRITE_TERMINATION = "\n"

    def _frequency_command(self, mhz):
        return "f{:.6f}".format(mhz)

    def _power_command(self, dbm):
        return "W{:.6f}".format(dbm)

    def _output_command(self, on):
        return "E1" if on else "E0"
