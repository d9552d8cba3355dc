"""The oven supply through pyvisa-sim: round trips, current and ramp limits
refused before sending, instrument errors, current ramps."""
import re

import pytest

from drivers.instruments import InstrumentError, SafetyLimitError
from drivers.instruments.power_supply import PowerSupply

from .conftest import error_queue_empty


def current_values(commands):
    return [float(re.match(r"CURR (-?[0-9.]+)$", c).group(1)) for c in commands
            if c.startswith("CURR ")]


def state(supply):
    return supply.get_voltage(), supply.get_current(), supply.get_output()


def test_settings_round_trip(supply):
    supply.set_voltage(2.5)
    assert supply.get_voltage() == pytest.approx(2.5)
    assert error_queue_empty(supply)
    supply.set_current(0.15)
    assert supply.get_current() == pytest.approx(0.15)
    assert error_queue_empty(supply)
    supply.set_output(True)
    assert supply.get_output() is True
    assert error_queue_empty(supply)
    supply.set_output(False)
    assert supply.get_output() is False
    assert error_queue_empty(supply)


def test_measurements_and_status(supply):
    # The simulation cannot tie the measurement to the set point: it reads 0.
    assert supply.measure_current() == 0.0
    assert supply.measure_voltage() == 0.0
    supply.set_voltage(1.0)
    status = supply.status()
    assert status["voltage_v"] == pytest.approx(1.0)
    assert status["current_a"] == 0.0 and status["output"] is False
    assert status["identity"].startswith("SIMULATED")
    assert supply.limits() == {"max_voltage_v": 5.0, "max_current_a": 2.0,
                               "max_current_step_a": 0.2}


@pytest.mark.parametrize("amps", [2.01, 50.0, -0.1])
def test_current_outside_limit_is_refused_before_sending(open_driver, record, amps):
    supply = open_driver(PowerSupply, max_current=2.0, max_current_step=None)
    supply.set_current(1.0)
    before = state(supply)
    rec = record(supply)
    with pytest.raises(SafetyLimitError) as info:
        supply.set_current(amps)
    message = str(info.value)
    assert supply.resource in message and "current" in message
    assert "nothing was sent" in message
    assert rec.writes == [] and rec.queries == []
    assert state(supply) == before


def test_voltage_above_limit_is_refused_before_sending(open_driver, record):
    supply = open_driver(PowerSupply, max_voltage=3.0)
    rec = record(supply)
    with pytest.raises(SafetyLimitError, match=r"voltage 3.5 V refused: above the configured "
                                               r"maximum 3 V"):
        supply.set_voltage(3.5)
    assert rec.writes == []
    assert supply.get_voltage() == 0.0


def test_current_step_beyond_ramp_limit_is_refused(open_driver, record):
    supply = open_driver(PowerSupply, max_current=3.0, max_current_step=0.2)
    before = state(supply)
    rec = record(supply)
    with pytest.raises(SafetyLimitError) as info:
        supply.set_current(1.0)
    message = str(info.value)
    assert supply.resource in message
    assert "step from 0 to 1 A" in message and "ramp_current" in message
    assert rec.writes == [] and rec.queries == ["CURR?"]  # only the read-back
    assert state(supply) == before


@pytest.mark.parametrize("start, target, n_steps", [(0.0, 1.5, 8), (1.5, 0.1, 7), (0.3, 0.3, 0)])
def test_ramp_current_walks_in_allowed_steps(open_driver, record, start, target, n_steps):
    supply = open_driver(PowerSupply, max_current=2.0, max_current_step=0.2)
    supply.ramp_current(start)
    rec = record(supply)
    assert supply.ramp_current(target) == pytest.approx(target)
    values = current_values(rec.writes)
    assert len(values) == n_steps
    steps = [b - a for a, b in zip([start] + values, values)]
    assert all(abs(s) <= 0.2 + 1e-6 for s in steps), steps
    assert supply.get_current() == pytest.approx(target)
    assert error_queue_empty(supply)


def test_ramp_current_dwell_and_step(open_driver, record, monkeypatch):
    supply = open_driver(PowerSupply, max_current=2.0, max_current_step=0.2)
    sleeps = []
    monkeypatch.setattr("drivers.instruments.power_supply.time.sleep", sleeps.append)
    rec = record(supply)
    supply.ramp_current(0.3, step=0.1, dwell=2.0)
    assert current_values(rec.writes) == pytest.approx([0.1, 0.2, 0.3])
    assert sleeps == [2.0, 2.0]
    with pytest.raises(SafetyLimitError, match="ramp step 0.5 A .* larger than"):
        supply.ramp_current(1.0, step=0.5)
    with pytest.raises(SafetyLimitError, match="current 2.5 A refused"):
        supply.ramp_current(2.5)
    assert supply.get_current() == pytest.approx(0.3)


def test_output_on_refused_while_set_point_would_jump(open_driver, record):
    supply = open_driver(PowerSupply, max_current=2.0, max_current_step=0.2)
    supply.ramp_current(1.0)
    rec = record(supply)
    with pytest.raises(SafetyLimitError, match="output on refused: the current set point 1 A"):
        supply.set_output(True)
    assert rec.writes == []
    assert supply.get_output() is False
    # The safe sequence: low set point, output on, then ramp.
    supply.ramp_current(0.2)
    supply.set_output(True)
    supply.ramp_current(1.0)
    assert state(supply) == (0.0, pytest.approx(1.0), True)


def test_output_on_refused_when_set_point_above_limit_behind_the_driver(open_driver):
    supply = open_driver(PowerSupply, max_current=2.0, max_current_step=None)
    supply._inst.write("CURR 4.000000")  # e.g. from the front panel
    with pytest.raises(SafetyLimitError, match="current 4 A refused"):
        supply.set_output(True)
    assert supply.get_output() is False


def test_value_the_instrument_refuses_gives_its_error_and_changes_nothing(open_driver):
    supply = open_driver(PowerSupply, max_voltage=40.0)  # wider than the supply's 30 V
    supply.set_voltage(1.0)
    with pytest.raises(InstrumentError) as info:
        supply.set_voltage(35.0)
    message = str(info.value)
    assert supply.resource in message and "VOLT 35.000000" in message
    assert '-100,"Command error"' in message
    assert supply.get_voltage() == pytest.approx(1.0)
    assert error_queue_empty(supply)


def test_error_left_in_the_queue_stops_the_next_setting(supply, record):
    supply._inst.write("SOUR:BOGUS 1")
    rec = record(supply)
    with pytest.raises(InstrumentError, match="did not send 'CURR 0.100000'.*Command error"):
        supply.set_current(0.1)
    assert rec.writes == []
    assert supply.get_current() == 0.0


def test_bad_limit_configuration(sim_backend):
    with pytest.raises(ValueError, match="max_current_step must be positive"):
        PowerSupply(PowerSupply.SIM_RESOURCE, backend=sim_backend("power_supply.yaml"),
                    max_current_step=-1)
