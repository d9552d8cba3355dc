"""The recorder's batched VCD writing gives, byte for byte, the text of pyvcd's
``VCDWriter.change`` called event by event (the way it wrote before)."""
import numpy as np

from control.sim.recorder import Recorder


def _events(seed=5, n=4000):
    rng = np.random.default_rng(seed)
    times = np.cumsum(rng.integers(0, 3, n)) - 5  # repeats, and some negative times
    out = []
    for t in times.tolist():
        which = int(rng.integers(0, 4))
        if which == 0:
            value = float(rng.integers(0, 2))  # bool
        elif which == 1:
            value = float(rng.integers(0, 3))  # int, repeats
        else:
            value = float(rng.choice([0.0, -0.0, 1.5, 2.5e6, 1 / 3, float("nan")]))
        out.append((t, which, value))
    return out


def _write(path, batched, event_by_event):
    rec = Recorder(str(path), flush_every=1 << 30)
    if not batched:
        event_by_event(rec)
    sigs = [rec.signal("ttl0", "state", "bool", init=0),
            rec.signal("att", "word", "int", size=8, init=0),
            rec.signal("dds", "frequency", "real", init=0.0),
            rec.signal("dds", "phase", "real")]
    events = _events()
    for k in range(0, len(events), 500):  # several releases, the first at time 0
        for t, which, value in events[k:k + 500]:
            rec.record(t, sigs[which].id, value)
        rec.release(events[min(k + 500, len(events) - 1)][0])
    rec.record(-3, sigs[0].id, 1.0)  # late: before what the VCD already shows
    rec.close()
    lines = path.read_text().splitlines()
    return [line for line in lines if not line.startswith("$date")]


def test_batched_vcd_text_is_pyvcds(tmp_path, vcd_event_by_event):
    fast = _write(tmp_path / "fast.vcd", True, vcd_event_by_event)
    slow = _write(tmp_path / "slow.vcd", False, vcd_event_by_event)
    assert fast == slow
    assert any(line.startswith("r-0 ") for line in fast)  # -0.0 kept apart from 0.0
