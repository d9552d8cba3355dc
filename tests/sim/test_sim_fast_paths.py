"""The simulator's batched fast paths do exactly what the one-event-at-a-time paths they
stand for do: the same times, CPU estimate, event counts, underflows (raised at the same
event, with the same state), DMA traces and VCD text."""
import types

import numpy as np
import pytest

from control.lang import RTIOUnderflow
from control.sim.devices import spi as sim_spi
from control.sim.devices.dma import DMATrace
from control.sim.devices.ttl import TTLOut
from control.sim.devices.urukul import SPI_CONFIG
from control.sim import recorder as recorder_module
from control.sim.recorder import Recorder
from control.sim.simulation import Simulation

WRITE64 = ((SPI_CONFIG, 8, 2), (SPI_CONFIG, 32, 2), (SPI_CONFIG | sim_spi.SPI_END, 32, 2))


def _bus(slack=None):
    sim = Simulation(slack=slack)
    core = types.SimpleNamespace(sim=sim, ref_multiplier=8)
    return sim, sim_spi.SPIBus(core, channel=3, name="bus")


def _state(sim, bus):
    tl = sim.timeline
    return (tl.now, tl.cpu, sim.rtio_events, sim.underflows, bus._flags,
            bus.xfer_duration_mu)


def _write(batched, now, cpu, slack=None, dma=False):
    sim, bus = _bus(slack)
    sim.timeline.now, sim.timeline.cpu = now, cpu
    if dma:
        sim.dma_capture = DMATrace()
    error = None
    try:
        for _ in range(3):
            if batched:
                bus._write_words(WRITE64)
            else:
                for flags, length, div in WRITE64:
                    bus._xfer(flags, length, div)
    except RTIOUnderflow as exc:
        error = str(exc)
    return _state(sim, bus), error, list(sim.dma_capture or ())


@pytest.mark.parametrize("slack", [None, {"enabled": False}, {"event_ns": 1000.0}])
def test_write_words_is_the_transfers_one_by_one(slack):
    # from plenty of slack to none: underflows at each of the words in turn
    errors = set()
    for now in range(0, 30000, 89):
        batched = _write(True, now, 1000, slack)
        assert batched == _write(False, now, 1000, slack), now
        errors.add(batched[1])
    assert None in errors and len(errors) > (0 if slack == {"enabled": False} else 3)
    assert _write(True, 0, 0, slack, dma=True) == _write(False, 0, 0, slack, dma=True)


def _vcd_text(path, batch, event_by_event=None):
    rec = Recorder(str(path), flush_every=1 << 30)
    rec.vcd_batch = batch
    if event_by_event is not None:
        event_by_event(rec)
    sigs = [rec.signal("ttl0", "state", "bool", init=0),
            rec.signal("att", "word", "int", size=8),
            rec.signal("dds", "frequency", "real", init=0.0),
            rec.signal("dds", "phase", "real")]
    rng = np.random.default_rng(3)
    t = 0
    for chunk in range(40):
        for _ in range(int(rng.integers(1, 200))):
            t += int(rng.integers(0, 3))
            which = int(rng.integers(0, 4))
            value = [float(rng.integers(0, 2)), float(rng.integers(0, 3)),
                     float(rng.choice([0.0, -0.0, 2.5, float("nan")])),
                     float(rng.choice([0.25, 0.5]))][which]
            rec.record(t - 40 if chunk == 0 else t, sigs[which].id, value)
        if chunk % 13 == 5:
            rec.record(t - 1000, sigs[0].id, 1.0)  # late: before what was released
        rec.release(t - int(rng.integers(0, 50)))
    rec.close()
    return [line for line in path.read_text().splitlines() if not line.startswith("$date")]


@pytest.mark.parametrize("batch", [1, 300, 1 << 20])
def test_queued_vcd_is_pyvcds_text(tmp_path, vcd_event_by_event, batch):
    fast = _vcd_text(tmp_path / "fast.vcd", batch)
    slow = _vcd_text(tmp_path / "slow.vcd", batch, vcd_event_by_event)
    assert fast == slow
    assert len(fast) > 1000


def _pulses(batched, now, cpu, slack=None, dma=False, flush_every=7):
    sim = Simulation(slack=slack)
    sim.recorder.flush_every = sim.recorder.next_flush = flush_every  # releases mid-way
    sig = sim.signal("ttl0", "state", "bool", init=0)
    tl = sim.timeline
    tl.now, tl.cpu = now, cpu
    if dma:
        sim.dma_capture = DMATrace()
    error = None
    try:
        for duration in (0, 5, 400, 3, 1000):
            if batched:
                sim.pulse(sig, duration, 7)
            else:
                sim.output(sig, 1, 7)
                tl.now += duration
                sim.output(sig, 0, 7)
    except RTIOUnderflow as exc:
        error = str(exc)
    rec = sim.recorder
    released = [(c[0].tolist(), c[1].tolist(), c[2].tolist()) for c in rec._chunks]
    return ((tl.now, tl.cpu, sim.rtio_events, sim.underflows, rec.next_flush), error,
            (list(rec._t), list(rec._s), list(rec._v)), released,
            [(t, s.name, v) for t, s, v in sim.dma_capture or ()])


@pytest.mark.parametrize("slack", [None, {"enabled": False}])
def test_pulse_is_two_outputs(slack):
    errors = set()
    for now in range(0, 4000, 37):
        for flush_every in (1, 2, 3, 7):
            batched = _pulses(True, now, 1000, slack, flush_every=flush_every)
            assert batched == _pulses(False, now, 1000, slack, flush_every=flush_every)
            errors.add(batched[1])
    assert None in errors and len(errors) > (0 if slack else 3)
    assert _pulses(True, 0, 0, slack, dma=True) == _pulses(False, 0, 0, slack, dma=True)


def _edge_pulses(batched, now, cpu, slack=None):
    """An IO_UPDATE-like TTL (a rising-edge hook): pulses, with ``on`` before some."""
    sim = Simulation(slack=slack)
    core = types.SimpleNamespace(sim=sim)
    ttl = TTLOut(types.SimpleNamespace(get=lambda name: core), 5)
    edges = []
    ttl._add_edge_hook(edges.append)
    tl = sim.timeline
    tl.now, tl.cpu = now, cpu
    error = None
    try:
        for duration in (8, 0, 400, 8, 1000):
            if duration == 400:
                ttl.on()  # high already: no rising edge, no hook
            if batched:
                ttl.pulse_mu(duration)
            else:
                ttl._special_output(ttl._sig_state, 1, ttl.channel)
                tl.now += duration
                ttl._special_output(ttl._sig_state, 0, ttl.channel)
    except RTIOUnderflow as exc:
        error = str(exc)
    rec = sim.recorder
    return ((tl.now, tl.cpu, sim.rtio_events, sim.underflows, ttl._level), error, edges,
            (list(rec._t), list(rec._s), list(rec._v)))


def test_edge_hooked_pulse_is_two_outputs():
    errors = set()
    for now in range(0, 6000, 41):
        batched = _edge_pulses(True, now, 1000)
        assert batched == _edge_pulses(False, now, 1000), now
        errors.add(batched[1])
    assert None in errors and len(errors) > 3


def _small_releases(monkeypatch, few):
    monkeypatch.setattr(recorder_module, "_FEW", few)
    rec = Recorder(None)
    seen = []
    rec.subscribers.append(lambda t, s, v: seen.append((t.tolist(), s.tolist(), v.tolist())))
    rng = np.random.default_rng(8)
    now = 100
    for _ in range(400):
        for _ in range(int(rng.integers(0, 6))):
            now += int(rng.integers(-3, 8))  # sometimes back in time (program order)
            rec.record(now, int(rng.integers(0, 3)), [1, 0, 2.5][int(rng.integers(0, 3))])
        rec.release(now - int(rng.integers(-2, 12)))
    pending = (list(rec._t), list(rec._s), list(rec._v))
    rec.release(None)
    return seen, pending, rec.released_until, rec.late_events, rec.event_count


def test_small_release_is_numpys(monkeypatch):
    with monkeypatch.context() as patch:
        python = _small_releases(patch, 16)
    with monkeypatch.context() as patch:
        numpy_only = _small_releases(patch, 0)
    assert python == numpy_only
    assert python[3] > 0 and len(python[0]) > 200  # late events and many releases


def _seconds_pulses(batched, hooked):
    sim = Simulation()
    core = types.SimpleNamespace(sim=sim)
    ttl = TTLOut(types.SimpleNamespace(get=lambda name: core), 5)
    if hooked:
        ttl._add_edge_hook(lambda t: None)
    tl = sim.timeline
    tl.now = 10_000
    error = None
    try:
        for duration in (1.5e-9, 2.5e-9, 0.0, 1e-6, float("nan")):
            if batched:
                ttl.pulse(duration)
            else:  # on; delay(duration); off
                ttl._out(ttl._sig_state, 1, ttl.channel)
                tl.take_time(duration)
                ttl._out(ttl._sig_state, 0, ttl.channel)
    except ValueError as exc:
        error = str(exc)
    rec = sim.recorder
    return (tl.now, tl.cpu, sim.rtio_events, ttl._level), error, list(rec._t), list(rec._v)


@pytest.mark.parametrize("hooked", [False, True])
def test_pulse_in_seconds_is_on_delay_off(hooked):
    batched = _seconds_pulses(True, hooked)
    assert batched == _seconds_pulses(False, hooked)
    assert batched[1] is not None  # the NaN pulse: its rising edge, then the error
