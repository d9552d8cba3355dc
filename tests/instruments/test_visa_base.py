"""Shared mechanics: opening (wrong resource, wrong backend), timeouts and
retries, malformed replies, close()."""
import pyvisa
import pytest
from pyvisa import constants

from drivers.instruments import (InstrumentConnectionError, InstrumentReplyError,
                                 InstrumentTimeout)
from drivers.instruments.ascii_synth import AsciiSynth
from drivers.instruments.power_supply import PowerSupply
from drivers.instruments.rf_generator import RFGenerator

TMO = pyvisa.errors.VisaIOError(constants.StatusCode.error_timeout)


def failing(real, command, errors):
    """Wrap a resource's query so that ``command`` raises ``errors`` in turn, then works."""
    calls = []
    errors = list(errors)

    def query(message, *args, **kwargs):
        calls.append(message)
        if message == command and errors:
            raise errors.pop(0)
        return real(message, *args, **kwargs)
    return query, calls


# --- timeouts and retries

def test_timeout_is_retried_with_back_off_then_succeeds(open_driver, monkeypatch):
    synth = open_driver(RFGenerator, attempts=3, retry_delay=0.01)
    synth.set_frequency(2e9)
    sleeps = []
    monkeypatch.setattr("drivers.instruments.visa_base.time.sleep", sleeps.append)
    query, calls = failing(synth._inst.query, "FREQ?", [TMO, TMO])
    monkeypatch.setattr(synth._inst, "query", query)
    assert synth.get_frequency() == pytest.approx(2e9)
    assert calls == ["FREQ?", "FREQ?", "FREQ?"]
    assert sleeps == [0.01, 0.02]  # back-off doubles


def test_timeout_on_every_attempt_gives_instrument_timeout(open_driver, monkeypatch):
    synth = open_driver(AsciiSynth, attempts=4)
    query, calls = failing(synth._inst.query, "W?", [TMO] * 10)
    monkeypatch.setattr(synth._inst, "query", query)
    with pytest.raises(InstrumentTimeout) as info:
        synth.get_power()
    message = str(info.value)
    assert "ASRL1::INSTR" in message and "'W?'" in message and "4 attempt(s)" in message
    assert calls == ["W?"] * 4
    assert isinstance(info.value, TimeoutError)


def test_timeout_of_a_setting_leaves_the_instrument_unchanged(open_driver, monkeypatch):
    supply = open_driver(PowerSupply, attempts=2)
    write_calls = []

    real_write = supply._inst.write

    def write(message, *args, **kwargs):
        if message.startswith("VOLT "):
            write_calls.append(message)
            raise TMO
        return real_write(message, *args, **kwargs)
    monkeypatch.setattr(supply._inst, "write", write)
    with pytest.raises(InstrumentTimeout, match=r"192\.168\.1\.21.*no answer to 'VOLT 1\.000000'"):
        supply.set_voltage(1.0)
    assert write_calls.count("VOLT 1.000000") == 2
    monkeypatch.setattr(supply._inst, "write", real_write)
    assert supply.get_voltage() == 0.0


def test_termination_mismatch_shows_as_timeout_naming_resource_and_command(sim_backend):
    # The simulated instrument never sees a complete command and never answers.
    with pytest.raises(InstrumentTimeout) as info:
        RFGenerator(RFGenerator.SIM_RESOURCE, backend=sim_backend("rf_generator.yaml"),
                    write_termination="\r", timeout=0.02, attempts=2, retry_delay=0.0)
    message = str(info.value)
    assert RFGenerator.SIM_RESOURCE in message and "'*IDN?'" in message
    assert "terminations" in message


def test_other_visa_errors_are_not_retried(open_driver, monkeypatch):
    synth = open_driver(RFGenerator)
    query, calls = failing(synth._inst.query, "POW?",
                           [pyvisa.errors.VisaIOError(constants.StatusCode.error_connection_lost)])
    monkeypatch.setattr(synth._inst, "query", query)
    with pytest.raises(InstrumentConnectionError, match="VISA I/O error on 'POW\\?'"):
        synth.get_power()
    assert calls == ["POW?"]


# --- malformed replies

@pytest.mark.parametrize("getter, command, reply", [
    ("get_frequency", "FREQ?", "12.6 GHz"),
    ("get_power", "POW?", ""),
    ("get_output", "OUTP?", "MAYBE"),
])
def test_malformed_reply_names_resource_command_and_reply(open_driver, monkeypatch,
                                                          getter, command, reply):
    synth = open_driver(RFGenerator)
    real = synth._inst.query
    monkeypatch.setattr(synth._inst, "query",
                        lambda m, *a, **k: reply + "\n" if m == command else real(m, *a, **k))
    with pytest.raises(InstrumentReplyError) as info:
        getattr(synth, getter)()
    message = str(info.value)
    assert synth.resource in message and repr(command) in message and repr(reply) in message


def test_malformed_error_queue_reply_fails_the_setting_before_sending(open_driver, monkeypatch,
                                                                      record):
    supply = open_driver(PowerSupply)
    rec = record(supply)
    real = supply._inst.query
    monkeypatch.setattr(supply._inst, "query",
                        lambda m, *a, **k: "garbled" if m == "SYST:ERR?" else real(m, *a, **k))
    with pytest.raises(InstrumentReplyError, match="'garbled' to 'SYST:ERR\\?'"):
        supply.set_voltage(1.0)
    assert rec.writes == []
    monkeypatch.undo()
    assert supply.get_voltage() == 0.0


# --- opening

def test_resource_not_simulated_names_it_and_lists_the_available_ones(sim_backend):
    with pytest.raises(InstrumentConnectionError) as info:
        RFGenerator("TCPIP0::10.9.9.9::inst0::INSTR", backend=sim_backend("rf_generator.yaml"))
    message = str(info.value)
    assert "'TCPIP0::10.9.9.9::inst0::INSTR'" in message
    assert "available resources: TCPIP0::192.168.1.20::inst0::INSTR" in message


@pytest.mark.parametrize("resource", ["garbage", "TCPIP0:10.0.0.1::INSTR"])
def test_malformed_resource_string_is_named(sim_backend, resource):
    with pytest.raises(InstrumentConnectionError, match="is not a valid VISA resource string") \
            as info:
        PowerSupply(resource, backend=sim_backend("power_supply.yaml"))
    assert repr(resource) in str(info.value)


def test_missing_backend_is_named(tmp_path):
    backend = "{}@sim".format(tmp_path / "missing.yaml")
    with pytest.raises(InstrumentConnectionError) as info:
        RFGenerator(RFGenerator.SIM_RESOURCE, backend=backend)
    assert "cannot load VISA backend" in str(info.value) and "missing.yaml" in str(info.value)


def test_empty_identity_reply_means_nothing_there(open_driver, monkeypatch):
    synth = open_driver(RFGenerator)
    monkeypatch.setattr(synth._inst, "query", lambda m, *a, **k: "\n")
    with pytest.raises(InstrumentConnectionError, match="nothing answered the identity query"):
        synth._identify()
    assert synth.ping() is False


def test_constructor_arguments_are_checked():
    with pytest.raises(ValueError, match="either simulation=True .* or backend"):
        RFGenerator(simulation=True, backend="x.yaml@sim")
    with pytest.raises(ValueError, match="resource string is required"):
        PowerSupply()
    with pytest.raises(ValueError, match="attempts must be at least 1"):
        AsciiSynth(simulation=True, attempts=0)


def test_shipped_simulation_opens_without_a_resource():
    # Read-only: the shipped file's state is shared by the whole test process.
    for cls in (RFGenerator, AsciiSynth, PowerSupply):
        with cls(simulation=True) as driver:
            assert driver.resource == cls.SIM_RESOURCE
            assert driver.ping() is True
            assert driver.identity.startswith("SIMULATED")


# --- closing

def test_close_is_idempotent_and_later_calls_fail_clearly(open_driver):
    synth = open_driver(AsciiSynth)
    synth.close()
    synth.close()
    with pytest.raises(InstrumentConnectionError, match="ASRL1::INSTR: cannot send 'f\\?': "
                                                        "the driver is closed"):
        synth.get_frequency()
    assert synth.ping() is False


def test_with_block_closes_even_on_error_and_leaves_the_output_on(sim_backend):
    backend = sim_backend("rf_generator.yaml")
    with RFGenerator(RFGenerator.SIM_RESOURCE, backend=backend) as observer:
        with pytest.raises(RuntimeError):
            with RFGenerator(RFGenerator.SIM_RESOURCE, backend=backend) as synth:
                synth.set_output(True)
                raise RuntimeError("experiment failed")
        assert synth._inst is None and synth._rm is None
        # Closing must not switch trap RF off: the instrument is as it was.
        assert observer.get_output() is True
