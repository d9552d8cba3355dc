"""``OperationInterface``: the native operations of a trap, as portable kernels see them.

A trap's operations service subclasses this interface (and ``control.modules.Service``)
and implements the *required* operations as kernels:

* ``prep_0_all()`` — cool and prepare every qubit in |0>;
* ``m_z_all()`` — measure every qubit in Z; results via ``get_measurement``;
* ``get_measurement(qubit) -> TInt32`` — 0 or 1 from the last measurement;
* ``rphi(theta, phi, qubit)`` — rotate by ``theta`` about cos(phi) X + sin(phi) Y;
* ``rz(theta, qubit)`` — rotate about Z;
* ``native_gates()`` (host only) — the trap's :class:`~control.hal.NativeGateSet`, and
  ``native_gate_names()`` its gates' names, known at build (before the calibrations);
* ``num_qubits`` — an attribute in ``kernel_invariants``.

*Optional* operations (``prep_0``, ``m_z``, ``rxx``, ``cz``, ``get_counts(qubit) ->
TInt32``, the raw photon count of the last measurement) are those a trap may lack;
portable code that needs one says so at build time with :meth:`require`, so a missing
operation is an error before anything runs, not in the middle of a kernel.

Everything else (``rx``, ``ry``, Paulis and their square roots, ``h``) has a default here,
written with the required operations; a trap overrides any of them with a native
implementation. Angles are in radians; qubits are indices from 0.
"""
from typing import TYPE_CHECKING, Any, NoReturn

from control.constants import PI
from control.lang import TFloat, TInt32, host_only, kernel, rpc, TList

if TYPE_CHECKING:
    from control.hal.native import NativeGateSet

__all__ = ["OperationInterface", "HALError"]

HALF_PI = PI / 2


class HALError(Exception):
    """A HAL contract that an implementation or its caller breaks."""


class OperationInterface:
    """The contract of a trap's native operations; see the module docstring."""

    REQUIRED = ("prep_0_all", "m_z_all", "get_measurement", "rphi", "rz")
    OPTIONAL = ("prep_0", "m_z", "rxx", "cz", "get_counts")
    DERIVED = ("initialize", "rx", "ry", "x", "y", "z", "sqrt_x", "sqrt_x_dag", "sqrt_y",
               "sqrt_y_dag", "sqrt_z", "sqrt_z_dag", "h", "store_measurements")

    kernel_invariants = {"num_qubits"}
    num_qubits = 0

    if TYPE_CHECKING:
        # For the type checker only (never run, so ARTIQ sees none of it): the required
        # operations the defaults below call, set on the class at the end of this file,
        # and what record_measurements keeps.
        def rphi(self, theta: float, phi: float, qubit: int) -> None: ...
        def rz(self, theta: float, qubit: int) -> None: ...
        def get_measurement(self, qubit: int) -> int: ...
        stored_measurements: list[list[int]]

    # ---- host-side contract

    @host_only
    def native_gates(self) -> "NativeGateSet":
        """The trap's native gates with their durations (a ``NativeGateSet``)."""
        raise NotImplementedError

    @host_only
    def native_gate_names(self) -> frozenset[str]:
        """The names of the gates ``native_gates()`` publishes. A trap knows them from its
        configuration, before any calibration is read, so that a kernel can be chosen
        when it is built; this default asks ``native_gates()``, which may need the
        calibrations."""
        return frozenset(self.native_gates().gates)

    @host_only
    def supports(self, operation: str) -> bool:
        """True when the trap implements ``operation`` (optional ones included)."""
        fn = getattr(self, operation, None)
        return fn is not None and not getattr(fn, "_hal_missing", False)

    @host_only
    def require(self, *operations: str, user: str = "this experiment") -> None:
        """Fail now, naming what is missing, if the trap lacks any of ``operations``."""
        missing = [op for op in operations if not self.supports(op)]
        if missing:
            raise HALError("{} needs {} but {} ({}) does not provide {}".format(
                user, ", ".join(operations), getattr(self, "module_key", type(self).__name__),
                type(self).__name__, ", ".join(missing)))

    # ---- set-up

    @kernel
    def initialize(self):  # type: ignore[no-untyped-def]
        """Put the trap's devices in their idle state; portable kernels call it once,
        after ``core.break_realtime()``, before their first shot. Nothing by default (the
        timeline does not advance)."""
        pass

    # ---- derived single-qubit operations (override with native ones where they exist)

    @kernel
    def rx(self, theta: TFloat, qubit: TInt32):  # type: ignore[no-untyped-def]
        """Rotate ``qubit`` by ``theta`` about X (``rphi`` at phase 0); advances the
        timeline as ``rphi`` does."""
        self.rphi(theta, 0.0, qubit)

    @kernel
    def ry(self, theta: TFloat, qubit: TInt32):  # type: ignore[no-untyped-def]
        """Rotate ``qubit`` by ``theta`` about Y (``rphi`` at phase pi/2); advances the
        timeline as ``rphi`` does."""
        self.rphi(theta, HALF_PI, qubit)

    @kernel
    def x(self, qubit: TInt32):  # type: ignore[no-untyped-def]
        """Pauli X on ``qubit``: a pi rotation about X; advances the timeline as ``rphi``
        does."""
        self.rphi(PI, 0.0, qubit)

    @kernel
    def y(self, qubit: TInt32):  # type: ignore[no-untyped-def]
        """Pauli Y on ``qubit``: a pi rotation about Y; advances the timeline as ``rphi``
        does."""
        self.rphi(PI, HALF_PI, qubit)

    @kernel
    def z(self, qubit: TInt32):  # type: ignore[no-untyped-def]
        """Pauli Z on ``qubit``: a pi rotation about Z; advances the timeline as ``rz``
        does."""
        self.rz(PI, qubit)

    @kernel
    def sqrt_x(self, qubit: TInt32):  # type: ignore[no-untyped-def]
        """Square root of X on ``qubit`` (pi/2 about X); advances the timeline as ``rphi``
        does."""
        self.rphi(HALF_PI, 0.0, qubit)

    @kernel
    def sqrt_x_dag(self, qubit: TInt32):  # type: ignore[no-untyped-def]
        """Inverse square root of X on ``qubit`` (-pi/2 about X); advances the timeline as
        ``rphi`` does."""
        self.rphi(-HALF_PI, 0.0, qubit)

    @kernel
    def sqrt_y(self, qubit: TInt32):  # type: ignore[no-untyped-def]
        """Square root of Y on ``qubit`` (pi/2 about Y); advances the timeline as ``rphi``
        does."""
        self.rphi(HALF_PI, HALF_PI, qubit)

    @kernel
    def sqrt_y_dag(self, qubit: TInt32):  # type: ignore[no-untyped-def]
        """Inverse square root of Y on ``qubit`` (-pi/2 about Y); advances the timeline as
        ``rphi`` does."""
        self.rphi(-HALF_PI, HALF_PI, qubit)

    @kernel
    def sqrt_z(self, qubit: TInt32):  # type: ignore[no-untyped-def]
        """Square root of Z on ``qubit`` (pi/2 about Z, the S gate); advances the timeline
        as ``rz`` does."""
        self.rz(HALF_PI, qubit)

    @kernel
    def sqrt_z_dag(self, qubit: TInt32):  # type: ignore[no-untyped-def]
        """Inverse square root of Z on ``qubit`` (-pi/2 about Z); advances the timeline as
        ``rz`` does."""
        self.rz(-HALF_PI, qubit)

    @kernel
    def h(self, qubit: TInt32):  # type: ignore[no-untyped-def]
        """Hadamard on ``qubit``, as two ``rphi`` pulses (pi/2 about Y, then pi about X);
        advances the timeline by both."""
        # H = X . RY(pi/2): RY(pi/2) takes Z to X and X to -Z, then X flips the sign of Z.
        self.rphi(HALF_PI, HALF_PI, qubit)
        self.rphi(PI, 0.0, qubit)

    # ---- measurements to the host

    @kernel
    def store_measurements(self, qubits: TList(TInt32)):  # type: ignore[no-untyped-def,valid-type]
        """Send the last measurement of ``qubits`` to the host (async RPC, no wait). Does
        not advance the timeline."""
        bits = [0] * len(qubits)
        for i in range(len(qubits)):
            bits[i] = self.get_measurement(qubits[i])
        self.record_measurements(bits)

    @rpc(flags={"async"})
    def record_measurements(self, bits: TList(TInt32)):  # type: ignore[no-untyped-def,valid-type]
        """Host side of :meth:`store_measurements`: append ``bits`` to
        ``stored_measurements``. An async RPC: the kernel does not wait for it."""
        if not hasattr(self, "stored_measurements"):
            self.stored_measurements = []
        self.stored_measurements.append(list(bits))


def _missing(name: str) -> Any:  # host_only's result; control.lang is untyped
    """Placeholder for an optional operation a trap lacks: marked so ``supports`` and
    ``validate`` see it as missing, and raising if called anyway."""
    def missing(self: OperationInterface, *args: object) -> NoReturn:
        raise HALError("{} does not provide the optional operation {!r}".format(
            type(self).__name__, name))
    missing.__name__ = name
    missing._hal_missing = True  # type: ignore[attr-defined]
    return host_only(missing)


for _name in OperationInterface.OPTIONAL + ("prep_0_all", "m_z_all", "get_measurement",
                                             "rphi", "rz"):
    setattr(OperationInterface, _name, _missing(_name))
del _name
