"""Driver of an SCPI RF signal generator (trap RF, microwave drive).

Uses the common SCPI subset (``FREQ``, ``POW``, ``OUTP``, ``SYST:ERR?``) that
Keysight, Rohde & Schwarz and most other generators accept; check the
manual of a new model for the reply formats.
"""
from .synthesizer import LimitedSynthesizer


class RFGenerator(LimitedSynthesizer):
    """SCPI RF signal generator with safety limits.

    ``RFGenerator("TCPIP0::10.0.0.5::inst0::INSTR", max_power_dbm=5.0,
    max_power_step_db=0.5)``; ``RFGenerator(simulation=True)`` for the
    simulated one. Sends ``FREQ <Hz>``, ``POW <dBm>``, ``OUTP ON|OFF`` and
    reads ``FREQ?``, ``POW?``, ``OUTP?`` and ``SYST:ERR?``.
    """

    SIM_FILE = "rf_generator.yaml"
    SIM_RESOURCE = "TCPIP0::192.168.1.20::inst0::INSTR"
    MIN_FREQUENCY = 9e3
    MAX_FREQUENCY = 20e9
    MIN_POWER_DBM = -130.0
    FREQUENCY_QUERY = "FREQ?"
    POWER_QUERY = "POW?"
    OUTPUT_QUERY = "OUTP?"
    READ_TERMINATION = "\n"
    WRITE_TERMINATION = "\n"

    def _frequency_command(self, hz):
        return "FREQ {:.3f}".format(hz)

    def _power_command(self, dbm):
        return "POW {:.6f}".format(dbm)

    def _output_command(self, on):
        return "OUTP ON" if on else "OUTP OFF"
