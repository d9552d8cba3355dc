"""The ion-trap operations' virtual-Z frames on the simulator: kernel state that starts
from zero in every kernel, as on hardware (where the frames are not written back)."""
import math

import pytest

from control.environment import ArgumentManager, DatasetManager, DeviceManager, \
    load_device_db
from control.hal import OperationInterface
from control.lang import EnvExperiment, kernel
from control.sim import enable
from drivers import systems


class _Frames(EnvExperiment):
    def build(self):
        self.trap = systems.build(self, "yb171")
        self.ops = self.trap.find(OperationInterface)
        self.core = self.ops.core

    @kernel
    def leave_a_frame(self):
        self.core.break_realtime()
        self.ops.initialize()
        self.ops.rz(math.pi / 2, 0)

    @kernel
    def pulse(self, with_rz: bool):
        self.core.break_realtime()
        self.ops.initialize()
        if with_rz:
            self.ops.rz(math.pi / 2, 0)
        self.ops.rphi(math.pi / 2, 0.0, 0)

    def run(self):
        pass


@pytest.fixture
def frames():
    options = systems.sim_config("yb171", seed=1)
    dmgr = DeviceManager(enable(load_device_db(systems.device_db_path("yb171")), **options))
    exp = _Frames((dmgr, DatasetManager(options["datasets"]), ArgumentManager({}), {}))
    exp.prepare()
    yield exp, dmgr.get("control_sim"), exp.ops.drive.dds._key
    dmgr.close_devices()


def _last_phase(sim, dds):
    return sim.peek(dds, "phase", sim.timeline.now)


def test_rz_shifts_the_next_pulse_phase_in_the_same_kernel(frames):
    exp, sim, dds = frames
    exp.pulse(True)
    # a pulse at phase 0 after Rz(pi/2) is played at -pi/2: 0.75 turns
    assert _last_phase(sim, dds) == pytest.approx(0.75, abs=1e-4)


def test_a_kernel_starts_from_zero_frames(frames):
    exp, sim, dds = frames
    exp.leave_a_frame()
    assert exp.ops.frames.phases[0] == pytest.approx(math.pi / 2)  # the simulator's host
    exp.pulse(False)
    assert _last_phase(sim, dds) == pytest.approx(0.0, abs=1e-4)
