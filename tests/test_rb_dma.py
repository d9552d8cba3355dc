"""RB by DMA on the simulated traps: each sequence recorded once and played back in every
shot. Sequences of any length play without underflow, the RTIO output of every shot is
the gate loop's, and so are the results; the gate loop's own slack follows what its CPU
costs say, number for number."""
import os

import numpy as np
import pytest

from benchmarks import rb_slack
from control import pyon
from control.runner import run_experiment
from control.sim.devices import dma as sim_dma
from control.sim.devices import spi as sim_spi
from control.sim.timeline import SlackModel
from drivers import systems

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RB = os.path.join(ROOT, "experiments", "rb.py")

#: A ca40 pulse in the gate loop: 10 RTIO events (6 SPI words, the IO_UPDATE and switch
#: edges), 5 kernel calls (play, rphi, rotate, set_phase, pulse_mu), 1 loop iteration.
CA40_PULSE = {"events": 10, "calls": 5, "loops": 1}
AD9912_UPDATE_MU = 1386  # set_mu: three SPI transfers and a 10 ns IO_UPDATE pulse


def _pulse_cpu_ns(costs):
    return (CA40_PULSE["events"] * costs["event_ns"] + CA40_PULSE["calls"] * costs["call_ns"]
            + CA40_PULSE["loops"] * costs["loop_ns"])


def _gate_deficit_mu(ops, program, costs):
    """The most the ca40 gate loop falls behind over the sequence's pulses: the largest
    sum, from the first pulse on, of (CPU time - timeline) per pulse (0: never)."""
    thetas = program.thetas[program.opcodes >> 12]
    timeline = np.round(float(ops.drive.pi_time) * np.abs(thetas) / np.pi) + AD9912_UPDATE_MU
    behind = np.cumsum(_pulse_cpu_ns(costs) - timeline)  # ref_period 1 ns: mu = ns
    return max(0.0, float(behind.max()))


@pytest.mark.parametrize("system", systems.names())
def test_dma_plays_5000_cliffords_without_underflow(system):
    env, dmgr, sim = rb_slack.simulated_trap(system)
    program = rb_slack.rb_program(env.ops, [5000])
    run = rb_slack.play(env, program, shots=2, dma=True)
    assert run["played"] and sim.underflows == 0
    assert run["least_slack_mu"] >= SlackModel().latency_ns  # every event in time
    core_dma = dmgr.get("core_dma")
    assert core_dma._traces == {}  # the recording was erased at the end
    assert core_dma.least_slack_mu > 100_000  # the engine runs far ahead of the timeline
    dmgr.close_devices()


def _gates_start_slack(sim, ops):
    """The slack the CPU had at each shot's first gate event: the first event at the end
    of the shot's preparation (its cooling and pumping after the cooling TTL's edge)."""
    prep = ops.cooling.duration + ops.pumping.duration
    edges = [t for t, _, on in sim.events(ops.cooling.ttl._key, "state") if on]
    samples = dict(reversed(sim.timeline.slack_samples))  # time -> its first event's
    return [samples[t + prep] for t in edges if t + prep in samples]


def test_ca40_gate_loop_slack_follows_the_cpu_costs():
    """With the derived costs a ca40 pulse takes the CPU 4.0 us and at least 5.4 us of
    timeline: the gate loop never falls behind, and 500 Cliffords play. With the former
    estimates (700 ns an event, 30 a call, 40 a loop) it takes 7.2 us: over the 928 pulses
    of 500 Cliffords the loop falls 1.034 ms behind, more than the slack a shot's gates
    start with (the 1.03 ms of cooling and pumping, and what the detection's reads leave
    of its 10 us recovery), so it underflows, as measured before this change; 200
    Cliffords (0.397 ms behind) play. DMA plays 5000 with those costs all the same."""
    latency = SlackModel().latency_ns
    derived = SlackModel().as_dict()
    former = dict(derived, **rb_slack.FORMER_COSTS)
    assert _pulse_cpu_ns(derived) == pytest.approx(4014)
    assert _pulse_cpu_ns(former) == pytest.approx(7190)
    env, dmgr, sim = rb_slack.simulated_trap("ca40")
    ops = env.ops
    program = rb_slack.rb_program(ops, [500])
    assert len(program.opcodes) == 928 and set(program.opcodes & 0xF) == {1}  # rphi only
    assert AD9912_UPDATE_MU + round(float(ops.drive.pi_time) / 2) == 5386  # a pi/2 pulse
    assert _gate_deficit_mu(ops, program, derived) == 0
    assert rb_slack.play(env, program, shots=2, dma=False)["played"]
    dmgr.close_devices()

    for length, behind in ((200, 397_048), (500, 1_034_112)):
        env, dmgr, sim = rb_slack.simulated_trap("ca40", slack=rb_slack.FORMER_COSTS,
                                                 samples=True)
        program = rb_slack.rb_program(env.ops, [length])
        deficit = _gate_deficit_mu(env.ops, program, former)
        assert deficit == pytest.approx(behind)
        run = rb_slack.play(env, program, shots=2, dma=False)
        first, second = _gates_start_slack(sim, env.ops)  # the first shot's has 125 us
        assert 1_030_000 < second < 1_040_000 and first > second + 90_000  # more
        assert run["played"] == (deficit + latency <= second)
        assert run["played"] == (length == 200)
        dmgr.close_devices()
    env, dmgr, sim = rb_slack.simulated_trap("ca40", slack=rb_slack.FORMER_COSTS)
    run = rb_slack.play(env, rb_slack.rb_program(env.ops, [5000]), shots=2, dma=True)
    assert run["played"] and sim.underflows == 0
    dmgr.close_devices()


def _submitted(monkeypatch, sim):
    """Record every SPI word submitted, by the CPU or by DMA playback: ``(time, what)``."""
    words = []
    rtio_event = sim_spi.rtio_event

    def logged(sim_, channel, what):
        rtio_event(sim_, channel, what)
        if sim_.dma_capture is None:  # submitted now, not recorded for later
            words.append((sim_.timeline.now, what))
    monkeypatch.setattr(sim_spi, "rtio_event", logged)

    def one_by_one(self, transfers):  # a register write's words, each through rtio_event
        for flags, length, div in transfers:
            self._xfer(flags, length, div)
    monkeypatch.setattr(sim_spi.SPIBus, "_write_words", one_by_one)
    play = sim_dma.CoreDMA._play

    def played(self, events, duration):
        start = self.sim.timeline.now
        play(self, events, duration)
        words.extend((start + item[0], item[2]) for item in events
                     if len(item) == 3 and item[1] is None)
    monkeypatch.setattr(sim_dma.CoreDMA, "_play", played)
    return words


def _per_shot(items, starts):
    """``items`` ``(time, ...)`` in each shot's open interval, times from its start."""
    shots = [[] for _ in starts]
    for item in sorted(items):
        i = int(np.searchsorted(starts, item[0], side="right")) - 1
        if i >= 0 and item[0] > starts[i]:
            shots[i].append((item[0] - starts[i],) + tuple(item[1:]))
    return shots


@pytest.mark.parametrize("system", systems.names())
def test_dma_and_gate_loop_give_the_same_rtio_output_in_every_shot(system, monkeypatch):
    out = {}
    for dma in (False, True):
        with monkeypatch.context() as patch:
            env, dmgr, sim = rb_slack.simulated_trap(system)
            words = _submitted(patch, sim)
            program = rb_slack.rb_program(env.ops, [30, 60], samples=2)
            run = rb_slack.play(env, program, shots=3, dma=dma)
            assert run["played"]
            waveform = rb_slack.shot_events(sim, env.ops)
            cool = env.ops.cooling.ttl._key
            starts = np.array([t for t, _, on in sim.events(cool, "state") if on])
            out[dma] = {"waveform": waveform, "spi": _per_shot(words, starts),
                        "events": sim.rtio_events, "survived": run["survived"]}
            dmgr.close_devices()
    loop, dma = out[False], out[True]
    assert len(loop["waveform"]) == 4 * 3  # 4 sequences, 3 shots each
    for shot in range(12):  # TTL edges, DDS values, counter gates; then the SPI words
        assert loop["waveform"][shot] == dma["waveform"][shot], shot
        assert loop["spi"][shot] == dma["spi"][shot], shot
    # a pulse is in every shot, and an SPI word per DDS update and more
    assert all(any("_sw" in dev for _, dev, _, _ in s) for s in loop["waveform"])
    assert all(len(s) >= 6 for s in loop["spi"])
    assert loop["events"] == dma["events"]  # nothing else submitted on either side
    assert np.array_equal(loop["survived"], dma["survived"])


def _rb(system, dma, seed=11):
    arguments = {"system": system, "n_qubits": 1, "lengths": pyon.encode([1, 20, 60]),
                 "samples": 3, "shots": 20, "seed": seed, "dma": dma}
    errors = {"depolarizing": 0.01, "prep_error": 0.01}
    run = run_experiment(RB, "RB", arguments, systems.device_db_path(system), sim=True,
                         sim_options=systems.sim_config(system, errors=errors, seed=seed),
                         write=False)
    return run.experiment.rb


@pytest.mark.parametrize("system", systems.names())
def test_rb_results_agree_between_dma_and_gate_loop(system):
    loop, dma = _rb(system, dma=False), _rb(system, dma=True)
    assert loop.kernel.dma is False and dma.kernel.dma is True
    assert np.array_equal(loop.program.opcodes, dma.program.opcodes)
    assert 0 < loop.survival().min() < 1  # errors happened: a comparison that can fail
    assert np.array_equal(loop.survival(), dma.survival())


def test_the_command_line_can_turn_dma_off():
    from control.cli import build_parser
    parser = build_parser()
    assert parser.parse_args(["rb", "--system", "ca40"]).dma is True
    assert parser.parse_args(["rb", "--system", "ca40", "--no-dma"]).dma is False
