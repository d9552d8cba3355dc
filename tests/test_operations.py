"""The ion-trap operations' virtual-Z frames on the simulator: kernel state that starts
from zero in every kernel, as on hardware (where the frames are not written back), and
that rxx equalizes before its MS gate (a fast check on both traps, against the ideal
unitary)."""
import math

import numpy as np
import pytest

from control.device_db import load_device_db
from control.managers import ArgumentManager, DatasetManager, DeviceManager
from control.hal import OperationInterface
from control.lang import EnvExperiment, TFloat, TInt32, kernel
from control.modules import module
from control.sim import enable
from drivers import systems
from drivers.operations import IonTrapOperations
from kernels.native import rphi_matrix, rxx_matrix, rz_matrix


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


# ---- rxx after rz: the frames and the MS gate's common spin phase

class _Ca40VirtualZ(systems.system_class("ca40")):  # type: ignore[misc]
    """The 40Ca+ trap configured with virtual Z (as shipped it plays rz as pulses, so its
    frames never differ): rxx's frame equalization on the other trap's drive."""
    ops = module(IonTrapOperations, num_qubits=2, virtual_z=True)


class _RzThenRxx(EnvExperiment):
    def build(self, system_class):
        self.trap = system_class(self)
        self.ops = self.trap.find(OperationInterface)
        self.core = self.ops.core

    @kernel
    def play(self, theta: TFloat, qubit: TInt32):
        """|00> → R_0(π/2) ⊗ R_(π/2)(π/2) (both qubits off the poles), rz(θ) on
        ``qubit``, rxx(π/2)."""
        self.core.break_realtime()
        self.ops.initialize()
        self.ops.prep_0_all()
        self.ops.rphi(math.pi / 2, 0.0, 0)
        self.ops.rphi(math.pi / 2, math.pi / 2, 1)
        self.ops.rz(theta, qubit)
        self.ops.rxx(math.pi / 2, 0, 1)

    def run(self):
        pass


TRAPS = {"yb171": systems.system_class("yb171"), "ca40": systems.system_class("ca40"),
         "ca40-virtual-z": _Ca40VirtualZ}


@pytest.fixture(params=sorted(TRAPS))
def rz_then_rxx(request):
    cls = TRAPS[request.param]
    options = systems.sim_config(cls.system_name, errors={}, seed=1)
    dmgr = DeviceManager(enable(load_device_db(systems.device_db_path(cls.system_name)),
                                **options))
    exp = _RzThenRxx((dmgr, DatasetManager(options["datasets"]), ArgumentManager({}), {}),
                     cls)
    exp.prepare()
    yield exp, dmgr.get("control_sim")
    dmgr.close_devices()


def _on_q(q, one):
    """``one`` on qubit ``q`` of two, qiskit's order (qubit 0 least significant)."""
    return np.kron(np.eye(2), one) if q == 0 else np.kron(one, np.eye(2))


def _drive_pulses(exp, sim):
    drive = exp.ops.drive
    switches = [drive.switch] if hasattr(drive, "switch") else [b.switch for b in drive.beams]
    return sum(1 for sw in switches for _, _, on in sim.events(sw._key, "state") if on)


@pytest.mark.parametrize("qubit", [0, 1])
def test_rxx_after_rz_plays_the_ideal_unitary(rz_then_rxx, qubit):
    """rz(θ) then rxx(π/2) on the simulated ions is MS(π/2)·Rz(θ) on the logical state
    (the ions' state in the frames the operations keep), for angles that leave the two
    qubits' frames different: rxx must equalize them before its global beam plays one
    spin phase for both. The drive pulses it adds are the ones its native gate declares."""
    exp, sim = rz_then_rxx
    virtual = exp.ops.virtual_z
    declared = exp.ops.native_gates()["rxx"].frame_equalizing_pulses
    start = (np.kron(rphi_matrix(math.pi / 2, math.pi / 2), rphi_matrix(math.pi / 2, 0.0))
             @ np.eye(4)[:, 0])
    for theta in (math.pi / 2, 1.0, -2.3, 0.0):
        before = _drive_pulses(exp, sim)
        exp.play(theta, qubit)
        f0, f1 = exp.ops.frames.phases
        # logical state = Rz(frame) on each qubit · the ions' state
        logical = np.kron(rz_matrix(f1), rz_matrix(f0)) @ np.array(sim.model.psi)
        ideal = rxx_matrix(math.pi / 2) @ _on_q(qubit, rz_matrix(theta)) @ start
        fidelity = abs(np.vdot(ideal, logical)) ** 2
        # 1 - 1e-4 on yb171: its microwave pulses brush the spectator ion (addressed by
        # frequency); a frame difference rxx ignores costs tens of percent here
        assert fidelity > 0.999, "rz({:.3f}) on qubit {} then rxx: fidelity {:.4f} to " \
            "the ideal state (frames after: {:.3f}, {:.3f})".format(theta, qubit, fidelity,
                                                                  f0, f1)
        # 2 rphi, rz as 2 pulses without virtual Z, and rxx's declared frame pulses
        # when rz left the frames different
        expected = 2 + (0 if virtual else 2) + (declared if virtual and theta else 0)
        assert _drive_pulses(exp, sim) - before == expected, \
            "rz({:.3f}) on qubit {} then rxx: drive pulses".format(theta, qubit)


def test_the_traps_rxx_declares_its_frame_equalizing_pulses(rz_then_rxx):
    exp, _ = rz_then_rxx
    rxx = exp.ops.native_gates()["rxx"]
    assert rxx.frame_equalizing_pulses == IonTrapOperations.FRAME_EQUALIZING_PULSES == 2
