"""The HAL contract: defaults composed of required operations, validation, require()."""
import math

import pytest

from control.hal import (HALError, NativeGate, NativeGateSet, OperationInterface, validate,
                         ValidationError)
from control.lang import EnvExperiment, TFloat, TInt32, kernel, delay_mu
from control.modules import Service, System, module

DDB = {"core": {"type": "local", "module": "artiq.coredevice.core", "class": "Core",
                "arguments": {"host": None, "ref_period": 1e-9}}}


class GoodOps(Service, OperationInterface):
    """Records the rotations it is asked for, so the defaults can be checked."""

    def build(self):
        self.num_qubits = 2
        self.log = []
        self.pulse_mu = 10
        self.kernel_invariants = self.kernel_invariants | {"num_qubits", "pulse_mu", "log"}

    def native_gates(self):
        return NativeGateSet({"rphi": NativeGate("rphi", 10e-6),
                              "rz": NativeGate("rz", 0.0, virtual=True)})

    @kernel
    def prep_0_all(self):
        self.log.append(("prep",))

    @kernel
    def m_z_all(self):
        self.log.append(("measure",))

    @kernel
    def get_measurement(self, qubit: TInt32) -> TInt32:
        return 0

    @kernel
    def rphi(self, theta: TFloat, phi: TFloat, qubit: TInt32):
        delay_mu(self.pulse_mu)
        self.log.append(("rphi", round(theta / math.pi, 3), round(phi / math.pi, 3), qubit))

    @kernel
    def rz(self, theta: TFloat, qubit: TInt32):
        self.log.append(("rz", round(theta / math.pi, 3), qubit))


class SloppyOps(GoodOps):
    """Breaks the contract three ways at once."""

    def build(self):
        super().build()
        self.drift = 0.1  # read by a kernel, not invariant

    def rz(self, theta, qubit):  # not a kernel
        pass

    @kernel
    def rphi(self, theta: TFloat, phi: TFloat, qubit: TInt32):
        delay_mu(self.pulse_mu)
        self.rz(self.drift, qubit)


class NoMeasure(GoodOps):
    m_z_all = OperationInterface.m_z_all  # type: ignore[attr-defined]  # the "missing" placeholder


def make(ops_cls, sim_managers):
    class Trap(System):
        system_name = "trap"
        ops = module(ops_cls)

    class Exp(EnvExperiment):
        def build(self):
            self.trap = Trap(self)

        def run(self):
            pass

    return Exp(sim_managers(DDB)).trap


def test_good_implementation_validates(sim_managers):
    trap = make(GoodOps, sim_managers)
    assert validate(trap) == [trap.ops]


def test_validate_reports_every_problem_at_once(sim_managers):
    trap = make(SloppyOps, sim_managers)
    with pytest.raises(ValidationError) as info:
        validate(trap)
    problems = info.value.problems
    assert any("'rz' is not a kernel" in p for p in problems)
    assert any("self.drift" in p and "kernel_invariants" in p for p in problems)
    assert len(problems) == 2


def test_validate_reports_missing_required_operation(sim_managers):
    trap = make(NoMeasure, sim_managers)
    with pytest.raises(ValidationError, match="required operation 'm_z_all' is missing"):
        validate(trap)


def test_default_operations_compose_required_ones(sim_managers):
    ops = make(GoodOps, sim_managers).ops
    ops.x(0)
    ops.sqrt_y_dag(1)
    ops.h(0)
    ops.z(1)
    assert ops.log == [("rphi", 1.0, 0.0, 0), ("rphi", -0.5, 0.5, 1),
                       ("rphi", 0.5, 0.5, 0), ("rphi", 1.0, 0.0, 0), ("rz", 1.0, 1)]


def test_h_default_is_hadamard_up_to_phase():
    # H = X . RY(pi/2), the decomposition the default h() uses.
    import numpy as np

    def rphi(theta, phi):
        n = np.cos(phi) * np.array([[0, 1], [1, 0]]) + np.sin(phi) * np.array([[0, -1j], [1j, 0]])
        return np.cos(theta / 2) * np.eye(2) - 1j * np.sin(theta / 2) * n

    u = rphi(np.pi, 0) @ rphi(np.pi / 2, np.pi / 2)
    h = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
    phase = u[0, 0] / h[0, 0]
    assert np.allclose(u, phase * h)


def test_require_fails_before_anything_runs(sim_managers):
    ops = make(GoodOps, sim_managers).ops
    assert ops.supports("rphi") and not ops.supports("rxx")
    ops.require("rphi", "rz")
    with pytest.raises(HALError) as info:
        ops.require("rxx", user="two-qubit RB")
    assert "two-qubit RB" in str(info.value) and "rxx" in str(info.value)
    with pytest.raises(HALError):
        ops.rxx(0.5, 0, 1)


def test_native_gate_set_checks():
    gates = NativeGateSet({"rphi": NativeGate("rphi", 10e-6),
                           "rxx": NativeGate("rxx", 100e-6, angles=(math.pi / 2,)),
                           "rz": NativeGate("rz", 0.0, virtual=True)})
    assert gates.entangling == ["rxx"]
    assert gates.duration("rphi", math.pi) == pytest.approx(20e-6)
    assert gates.duration("rxx", 1.0) == pytest.approx(100e-6)  # fixed-angle gate
    assert gates.duration("rz", 1.0) == 0.0
    with pytest.raises(KeyError, match="this trap has"):
        gates["cz"]
    with pytest.raises(ValueError):
        NativeGate("swap", 1.0)
    with pytest.raises(ValueError, match="negative"):
        NativeGate("rphi", -1.0)
    with pytest.raises(ValueError, match="needs an 'rphi'"):
        NativeGateSet({"rz": NativeGate("rz", 0.0)})
