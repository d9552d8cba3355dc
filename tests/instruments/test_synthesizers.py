"""Both synthesizer models behind one interface: round trips through pyvisa-sim,
safety limits refused before sending, instrument errors, power ramps."""
import re

import pytest

from drivers.instruments import InstrumentError, SafetyLimitError
from drivers.instruments.ascii_synth import AsciiSynth
from drivers.instruments.rf_generator import RFGenerator
from drivers.instruments.synthesizer import Synthesizer

from .conftest import error_queue_empty

POWER_PREFIX = {RFGenerator: "POW ", AsciiSynth: "W"}


def power_values(commands, cls):
    """Power values (dBm) of the power settings among ``commands``."""
    return [float(re.search(r"-?[0-9.]+$", c).group()) for c in commands
            if c.startswith(POWER_PREFIX[cls])]


def state(synth):
    return synth.get_frequency(), synth.get_power(), synth.get_output()


def test_both_models_satisfy_the_interface_with_different_commands(open_driver, record):
    sent = {}
    for cls in (RFGenerator, AsciiSynth):
        synth = open_driver(cls)
        assert isinstance(synth, Synthesizer)
        rec = record(synth)
        synth.set_frequency(1e9)
        synth.set_output(True)
        sent[cls] = rec.writes
    assert sent[RFGenerator] == ["FREQ 1000000000.000", "OUTP ON"]
    assert sent[AsciiSynth] == ["f1000.000000", "E1"]


def test_frequency_round_trip(synth):
    synth.set_frequency(12.6428121e9)
    assert synth.get_frequency() == pytest.approx(12.6428121e9, abs=1.0)
    assert error_queue_empty(synth)
    synth.set_frequency(200e6)
    assert synth.get_frequency() == pytest.approx(200e6, abs=1.0)
    assert error_queue_empty(synth)


def test_power_round_trip(synth):
    start = synth.get_power()
    synth.set_power(start + 0.75)
    assert synth.get_power() == pytest.approx(start + 0.75)
    assert error_queue_empty(synth)


def test_output_round_trip(synth):
    assert synth.get_output() is False
    synth.set_output(True)
    assert synth.get_output() is True
    assert error_queue_empty(synth)
    synth.set_output(False)
    assert synth.get_output() is False
    assert error_queue_empty(synth)


def test_status_and_limits(open_driver, synth_cls):
    synth = open_driver(synth_cls, max_power_dbm=3.0, max_power_step_db=0.5,
                        max_frequency=13e9)
    synth.set_frequency(2e9)
    status = synth.status()
    assert status["resource"] == synth_cls.SIM_RESOURCE
    assert status["identity"].startswith("SIMULATED")
    assert status["frequency_hz"] == pytest.approx(2e9)
    assert status["power_dbm"] == synth.get_power()
    assert status["output"] is False
    assert synth.limits() == {
        "min_frequency_hz": synth_cls.MIN_FREQUENCY, "max_frequency_hz": 13e9,
        "min_power_dbm": synth_cls.MIN_POWER_DBM, "max_power_dbm": 3.0,
        "max_power_step_db": 0.5}
    assert synth.ping() is True


@pytest.mark.parametrize("dbm", [0.5, 12.0, float("nan"), float("inf")])
def test_power_above_limit_is_refused_before_sending(open_driver, synth_cls, record, dbm):
    synth = open_driver(synth_cls, max_power_dbm=0.0, max_power_step_db=None)
    before = state(synth)
    rec = record(synth)
    with pytest.raises(SafetyLimitError) as info:
        synth.set_power(dbm)
    assert synth.resource in str(info.value)
    assert "power" in str(info.value)
    assert rec.writes == [] and rec.queries == []  # nothing sent at all
    assert state(synth) == before
    assert error_queue_empty(synth)


def test_power_above_limit_message(open_driver, synth_cls):
    synth = open_driver(synth_cls, max_power_dbm=-5.0, max_power_step_db=None)
    with pytest.raises(SafetyLimitError, match=r"power 2 dBm refused: above the configured "
                                               r"maximum -5 dBm; nothing was sent"):
        synth.set_power(2.0)


@pytest.mark.parametrize("hz", [1e3, 30e9])
def test_frequency_outside_range_is_refused_before_sending(synth, record, hz):
    before = state(synth)
    rec = record(synth)
    with pytest.raises(SafetyLimitError, match="frequency .* refused") as info:
        synth.set_frequency(hz)
    assert synth.resource in str(info.value)
    assert rec.writes == []
    assert state(synth) == before


def test_power_step_beyond_ramp_limit_is_refused(open_driver, synth_cls, record):
    synth = open_driver(synth_cls, max_power_dbm=0.0, max_power_step_db=1.0)
    start = synth.get_power()
    before = state(synth)
    rec = record(synth)
    with pytest.raises(SafetyLimitError) as info:
        synth.set_power(start + 1.5)
    message = str(info.value)
    assert synth.resource in message and "step" in message and "ramp_power" in message
    assert rec.writes == []  # only the read-back was queried
    assert state(synth) == before
    # Downward jumps are refused too: losing trap RF at once loses the ions.
    with pytest.raises(SafetyLimitError):
        synth.set_power(start - 1.5)
    # A step of exactly the limit is allowed.
    synth.set_power(start + 1.0)
    assert synth.get_power() == pytest.approx(start + 1.0)


@pytest.mark.parametrize("target_offset, n_steps", [(7.3, 8), (-6.0, 6)])
def test_ramp_power_walks_in_allowed_steps(open_driver, synth_cls, record, target_offset,
                                           n_steps):
    synth = open_driver(synth_cls, max_power_dbm=0.0, max_power_step_db=1.0)
    start = synth.get_power()
    target = start + target_offset
    rec = record(synth)
    assert synth.ramp_power(target) == pytest.approx(target)
    values = power_values(rec.writes, synth_cls)
    assert len(values) == n_steps
    steps = [b - a for a, b in zip([start] + values, values)]
    assert all(abs(s) <= 1.0 + 1e-6 for s in steps), steps
    assert values[-1] == pytest.approx(target)
    assert synth.get_power() == pytest.approx(target)
    assert error_queue_empty(synth)


def test_ramp_power_with_smaller_step_and_dwell(open_driver, synth_cls, record, monkeypatch):
    synth = open_driver(synth_cls, max_power_dbm=0.0, max_power_step_db=1.0)
    sleeps = []
    monkeypatch.setattr("drivers.instruments.synthesizer.time.sleep", sleeps.append)
    start = synth.get_power()
    rec = record(synth)
    synth.ramp_power(start + 1.0, step=0.25, dwell=0.5)
    values = power_values(rec.writes, synth_cls)
    assert values == pytest.approx([start + 0.25, start + 0.5, start + 0.75, start + 1.0])
    assert sleeps == [0.5, 0.5, 0.5]  # between steps


def test_ramp_power_refuses_bad_target_or_step_before_sending(open_driver, synth_cls, record):
    synth = open_driver(synth_cls, max_power_dbm=0.0, max_power_step_db=1.0)
    before = state(synth)
    rec = record(synth)
    with pytest.raises(SafetyLimitError, match="above the configured maximum"):
        synth.ramp_power(5.0)
    with pytest.raises(SafetyLimitError, match="ramp step 2 dB .* larger than the configured"):
        synth.ramp_power(-1.0, step=2.0)
    with pytest.raises(SafetyLimitError, match="must be a positive number"):
        synth.ramp_power(-1.0, step=0.0)
    assert rec.writes == []
    assert state(synth) == before


def test_value_the_instrument_refuses_gives_its_error_and_changes_nothing(open_driver, synth_cls):
    # Driver limits wider than the instrument's own range: the instrument refuses.
    synth = open_driver(synth_cls, max_frequency=40e9, max_power_dbm=30.0,
                        max_power_step_db=None)
    before = state(synth)
    with pytest.raises(InstrumentError) as info:
        synth.set_frequency(30e9)
    message = str(info.value)
    assert synth.resource in message
    assert "reported an error after" in message
    assert ("FREQ 30000000000.000" if synth_cls is RFGenerator else "f30000.000000") in message
    assert ("Command error" if synth_cls is RFGenerator else "out of range") in message
    assert state(synth) == before
    with pytest.raises(InstrumentError, match="Command error|out of range"):
        synth.set_power(28.0)
    assert state(synth) == before
    assert error_queue_empty(synth)  # the driver read the error out of the queue


def test_error_left_in_the_queue_stops_the_next_setting(synth, record):
    before = state(synth)
    synth._inst.write("BOGUS")  # an earlier command the instrument rejects
    rec = record(synth)
    with pytest.raises(InstrumentError) as info:
        synth.set_output(True)
    message = str(info.value)
    assert synth.resource in message
    assert "earlier command" in message and "did not send" in message
    assert ("OUTP ON" if isinstance(synth, RFGenerator) else "E1") in message
    assert "Command error" in message or "Unknown command" in message
    assert rec.writes == []
    assert state(synth) == before
    # The error was read out; the next setting goes through.
    synth.set_output(True)
    assert synth.get_output() is True


def test_output_on_refused_when_power_was_set_above_limit_behind_the_driver(
        open_driver, synth_cls):
    synth = open_driver(synth_cls, max_power_dbm=-15.0, max_power_step_db=None)
    synth._inst.write(synth._power_command(5.0))  # e.g. from the front panel
    with pytest.raises(SafetyLimitError, match="power 5 dBm refused"):
        synth.set_output(True)
    assert synth.get_output() is False


def test_empty_limits_are_a_configuration_error(sim_backend):
    with pytest.raises(ValueError, match="frequency limits"):
        RFGenerator(backend=sim_backend("rf_generator.yaml"),
                    resource=RFGenerator.SIM_RESOURCE, min_frequency=2e9, max_frequency=1e9)
    with pytest.raises(ValueError, match="max_power_step_db"):
        AsciiSynth(backend=sim_backend("ascii_synth.yaml"),
                   resource=AsciiSynth.SIM_RESOURCE, max_power_step_db=0)
