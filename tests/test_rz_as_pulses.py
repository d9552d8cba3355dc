"""On a trap without a native rz, RB's kernel plays each rz word as the two π pulses the
trap's rz would play (kernels.rb_kernel.rz_as_pulses): same unitary per sequence, same
sequence boundaries, the other words untouched; and the trap gets the kernel class whose
play has no rz branch, chosen at build."""
import numpy as np
import pytest

from kernels.circuit import CircuitKernelRzAsPulses, circuit_kernel_class
from kernels.opcodes import RPHI, RZ
from kernels.rb_kernel import (RBKernel1, RBKernel1RzAsPulses, RBKernel2, RBKernel2RzAsPulses,
                               _RBKernel, rb_kernel_class)

X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]])
Z = np.diag([1, -1]).astype(complex)


def rphi(theta, phi):
    axis = np.cos(phi) * X + np.sin(phi) * Y
    return np.cos(theta / 2) * np.eye(2) - 1j * np.sin(theta / 2) * axis


def rz(theta):
    return np.cos(theta / 2) * np.eye(2) - 1j * np.sin(theta / 2) * Z


def unitaries(words, starts, thetas, phis, qubits=2):
    """Per sequence, per qubit: the product of its single-qubit gates."""
    out = []
    for s in range(len(starts) - 1):
        u = [np.eye(2, dtype=complex) for _ in range(qubits)]
        for w in words[starts[s]:starts[s + 1]]:
            kind, q, p = w & 0xF, (w >> 4) & 0xF, w >> 12
            gate = rphi(thetas[p], phis[p]) if kind == RPHI else rz(thetas[p])
            u[q] = gate @ u[q]
        out.append(u)
    return out


def same_up_to_phase(a, b):
    overlap = np.trace(a.conj().T @ b)
    return abs(abs(overlap) - 2) < 1e-9


def test_rz_words_become_the_two_pulses_of_the_same_rotation():
    rng = np.random.default_rng(7)
    n_angles = 12
    thetas = rng.uniform(-np.pi, np.pi, n_angles)
    phis = rng.uniform(-np.pi, np.pi, n_angles)
    words, starts = [], [0]
    for _ in range(5):
        for _ in range(rng.integers(1, 9)):
            kind = RZ if rng.random() < 0.5 else RPHI
            words.append(kind | int(rng.integers(0, 2)) << 4 |
                         int(rng.integers(0, n_angles)) << 12)
        starts.append(len(words))
    words = np.array(words, dtype=np.int32)
    starts = np.array(starts, dtype=np.int32)
    new_words, new_starts, new_thetas, new_phis = _RBKernel.rz_as_pulses(
        words, starts, thetas, phis)
    n_rz = int(np.sum((words & 0xF) == RZ))
    assert n_rz > 0
    assert not np.any((new_words & 0xF) == RZ)
    assert len(new_words) == len(words) + n_rz
    assert list(np.diff(new_starts)) == [
        int(np.sum(np.where((words[a:b] & 0xF) == RZ, 2, 1)))
        for a, b in zip(starts[:-1], starts[1:])]
    assert np.array_equal(new_thetas[:n_angles], thetas)  # old angles keep their index
    for before, after in zip(unitaries(words, starts, thetas, phis),
                             unitaries(new_words, new_starts, new_thetas, new_phis)):
        for a, b in zip(before, after):
            assert same_up_to_phase(a, b)


def test_no_rz_words_leave_everything_as_it_is():
    words = np.array([RPHI | 1 << 4 | 0 << 12, RPHI | 1 << 12], dtype=np.int32)
    starts = np.array([0, 1, 2], dtype=np.int32)
    thetas, phis = np.array([0.1, 0.2]), np.array([0.3, 0.4])
    out = _RBKernel.rz_as_pulses(words, starts, thetas, phis)
    assert out[0] is words and out[1] is starts


# ---- which kernel class a trap gets

def _built_ops(system):
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
            # the class is chosen here, at build, before any calibration is read
            self.cls = rb_kernel_class(self.ops, 1), rb_kernel_class(self.ops, 2)

        def run(self):
            pass

    options = systems.sim_config(system, seed=1)
    dmgr = DeviceManager(enable(load_device_db(systems.device_db_path(system)), **options))
    env = Trap((dmgr, DatasetManager(options["datasets"]), ArgumentManager({}), {}))
    env.prepare()
    return env


@pytest.mark.parametrize("system", ["yb171", "ca40"])
def test_the_kernel_class_follows_the_traps_native_rz(system):
    env = _built_ops(system)
    names = env.ops.native_gate_names()
    assert names == frozenset(env.ops.native_gates().gates)  # the names it publishes later
    if "rz" in names:
        assert env.cls == (RBKernel1, RBKernel2)
    else:
        assert env.cls == (RBKernel1RzAsPulses, RBKernel2RzAsPulses)
        assert circuit_kernel_class(env.ops) is CircuitKernelRzAsPulses


def test_a_pulses_kernel_refuses_a_trap_with_a_native_rz():
    env = _built_ops("yb171")
    assert "rz" in env.ops.native_gate_names()
    with pytest.raises(ValueError, match="native rz"):
        RBKernel1RzAsPulses(env, ops=env.ops, qubits=[0], shots=1)
