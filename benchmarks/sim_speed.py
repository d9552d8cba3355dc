"""Simulator speed: a fixed kernel (cool, pump, 20 gate pulses, detect; 1000 shots) on the
simulated 171Yb+ trap, with the VCD waveform on and off.

Prints simulated RTIO events per second of wall time, the real-time factor (simulated
timeline / wall time) with and without the VCD, and peak memory; the last line is JSON.
An RTIO event is what a kernel submits to the RTIO core: a TTL edge, an SPI config or data
word (a DDS register write is several), a DMA-played event. The recorded signal changes
(what the VCD and the ion model see: TTL levels, DDS frequency/phase/amplitude taking
effect at IO_UPDATE) are counted apart.

    python benchmarks/sim_speed.py [--shots N] [--system yb171|ca40] [--repeat K]
"""
import argparse
import json
import math
import os
import resource
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from control.device_db import load_device_db  # noqa: E402
from control.hal import OperationInterface  # noqa: E402
from control.lang import EnvExperiment, kernel  # noqa: E402
from control.managers import ArgumentManager, DatasetManager, DeviceManager  # noqa: E402
from control.sim import enable  # noqa: E402
from drivers import systems  # noqa: E402

PI = math.pi


class FixedKernel(EnvExperiment):
    def build(self, system, shots):
        self.trap = systems.build(self, system)
        self.ops = self.trap.find(OperationInterface)
        self.core = self.ops.core
        self.shots = shots

    @kernel
    def run(self):
        self.core.break_realtime()
        self.ops.initialize()
        for _shot in range(self.shots):
            self.ops.prep_0_all()
            for _gate in range(10):
                self.ops.rphi(PI / 2, 0.0, 0)
                self.ops.rphi(PI / 2, PI / 2, 1)
            self.ops.m_z_all()


def measure(system, shots, vcd):
    options = systems.sim_config(system, seed=1, vcd=vcd)
    ddb = enable(load_device_db(systems.device_db_path(system)), **options)
    dmgr = DeviceManager(ddb)
    exp = FixedKernel((dmgr, DatasetManager(options["datasets"]), ArgumentManager({}), {}),
                      system, shots)
    exp.prepare()
    sim = dmgr.get("control_sim")
    start_events, start_changes = sim.rtio_events, sim.recorder.event_count
    t0 = time.perf_counter()
    exp.run()
    dmgr.close_devices()
    wall = time.perf_counter() - t0
    events = sim.rtio_events - start_events
    simulated = sim.timeline.now * sim.ref_period  # seconds of timeline
    return {"wall_s": wall, "events": events, "events_per_s": events / wall,
            "changes": sim.recorder.event_count - start_changes,
            "simulated_s": simulated, "realtime_factor": simulated / wall}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--system", default="yb171", choices=systems.names())
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each; the fastest counts (as timeit does: a shared "
                             "machine only ever slows a run down)")
    args = parser.parse_args()

    def best(vcd):
        return min((measure(args.system, args.shots, vcd) for _ in range(args.repeat)),
                   key=lambda r: r["wall_s"])
    with tempfile.TemporaryDirectory() as tmp:
        vcd_path = os.path.join(tmp, "bench.vcd")
        on = best(vcd_path)
        vcd_mb = os.path.getsize(vcd_path) / 1e6
    off = best(None)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("simulator speed: {} shots of cool, pump, 20 pulses, detect on {} (best of {})"
          .format(args.shots, args.system, args.repeat))
    print("{:<22s} {:>12s} {:>12s}".format("", "VCD on", "VCD off"))
    for key, label, fmt in (("wall_s", "wall time (s)", "{:.2f}"),
                            ("events", "RTIO events", "{:d}"),
                            ("events_per_s", "RTIO events / s", "{:.0f}"),
                            ("changes", "recorded changes", "{:d}"),
                            ("simulated_s", "timeline (s)", "{:.3f}"),
                            ("realtime_factor", "real-time factor", "{:.2f}")):
        print("{:<22s} {:>12s} {:>12s}".format(label, fmt.format(on[key]),
                                                fmt.format(off[key])))
    print("{:<22s} {:>12.1f}".format("VCD size (MB)", vcd_mb))
    print("{:<22s} {:>12.0f}".format("peak RSS (MB)", peak_mb))
    print(json.dumps({"events_per_s": round(off["events_per_s"]),
                      "events_per_s_vcd": round(on["events_per_s"]),
                      "realtime_factor_vcd": round(on["realtime_factor"], 3),
                      "realtime_factor_novcd": round(off["realtime_factor"], 3),
                      "peak_rss_mb": round(peak_mb, 1)}))


if __name__ == "__main__":
    main()
