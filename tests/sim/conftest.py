"""Fixtures shared by the simulator's tests."""
import pytest


@pytest.fixture
def vcd_event_by_event(monkeypatch):
    """A function that makes a ``Recorder`` write its VCD through pyvcd's own
    ``change()``, event by event: the reference the batched writer is held to."""
    def patch(rec):
        def one_by_one(t, s, v):
            if rec._vcd is None:
                rec._open_vcd()
            rec._write_vcd_slow(t, s, v)
        monkeypatch.setattr(rec, "_write_vcd", one_by_one)
    return patch
