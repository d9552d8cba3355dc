"""Fixtures: simulated instruments with fresh state for every test.

pyvisa-sim keeps one simulated state per definition-file path for the whole
process, so each test copies the shipped YAML into its own tmp_path.
"""
import shutil

import pytest

from drivers.instruments.ascii_synth import AsciiSynth
from drivers.instruments.power_supply import PowerSupply
from drivers.instruments.rf_generator import RFGenerator
from drivers.instruments.visa_base import sim_file

# Fast failure in tests: short timeouts, no back-off sleeping.
FAST = dict(timeout=0.05, attempts=3, retry_delay=0.0)


@pytest.fixture
def sim_backend(tmp_path):
    """``sim_backend("rf_generator.yaml")`` -> a ``"<fresh copy>@sim"`` backend string."""
    def make(name):
        path = tmp_path / name
        if not path.exists():
            shutil.copy(sim_file(name), path)
        return "{}@sim".format(path)
    return make


@pytest.fixture
def open_driver(sim_backend):
    """``open_driver(Cls, **kwargs)``: a driver on a fresh simulated instrument,
    closed after the test."""
    opened = []

    def make(cls, **kwargs):
        options = dict(FAST)
        options.update(kwargs)
        driver = cls(options.pop("resource", cls.SIM_RESOURCE),
                     backend=sim_backend(cls.SIM_FILE), **options)
        opened.append(driver)
        return driver
    yield make
    for driver in opened:
        driver.close()


@pytest.fixture(params=[RFGenerator, AsciiSynth], ids=["scpi", "ascii"])
def synth_cls(request):
    return request.param


@pytest.fixture
def synth(open_driver, synth_cls):
    return open_driver(synth_cls)


@pytest.fixture
def supply(open_driver):
    return open_driver(PowerSupply)


class Recorder:
    """Records the settings a driver writes and the queries it sends, passing
    them on unchanged. (pyvisa's query() calls write(); those writes are
    counted as queries, not settings.)"""

    def __init__(self, driver, monkeypatch):
        self.writes = []
        self.queries = []
        self._in_query = False
        inst = driver._inst
        write, query = inst.write, inst.query

        def recording_write(command, *args, **kwargs):
            if not self._in_query:
                self.writes.append(command)
            return write(command, *args, **kwargs)

        def recording_query(command, *args, **kwargs):
            self.queries.append(command)
            self._in_query = True
            try:
                return query(command, *args, **kwargs)
            finally:
                self._in_query = False
        monkeypatch.setattr(inst, "write", recording_write)
        monkeypatch.setattr(inst, "query", recording_query)


@pytest.fixture
def record(monkeypatch):
    """``rec = record(driver)``: ``rec.writes`` and ``rec.queries`` sent from then on."""
    return lambda driver: Recorder(driver, monkeypatch)


def error_queue_empty(driver):
    """Ask the instrument directly (bypassing the driver) whether its error queue is empty."""
    reply = driver._inst.query(driver.ERROR_QUERY).strip()
    return reply.split(",")[0].strip() in ("0", "+0")
