"""RB and RTIO slack on the simulated traps: how long a 1-qubit RB sequence plays without an
RTIO underflow with the CPU in the gate loop and with DMA, the least slack each run leaves,
and the shot rate of DMA RB against a flat hand-written kernel of the same pulses.

Per trap and per way of playing the gates (the gate loop: the trap's RB kernel with
``dma=False``; DMA: each sequence recorded once, played back in every shot), one random
sequence of each length (``--lengths``, Cliffords, longest last) plays ``--shots`` shots
on the simulator with ``SlackModel``'s costs (``control/sim/timeline.py``, derived from
the compiled kernels: ``--derive-costs``); a length that underflows ends that column. Each
run's least slack is the least ``timestamp - submit time`` over every event the CPU
submits (sampled where the simulator charges an event) and every event the DMA engine
plays back (``CoreDMA.least_slack_mu``). The gate loop is also run with the costs the
simulator had before they were derived (700 ns an event, 30 a call, 40 a loop iteration),
for contrast.

The shot rate is shots per second of simulated hardware time (the RTIO counter from the
kernel's start to its end, kernel start-up included), for ``--rate-samples`` sequences of
``--rate-length`` Cliffords, ``--rate-shots`` shots each: DMA RB against a flat kernel
that plays the same shots with the gates written by hand (the literals of
``benchmarks/flat_kernels.py``; preparation and detection through the HAL, as RB does),
in the same process. The two must leave the same RTIO events and the same survivals.

    python benchmarks/rb_slack.py [--systems yb171,ca40] [--lengths 50,200,...,5000]
        [--shots 3] [--rate-length 200] [--rate-samples 3] [--rate-shots 50] [--quick]
    python benchmarks/rb_slack.py --derive-costs    (needs ARTIQ and unicorn)

The last line is JSON: per trap, DMA's longest length without underflow (capped at the
longest tried), its least slack (mu) and its shot rate over the flat kernel's.
"""
import argparse
import contextlib
import json
import logging
import math
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
from numpy import int64  # noqa: E402

from benchmarks import flat_kernels  # noqa: E402
from control.device_db import load_device_db  # noqa: E402
from control.hal import OperationInterface  # noqa: E402
from control.lang import (EnvExperiment, HasEnvironment, RTIOUnderflow,  # noqa: E402
                          delay_mu, kernel)
from control.managers import ArgumentManager, DatasetManager, DeviceManager  # noqa: E402
from control.sim import enable  # noqa: E402
from control.sim.timeline import SlackModel, TimeManager  # noqa: E402
from drivers import systems  # noqa: E402
from kernels.rb import compile_program  # noqa: E402
from kernels.rb_kernel import rb_kernel_class  # noqa: E402

PI = math.pi

# ---- deriving the slack model's costs from the compiled kernels (--derive-costs)

#: Kasli 2.0's CPU: VexRiscv (rv32g) at 125 MHz.
CPU_HZ = 125e6
#: ARTIQ's own hardware test (artiq/test/coredevice/test_rtio.py, ``test_pulse_rate``):
#: on a RISC-V Kasli, the ``PulseRate`` loop (a TTL pulse and a delay of dt) must sustain
#: dt < 480 ns.
PULSE_RATE_BOUND_NS = 480.0
#: Instructions of firmware and library functions the kernel calls, which its ELF does
#: not hold (counted from their sources, not emulated): ``rtio_output`` (ksupport/rtio.rs
#: ``output``: CSR base, target and data stores, status load and mask, branch, return),
#: ``dma_record_output`` (ksupport/lib.rs: the timestamp's two CSR loads, the buffer's
#: room and bounds checks, 13 header and 4 data bytes shifted and stored, return),
#: ``round`` (libm: the exponent tests and the add/subtract of 2^52) and ``__fixdfdi``
#: (compiler-rt: double to int64 on rv32 by integer shifts).
FIRMWARE_INSTRUCTIONS = {"rtio_output": 7, "dma_record_output": 60, "round": 25,
                         "__fixdfdi": 30, "__floatdidf": 30}


class _On(HasEnvironment):
    """One event a loop iteration: ``ttl.on()``, a delay (``--derive-costs``)."""

    def build(self, ttl, n):
        self.core, self.ttl, self.n, self.d = ttl.core, ttl, n, int64(300)
        self.kernel_invariants = {"core", "ttl", "d"}

    @kernel
    def run(self):
        self.core.break_realtime()
        for _ in range(self.n):
            self.ttl.on()
            delay_mu(self.d)


class _OnOff(_On):
    """Two events a loop iteration: ``ttl.on()``, a delay, ``ttl.off()``, a delay."""

    @kernel
    def run(self):
        self.core.break_realtime()
        for _ in range(self.n):
            self.ttl.on()
            delay_mu(self.d)
            self.ttl.off()
            delay_mu(self.d)


class _PulseRate(_On):
    """ARTIQ's ``PulseRate`` loop (test_rtio.py), without its search for dt."""

    @kernel
    def run(self):
        self.core.break_realtime()
        dt = self.d
        for _ in range(self.n):
            try:
                self.ttl.pulse_mu(dt)
                delay_mu(dt)
            except RTIOUnderflow:
                dt += 1
                self.core.break_realtime()
                break


MICRO_KERNELS = (("On", _On), ("OnOff", _OnOff), ("PulseRate", _PulseRate))


def _compiled(k, folder, name):
    """Compile kernel ``k`` on its host-less core (ELF dumped) and emulate it."""
    from benchmarks.gate_time import emulate
    stem = os.path.join(folder, name)
    os.environ["ARTIQ_DUMP_ELF"] = stem
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        try:
            k.run()
        except Exception:  # the dummy comm cannot run kernels; compiling is enough
            if not os.path.exists(stem + ".elf"):
                raise
    return emulate(stem + ".elf")


def _instructions(run):
    """Instructions a run executed: the kernel's .text and .plt, and the firmware and
    library functions it called (``FIRMWARE_INSTRUCTIONS`` each)."""
    library = sum(FIRMWARE_INSTRUCTIONS.get(name, 0) * count
                  for name, count in run["calls"].items())
    return run["executed"] + run["plt"] + library


def _per_iteration(make, folder, name, n=100):
    """Instructions and RTIO outputs per loop iteration: (run(2n) - run(n)) / n."""
    one = _compiled(make(n), folder, name + "_x1")
    two = _compiled(make(2 * n), folder, name + "_x2")
    return ((_instructions(two) - _instructions(one)) / n,
            (len(two["rtio"]) - len(one["rtio"])) / n)


def _sim_charges(system, chunk):
    """What the simulator charges per gate for the HAL gate path playing ``chunk``:
    ``{"events": .., "calls": .., "loops": ..}`` (each cost set to 1 mu in turn)."""
    import numpy as np

    from benchmarks.flat_kernels import hal_gate_path
    from control.device_db import load_device_db
    from control.hal import OperationInterface
    from control.lang import EnvExperiment
    from control.managers import ArgumentManager, DatasetManager, DeviceManager
    from control.sim import enable
    from drivers import systems

    class Trap(EnvExperiment):
        def build(self):
            self.trap = systems.build(self, system)
            self.ops = self.trap.find(OperationInterface)

        def run(self):
            pass

    zero = {f: 0.0 for f in ("event_ns", "input_ns", "call_ns", "loop_ns", "rpc_ns",
                             "async_rpc_ns", "kernel_start_ns", "dma_record_ns")}
    out = {}
    for key, field in (("events", "event_ns"), ("calls", "call_ns"), ("loops", "loop_ns")):
        options = systems.sim_config(system, seed=1)
        dmgr = DeviceManager(enable(load_device_db(systems.device_db_path(system)),
                                    slack=dict(zero, **{field: 1.0}), **options))
        env = Trap((dmgr, DatasetManager(options["datasets"]), ArgumentManager({}), {}))
        env.prepare()
        per = []
        for chunk_ in chunk:
            opcodes, starts, thetas, phis = chunk_
            k = hal_gate_path(env, env.ops)
            k.load(opcodes, starts, thetas, phis, np.zeros(1, dtype=np.int32))
            sim = dmgr.get("control_sim")
            tl = sim.timeline
            seen = {}
            finished = sim.kernel_finished

            def note(seen=seen, tl=tl, finished=finished):
                seen["cpu"] = tl.cpu  # before the counter runs on to the last event
                finished()
            sim.kernel_finished = note
            start = tl.cpu
            k.run()
            sim.kernel_finished = finished
            per.append(seen["cpu"] - start)
        out[key] = (per[1] - per[0]) / len(chunk[0][0])
        dmgr.close_devices()
    return out


def derive_costs():
    """Print the derivation of ``SlackModel``'s costs and its JSON; 0, or 1 when the
    defaults differ from what it derives."""
    from benchmarks.kernel_cost import NO_ARTIQ, build_trap, compile_case, missing
    if missing("rb_slack --derive-costs", "artiq", "no ARTIQ", NO_ARTIQ) or missing(
            "rb_slack --derive-costs", "unicorn", "no unicorn",
            "unicorn is not installed (pip install unicorn, or the 'bench' extra)."):
        return 0
    import numpy as np

    from benchmarks.flat_kernels import gate_chunk
    from control.sim.timeline import SlackModel
    from kernels.opcodes import RPHI, RZ

    folder = os.environ.get("KERNEL_COST_DUMP") or tempfile.mkdtemp(prefix="rb-slack-")
    os.makedirs(folder, exist_ok=True)
    env, ops = build_trap("ca40")
    ttl = ops.cooling.ttl  # a TTLOut of the crate
    micro = {}
    for name, cls in MICRO_KERNELS:
        micro[name] = _per_iteration(lambda n, cls=cls: cls(env, ttl=ttl, n=n), folder, name)
    ttl_event = micro["OnOff"][0] - micro["On"][0]
    loop = micro["On"][0] - ttl_event
    pulse_rate = micro["PulseRate"][0]
    ns_per_cycle = 1e9 / CPU_HZ
    cpi = PULSE_RATE_BOUND_NS / (pulse_rate * ns_per_cycle)

    # the RB gate path, one kind of gate at a time: the words of gate_time.py's chunk
    gates = {}
    for system in ("yb171", "ca40"):
        env_s, ops_s = build_trap(system)
        opcodes, _, thetas, phis = gate_chunk(ops_s.native_gates(), length=6, seed=1)
        for kind, label in ((RPHI, "rphi"), (RZ, "rz")):
            words = np.array([w for w in opcodes if w & 0xF == kind], dtype=np.int32)
            n = len(words)
            if not n:
                continue  # ca40 has no native rz
            chunks = [(np.concatenate([words] * times), np.array([0, times * n],
                                                                 dtype=np.int32),
                       thetas, phis) for times in (1, 2)]
            runs = [_compiled_case(compile_case, env_s, ops_s, chunk, folder,
                                   "{}_{}".format(system, label), times)
                    for times, chunk in zip((1, 2), chunks)]
            charges = _sim_charges(system, chunks)
            gates[system, label] = dict(
                gates=n, instructions=(_instructions(runs[1]) - _instructions(runs[0])) / n,
                rtio=(len(runs[1]["rtio"]) - len(runs[0]["rtio"])) / n, **charges)
    # a gate without events (a virtual rz: frame arithmetic in its calls) gives the call;
    # the pulses of both traps, pooled, give the event (the DDS words, the pulse length)
    calls_only = [g for g in gates.values() if not g["events"]]
    call = sum((g["instructions"] - loop * g["loops"]) * g["gates"] for g in calls_only) \
        / sum(g["calls"] * g["gates"] for g in calls_only)
    pulses = [g for g in gates.values() if g["events"]]
    event = sum((g["instructions"] - loop * g["loops"] - call * g["calls"]) * g["gates"]
                for g in pulses) / sum(g["events"] * g["gates"] for g in pulses)
    record = event - FIRMWARE_INSTRUCTIONS["rtio_output"] + \
        FIRMWARE_INSTRUCTIONS["dma_record_output"]
    ns = cpi * ns_per_cycle  # per instruction
    derived = {"event_ns": event * ns, "call_ns": call * ns, "loop_ns": loop * ns,
               "dma_record_ns": record * ns}

    print("Slack model costs from the compiled kernels (ARTIQ's compiler, rv32g, for the "
          "crates' device databases;\nexecuted instructions counted in an emulator, "
          "firmware and library calls at FIRMWARE_INSTRUCTIONS)")
    print("{:<34s} {:>14s} {:>12s}".format("TTL loop (ca40 crate)", "instr / iter",
                                           "rtio / iter"))
    for name, (instr, rtio) in micro.items():
        print("{:<34s} {:>14.1f} {:>12.1f}".format(name, instr, rtio))
    print("loop iteration = 2 On - OnOff = {:.1f} instructions (a TTL event, its delay "
          "included: {:.1f})".format(loop, ttl_event))
    print("PulseRate: {:.1f} instructions = {:.0f} ns at one instruction a cycle "
          "({:.0f} MHz);\nARTIQ's hardware test requires < {:.0f} ns: {:.3f} cycles an "
          "instruction, the slowest CPU that passes it".format(
              pulse_rate, pulse_rate * ns_per_cycle, CPU_HZ / 1e6, PULSE_RATE_BOUND_NS,
              cpi))
    print("{:<14s} {:>6s} {:>14s} {:>7s} {:>7s} {:>7s} {:>7s} {:>14s}".format(
        "RB gate path", "gates", "instr / gate", "rtio", "events", "calls", "loops",
        "model / exact"))
    for (system, label), g in gates.items():
        model = event * g["events"] + call * g["calls"] + loop * g["loops"]
        print("{:<14s} {:>6d} {:>14.1f} {:>7.2f} {:>7.2f} {:>7.2f} {:>7.2f} {:>14.3f}".format(
            system + " " + label, g["gates"], g["instructions"], g["rtio"], g["events"],
            g["calls"], g["loops"], model / g["instructions"]))
    print("call = rz's instructions less its loop iteration, over its calls = {:.1f};\n"
          "event = the pulses' instructions less loops and calls, over their events "
          "(pooled) = {:.1f};\na recorded event = event - rtio_output + "
          "dma_record_output = {:.1f}".format(call, event, record))
    print("at {:.2f} ns an instruction: ".format(ns) + ", ".join(
        "{} {:.1f}".format(k, v) for k, v in derived.items()))
    defaults = SlackModel()
    same = all(abs(getattr(defaults, k) - round(v)) <= 0.5 for k, v in derived.items())
    print("SlackModel defaults: {} ({})".format(
        ", ".join("{} {:g}".format(k, getattr(defaults, k)) for k in derived),
        "as derived" if same else "DIFFERENT from the derivation"))
    print(json.dumps({"instructions": {"event": round(event, 2), "loop": loop,
                                       "call": round(call, 2), "ttl_event": ttl_event,
                                       "dma_record": round(record, 2),
                                       "pulse_rate": pulse_rate},
                      "cycles_per_instruction": round(cpi, 4),
                      "costs_ns": {k: round(v, 1) for k, v in derived.items()},
                      "gates": {"{} {}".format(*k): v for k, v in gates.items()},
                      "defaults_match": same}))
    return 0 if same else 1


def _compiled_case(compile_case, env, ops, chunk, folder, system, times):
    from benchmarks.gate_time import emulate
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        elf = compile_case(env, ops, "a_hal", chunk, folder,
                           dump_name="{}_hal_x{}".format(system, times))
    return emulate(elf)


# ---- RB on the simulated traps

#: The costs the simulator had before they were derived (``SlackModel`` then).
FORMER_COSTS = {"event_ns": 700.0, "call_ns": 30.0, "loop_ns": 40.0}


class _ProbedTimeManager(TimeManager):
    """The simulator's time manager, noting the least slack (``now - cpu``) of the events
    the CPU submits, and each event's ``(time, slack)`` in ``slack_samples`` unless that
    is None: ``Simulation.output`` and ``rtio_event`` read ``event_mu`` once per
    submitted event, right after its underflow check, so the property samples there."""

    @property
    def event_mu(self):
        """The cost of an event; reading it samples the slack."""
        slack = self.now - self.cpu
        if slack < self.least_slack:
            self.least_slack = slack
        if self.slack_samples is not None:
            self.slack_samples.append((self.now, slack))
        return self._event_mu

    @event_mu.setter
    def event_mu(self, value):
        self._event_mu = value


def probe_slack(sim, samples=False):
    """Make ``sim``'s timeline note the least slack of the CPU's events
    (``sim.timeline.least_slack``, reset it to ``math.inf`` to start again) and, with
    ``samples``, every event's ``(time, slack)`` (``sim.timeline.slack_samples``)."""
    tl = sim.timeline
    event_mu = tl.__dict__.pop("event_mu")
    tl.__class__ = _ProbedTimeManager
    tl.event_mu = event_mu
    tl.least_slack = math.inf
    tl.slack_samples = [] if samples else None


class Trap(EnvExperiment):
    """A simulated trap (``systems.build``) and its ``OperationInterface``."""

    def build(self, system):
        self.trap = systems.build(self, system)
        self.ops = self.trap.find(OperationInterface)

    def run(self):
        pass


def simulated_trap(system, seed=1, slack=None, samples=False):
    """``(env, dmgr, sim)``: the trap on its simulated twin (its sim config, ``seed``,
    ``slack`` costs over the defaults), initialized, the CPU's slack probed
    (:func:`probe_slack`, every event's with ``samples``)."""
    options = systems.sim_config(system, seed=seed)
    dmgr = DeviceManager(enable(load_device_db(systems.device_db_path(system)),
                                slack=slack, **options))
    env = Trap((dmgr, DatasetManager(options["datasets"]), ArgumentManager({}), {}), system)
    env.prepare()
    sim = dmgr.get("control_sim")
    probe_slack(sim, samples)
    return env, dmgr, sim


def rb_program(ops, lengths, samples=1, seed=7):
    """A 1-qubit RB program of ``samples`` sequences per length for the trap of ``ops``."""
    return compile_program(ops.native_gates(), 1, list(lengths), samples, seed=seed)


def play(env, program, shots, dma):
    """Play ``program``'s sequences (one chunk) with the RB kernel, ``shots`` each, with
    DMA or the gate loop: ``{"played", "least_slack_mu", "hardware_s", "survived"}``;
    an underflow ends the run (``played`` False)."""
    ops = env.ops
    sim = env.get_device("control_sim")
    k = rb_kernel_class(ops, 1)(env, ops=ops, qubits=[0], shots=shots, dma=dma)
    k.load(*program.chunk_arrays(0, program.n_sequences))
    return _timed(sim, k, dma and k.player.core_dma)


def _timed(sim, k, dma):
    tl = sim.timeline
    tl.least_slack = math.inf
    if dma:
        dma.least_slack_mu = None
    start = tl.cpu
    try:
        k.run()
        played = True
    except RTIOUnderflow:
        played = False
    least = tl.least_slack
    playback = dma.least_slack_mu if dma else None
    if playback is not None:
        least = min(least, playback)
    return {"played": played, "least_slack_mu": least, "playback_least_slack_mu": playback,
            "hardware_s": (tl.cpu - start) * sim.ref_period,
            "survived": k.survived.copy()}


class FlatShots(HasEnvironment):
    """RB's shots with the gates written by hand, one flat kernel (the yardstick of the
    shot rate): per sequence and shot, the HAL's ``prep_0_all``, the sequence's pulses
    played inline with the literals of ``benchmarks/flat_kernels.py`` (one AD9910 channel
    whose frequency picks the qubit, or one AD9912 beam per qubit), the HAL's ``m_z_all``.
    Plays qubit 0's words."""

    def build(self, ops, program, shots):
        flat_kernels.configure(ops)
        self.ops = ops
        self.core = ops.core
        self.microwave = hasattr(ops.drive, "ftws")
        self.dds = ops.drive.dds if self.microwave else ops.drive.beams[0].dds
        self.sw = self.dds.sw
        opcodes, starts, thetas, phis, expected = program.chunk_arrays(
            0, program.n_sequences)
        self.opcodes = np.ascontiguousarray(opcodes, dtype=np.int32)
        self.starts = np.ascontiguousarray(starts, dtype=np.int32)
        self.thetas, self.phis = thetas, phis
        self.expected = np.ascontiguousarray(expected, dtype=np.int32)
        self.n_seq = program.n_sequences
        self.shots = shots
        self.survived = np.zeros(self.n_seq, dtype=np.int32)
        self.kernel_invariants = {"ops", "core", "microwave", "dds", "sw", "opcodes",
                                  "starts", "thetas", "phis", "expected", "n_seq", "shots"}

    @kernel
    def run(self):
        self.core.break_realtime()
        self.ops.initialize()
        for s in range(self.n_seq):
            for _shot in range(self.shots):
                self.ops.prep_0_all()
                frame = 0.0
                for k in range(self.starts[s], self.starts[s + 1]):
                    op = self.opcodes[k]
                    kind = op & 0xF
                    p = op >> 12
                    theta = self.thetas[p]
                    phi = 0.0
                    n = 0  # pulses to play
                    if kind == 1:  # rphi
                        phi = self.phis[p]
                        n = 1
                    elif kind == 2:  # rz
                        if flat_kernels.VIRTUAL_Z:
                            frame += theta
                        else:  # R_0(pi) R_(-theta/2)(pi)
                            phi = -theta / 2.0
                            theta = PI
                            n = 2
                    for i in range(n):
                        if i == 1:
                            phi = 0.0
                        turns = (phi - frame) / (2.0 * PI)
                        if theta < 0.0:
                            theta = -theta
                            turns += 0.5
                        duration = int64(round(flat_kernels.PI_TIME * theta / PI))
                        if self.microwave:
                            self.dds.set_mu(flat_kernels.FTW0, self.dds.turns_to_pow(turns),
                                            flat_kernels.ASF)
                        else:
                            self.dds.set_mu(flat_kernels.FTW0, self.dds.turns_to_pow(turns))
                        self.sw.pulse_mu(duration)
                self.ops.m_z_all()
                if self.ops.get_measurement(0) == self.expected[s] & 1:
                    self.survived[s] += 1


def play_flat(env, program, shots):
    """:func:`play` for :class:`FlatShots`."""
    sim = env.get_device("control_sim")
    return _timed(sim, FlatShots(env, ops=env.ops, program=program, shots=shots), None)


def shot_events(sim, ops):
    """Each shot's RTIO output as the waveform shows it: per shot (between one rising
    edge of the cooling TTL and the next), the ``(time from the shot's start, device,
    signal, value)`` of every recorded event that changes its signal's value, in time
    order. A shot's first instant is left out: what came before it may end there
    (``initialize``'s last DDS update before the first shot)."""
    cool = ops.cooling.ttl._key
    starts = [t for t, _, on in sim.events(cool, "state") if on]
    changes, last = [], {}
    for sig in sim.recorder.signals:
        for t, name, value in sim.events(sig.device, sig.name):
            key = (sig.device, name)
            if last.get(key, sig.init) != value:
                changes.append((t, sig.device, name, value))
            last[key] = value
    changes.sort()
    shots = [[] for _ in starts]
    i = -1
    for t, device, name, value in changes:
        while i + 1 < len(starts) and t >= starts[i + 1]:
            i += 1
        if i >= 0 and t > starts[i]:
            shots[i].append((t - starts[i], device, name, value))
    return shots


def _slack_text(run):
    if not run["played"]:
        return "underflow"
    return "{:,}".format(int(run["least_slack_mu"]))


def slack_column(system, lengths, shots, dma, slack=None):
    """Per length (increasing), the run of one sequence of that many Cliffords; after
    the first underflow, None."""
    env, dmgr, sim = simulated_trap(system, slack=slack)
    out = []
    for m in lengths:
        if out and (out[-1] is None or not out[-1]["played"]):
            out.append(None)
            continue
        program = rb_program(env.ops, [m])
        run = play(env, program, shots, dma)
        run["pulses"] = int(np.diff(program.starts)[0])
        out.append(run)
    dmgr.close_devices()
    return out


def shot_rate(system, length, samples, shots):
    """DMA RB against the flat kernel on the same sequences and shots, each on a fresh
    simulated trap with the same seed: their runs and whether each shot's RTIO output
    and each sequence's survival are the same."""
    runs, waveforms = {}, {}
    for name in ("flat", "dma"):
        env, dmgr, sim = simulated_trap(system)
        program = rb_program(env.ops, [length], samples)
        runs[name] = play_flat(env, program, shots) if name == "flat" else \
            play(env, program, shots, dma=True)
        waveforms[name] = shot_events(sim, env.ops)
        runs[name]["rtio_events"] = sim.rtio_events
        dmgr.close_devices()
    same_output = waveforms["flat"] == waveforms["dma"] and \
        runs["flat"]["rtio_events"] == runs["dma"]["rtio_events"]
    same_survival = bool(np.array_equal(runs["flat"]["survived"], runs["dma"]["survived"]))
    return runs, same_output, same_survival


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--derive-costs", action="store_true",
                        help="derive SlackModel's costs from compiled kernels (ARTIQ, "
                             "unicorn) instead")
    parser.add_argument("--systems", default="yb171,ca40")
    parser.add_argument("--lengths", default="50,200,500,1000,2000,5000")
    parser.add_argument("--shots", type=int, default=3)
    parser.add_argument("--rate-length", type=int, default=200)
    parser.add_argument("--rate-samples", type=int, default=3)
    parser.add_argument("--rate-shots", type=int, default=50)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes (the test suite's run): lengths 20,50, 1 shot, "
                             "rate on 1 sequence of 20 Cliffords, 3 shots")
    args = parser.parse_args()
    if args.derive_costs:
        return derive_costs()
    if args.quick:
        args.lengths, args.shots = "20,50", 1
        args.rate_length, args.rate_samples, args.rate_shots = 20, 1, 3
    logging.disable(logging.WARNING)
    lengths = sorted(int(x) for x in args.lengths.split(","))
    model = SlackModel()
    print("1-qubit RB on the simulated traps: one sequence a length, {} shot(s); the "
          "least slack (mu) of a run,\nover every event the CPU or the DMA engine submits "
          "(an event needs {:.0f} mu: the RTIO latency)".format(
              args.shots, model.latency_ns * 1e-9 / 1e-9))
    print("costs: event {:g} ns, call {:g} ns, loop {:g} ns, recorded event {:g} ns "
          "(derived: --derive-costs);\n'DMA playback' = the least slack of the events the "
          "DMA engine played (of the gates alone);\n'former' = the gate loop with the costs "
          "the simulator had before (event {event_ns:g}, call {call_ns:g}, loop "
          "{loop_ns:g} ns)".format(model.event_ns, model.call_ns, model.loop_ns,
                                   model.dma_record_ns, **FORMER_COSTS))
    head = "{:<7s} {:>9s} {:>7s} {:>12s} {:>12s} {:>14s} {:>12s}"
    print(head.format("trap", "Cliffords", "pulses", "gate loop", "DMA", "DMA playback",
                      "former loop"))
    figures, longest = {}, {}
    for system in args.systems.split(","):
        columns = {"loop": slack_column(system, lengths, args.shots, dma=False),
                   "dma": slack_column(system, lengths, args.shots, dma=True),
                   "former": slack_column(system, lengths, args.shots, dma=False,
                                          slack=FORMER_COSTS)}
        for i, m in enumerate(lengths):
            pulses = next(c[i]["pulses"] for c in columns.values() if c[i] is not None)
            dma = columns["dma"][i]
            playback = "-" if dma is None or not dma["played"] else "{:,}".format(
                int(dma["playback_least_slack_mu"]))
            print(head.format(system, str(m), str(pulses), *(
                "-" if columns[c][i] is None else _slack_text(columns[c][i])
                for c in ("loop", "dma")), playback, "-" if columns["former"][i] is None
                else _slack_text(columns["former"][i])))
        longest[system] = {}
        for name, column in columns.items():
            played = [m for m, run in zip(lengths, column) if run is not None and run["played"]]
            longest[system][name] = max(played) if played else 0
        dma_played = [run for run in columns["dma"] if run is not None and run["played"]]
        figures[system] = {
            "longest_without_underflow": longest[system]["dma"],
            "min_slack_mu": int(min(run["least_slack_mu"] for run in dma_played))
            if dma_played else None}
    print("longest without underflow (of {}): ".format(lengths[-1]) + "; ".join(
        "{}: gate loop {}, DMA {}, former gate loop {}".format(
            system, v["loop"], v["dma"], v["former"]) for system, v in longest.items()))
    print()
    print("shot rate: {} sequence(s) of {} Cliffords, {} shots each; shots per second of "
          "simulated hardware time".format(args.rate_samples, args.rate_length,
                                           args.rate_shots))
    head = "{:<7s} {:>12s} {:>12s} {:>10s} {:>12s} {:>12s}"
    print(head.format("trap", "flat", "DMA RB", "DMA/flat", "same RTIO", "same result"))
    ok = True
    for system in figures:
        runs, same_output, same_survival = shot_rate(
            system, args.rate_length, args.rate_samples, args.rate_shots)
        total = args.rate_samples * args.rate_shots
        rate = {name: total / run["hardware_s"] for name, run in runs.items()}
        played = runs["flat"]["played"] and runs["dma"]["played"]
        ratio = rate["dma"] / rate["flat"] if played else None
        print(head.format(system, "{:.1f}".format(rate["flat"]),
                          "{:.1f}".format(rate["dma"]),
                          "{:.3f}".format(ratio) if played else "underflow",
                          "yes" if same_output else "NO", "yes" if same_survival else "NO"))
        ok = ok and played and same_output and same_survival
        figures[system]["shot_rate_ratio_vs_flat"] = round(ratio, 4) if played else None
    print("DMA RB pays, per sequence, its recording ({:g} ns an event) and a "
          "break_realtime (125 us);\nthe flat kernel plays the same pulses from the CPU "
          "in every shot.".format(model.dma_record_ns))
    print(json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
