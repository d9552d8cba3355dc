"""The event recorder: time-ordered release, a waveform GTKWave can read, bounded memory."""
import pytest

from control.sim.recorder import HistoryTruncated, Recorder
from control.sim.simulation import Simulation


def test_memory_stays_bounded_on_long_runs(tmp_path):
    sim = Simulation(vcd=str(tmp_path / "long.vcd"), history_limit=5000)
    sim.recorder.flush_every = sim.recorder.next_flush = 1000
    sig = sim.signal("ttl0", "state", "bool", init=0)
    tl = sim.timeline
    tl.now = 200_000
    n = 50_000
    for i in range(n):
        sim.output(sig, i & 1)
        tl.now += 1000
        tl.cpu = tl.now - 100_000  # 100 µs of slack: events before the CPU are final
        longest_pending = len(sim.recorder._t)
        # pending events never pile up: a flush's worth plus those not yet final (100 µs)
        assert longest_pending <= 1000 + 100
    sim.close()
    rec = sim.recorder
    assert rec.event_count == n
    held = sum(len(chunk[0]) for chunk in rec._chunks)
    assert held <= 5000 + 1000  # the history is capped (a chunk of slack)
    with pytest.raises(HistoryTruncated):
        rec.peek("ttl0", "state", 200_000)
    assert rec.peek("ttl0", "state", tl.now) == bool((n - 1) & 1)
    # every change made it to the waveform, in order, with non-negative times
    text = (tmp_path / "long.vcd").read_text()
    times = [int(line[1:]) for line in text.splitlines() if line.startswith("#")]
    assert times == sorted(times) and times[0] >= 0 and len(times) == n


def test_release_orders_events_and_counts_late_ones():
    rec = Recorder()
    sig = rec.signal("dds", "frequency", "real", init=0.0)
    for t, v in [(30, 3.0), (10, 1.0), (20, 2.0)]:
        rec.record(t, sig.id, v)
    rec.release(25)  # 10 and 20 are final, 30 is not
    assert [e[0] for e in rec.events("dds")] == [10, 20]
    rec.record(15, sig.id, 1.5)  # arrives after 20 was released: late
    rec.release(None)
    assert rec.late_events == 1
    assert rec.peek("dds", "frequency", 35) == 3.0
    with pytest.raises(KeyError, match="recorded: dds.frequency"):
        rec.peek("dds", "phase", 0)
