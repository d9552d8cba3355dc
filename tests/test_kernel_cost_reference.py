"""The hand-written reference of ``benchmarks/kernel_cost.py`` (b) is only a fair yardstick
if it plays the same pulses as the HAL gate path (a): on both traps, for an RB chunk with
``rphi`` and ``rz`` on both qubits, the two kernels must leave identical RTIO events; and
so must (b'), the reference with the HAL's data layout."""
import numpy as np
import pytest

from benchmarks import flat_kernels
from control.device_db import load_device_db
from control.hal import NativeGate, NativeGateSet, OperationInterface
from control.lang import EnvExperiment
from control.managers import ArgumentManager, DatasetManager, DeviceManager
from control.sim import enable
from drivers import systems
from kernels.opcodes import RPHI, RZ


class _Trap(EnvExperiment):
    def build(self, system):
        self.trap = systems.build(self, system)
        self.ops = self.trap.find(OperationInterface)

    def run(self):
        pass


def _chunk(ops):
    # Virtual rz in the gate set whatever the trap does, so that the chunk has rz words
    # on both traps (ca40 plays them as two pulses).
    gates = ops.native_gates()
    gates = NativeGateSet(dict(gates.gates, rz=NativeGate("rz", 0.0, virtual=True)))
    return flat_kernels.gate_chunk(gates, length=6, seed=3)


def _play(system, which, make_flat=flat_kernels.flat_kernel):
    options = systems.sim_config(system, seed=1)
    dmgr = DeviceManager(enable(load_device_db(systems.device_db_path(system)), **options))
    env = _Trap((dmgr, DatasetManager(options["datasets"]), ArgumentManager({}), {}),
                system)
    env.prepare()
    ops = env.ops
    opcodes, starts, thetas, phis = chunk = _chunk(ops)
    if which == "hal":
        k = flat_kernels.hal_gate_path(env, ops)
        k.load(opcodes, starts, thetas, phis, np.zeros(1, dtype=np.int32))
    else:
        k = make_flat(env, ops, opcodes, starts, thetas, phis)
    k.run()
    sim = dmgr.get("control_sim")
    devices = sorted({sig.device for sig in sim.recorder.signals})
    events = {dev: sim.events(dev) for dev in devices}
    dmgr.close_devices()
    return chunk, events


def _flat_in_memory(parent, ops, opcodes, starts, thetas, phis):
    return flat_kernels.flat_kernel(parent, ops, opcodes, starts, thetas, phis,
                                    in_memory=True)


@pytest.mark.parametrize("in_memory", [False, True], ids=["b", "b-in-memory"])
@pytest.mark.parametrize("system", systems.names())
def test_flat_reference_plays_the_hal_pulses(system, in_memory):
    (opcodes, *_), hal = _play(system, "hal")
    _, flat = _play(system, "flat", _flat_in_memory if in_memory else flat_kernels.flat_kernel)
    kinds = [(int(w) & 0xF, (int(w) >> 4) & 0xF) for w in opcodes]
    assert set(kinds) == {(RPHI, 0), (RPHI, 1), (RZ, 0), (RZ, 1)}
    # every rphi is a pulse, and so is every rz on a trap without virtual Z (two each)
    n_rz = sum(kind == RZ for kind, _ in kinds)
    pulses = len(kinds) - n_rz + (0 if system == "yb171" else 2 * n_rz)
    switched_on = sum(1 for dev, evs in hal.items() if "_sw" in dev
                      for _, name, value in evs if name == "state" and value)
    assert switched_on == pulses
    assert flat == hal


class _NoFrames(flat_kernels.FlatMicrowave):
    """A reference that forgets the virtual-Z frames: plays every rz as nothing."""

    def build(self, core, dds, opcodes, starts, thetas, phis):
        opcodes = np.array([w for w in opcodes if w & 0xF != RZ], dtype=np.int32)
        super().build(core, dds, opcodes, np.array([0, len(opcodes)]), thetas, phis)


def test_the_check_catches_a_reference_that_drops_frames():
    def make(parent, ops, opcodes, starts, thetas, phis):
        flat_kernels.configure(ops)
        return _NoFrames(parent, ops.core, ops.drive.dds, opcodes, starts, thetas, phis)

    _, hal = _play("yb171", "hal")
    _, flat = _play("yb171", "flat", make)
    assert flat != hal
