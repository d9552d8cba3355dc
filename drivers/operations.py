"""``OperationInterface`` for ion traps built from cooling, pumping, detection, a
single-qubit drive and an MS gate — the service both trap systems use.

* ``rz`` is virtual (``virtual_z=True``): a per-qubit frame that later pulses' phases absorb
  (no time, no error), published as a native ``rz``; with ``virtual_z=False`` it is played
  as two π pulses (R_0(π) R_(-θ/2)(π) = Rz(θ) up to phase) and not published, so
  compilers avoid it. Which one a trap uses is its configuration.
* ``rxx`` runs the MS gate. A global MS beam gives both ions one spin phase, so when the
  two qubits' frames differ the difference is first made physical on the second qubit
  (two π pulses: R_0(π) R_(-β/2)(π) = Rz(β) up to phase); then the gate runs in the
  common frame. The native ``rxx`` declares those pulses (``frame_equalizing_pulses``),
  so that compilers count them without knowing this driver.
"""
from control.constants import PI
from control.hal import NativeGate, NativeGateSet, OperationInterface
from control.lang import TFloat, TInt32, host_only, kernel
from control.modules import Service

__all__ = ["IonTrapOperations", "VirtualFrames"]

TWO_PI = 2 * PI


class VirtualFrames:
    """The virtual-Z frame of each qubit (radians), ``phases``: kernel state.

    Held apart from the operations on purpose: ARTIQ's compiler emits an object as a
    constant, and so folds what its kernels read from it, only when every attribute they
    read is invariant. One written attribute on the operations object would keep
    ``drive``, ``virtual_z``… in memory and every gate would load them.

    ``phases`` itself is invariant too: the list is never replaced, only its elements are
    written. The compiler then knows the list's length (so a qubit index proven in range
    needs no bounds check) while the elements stay in writable memory. The price: the
    frames are not written back to the host after a kernel, so every kernel starts from
    the host's zeros; ``initialize`` and ``prep_0_all`` reset them, so the simulator, whose
    kernels share the host's list, starts each kernel from zero frames as well.
    """
    kernel_invariants = {"phases"}

    def __init__(self, num_qubits):
        self.phases = [0.0] * num_qubits


class IonTrapOperations(Service, OperationInterface):
    """``build(num_qubits, cooling, pumping, detection, drive, ms)``: the names of the
    system modules that do each job."""

    #: physical pulses ``rxx`` plays before the MS gate when its qubits' frames differ
    #: (the two π pulses on the second qubit), published in the native ``rxx``
    FRAME_EQUALIZING_PULSES = 2

    def build(self, num_qubits=2, cooling="cooling", pumping="pumping",
              detection="detection", drive="drive", ms="ms", virtual_z=True):
        self.num_qubits = num_qubits
        self.virtual_z = virtual_z
        self.declare_invariants("virtual_z")
        self.cooling = self.system.get_module(cooling)
        self.pumping = self.system.get_module(pumping)
        self.detection = self.system.get_module(detection)
        self.drive = self.system.get_module(drive)
        self.declare_invariants("num_qubits", "cooling", "pumping", "detection", "drive")
        if self.detection.num_channels < num_qubits:
            raise ValueError("{}: {} qubits but only {} detection channels".format(
                self.module_key, num_qubits, self.detection.num_channels))
        self.ms_gate = self.system.get_module(ms)
        self.declare_invariants("ms_gate")
        self.frames = VirtualFrames(num_qubits)  # its phases are written by kernels
        self.declare_invariants("frames")

    @host_only
    def native_gate_names(self):
        return frozenset(("rphi", "rxx") + (("rz",) if self.virtual_z else ()))

    @host_only
    def native_gates(self):
        gates = {
            "rphi": NativeGate("rphi", self.core.mu_to_seconds(self.drive.pi_time) / 2),
        }
        if self.virtual_z:
            gates["rz"] = NativeGate("rz", 0.0, virtual=True)
        # rxx plays its frame equalization around the MS gate: the compilers count it
        gates["rxx"] = NativeGate("rxx", self.core.mu_to_seconds(self.ms_gate.gate_time),
                                  angles=(PI / 2,),
                                  frame_equalizing_pulses=self.FRAME_EQUALIZING_PULSES)
        return NativeGateSet(gates)

    @kernel
    def initialize(self):
        """Put every device the operations use in its idle state (run once per kernel
        before the first shot, after ``core.break_realtime``)."""
        self.cooling.repumper.init_device()
        self.cooling.init_device()
        self.pumping.init_device()
        self.detection.init_device()
        self.drive.init_device()
        self.ms_gate.init_device()
        for q in range(self.num_qubits):
            self.frames.phases[q] = 0.0

    @kernel
    def prep_0_all(self):
        self.cooling.cool()
        self.pumping.pump()
        for q in range(self.num_qubits):
            self.frames.phases[q] = 0.0

    @kernel
    def m_z_all(self):
        self.detection.detect_all()

    @kernel
    def get_measurement(self, qubit: TInt32) -> TInt32:
        return self.detection.bit(qubit)

    @kernel
    def get_counts(self, qubit: TInt32) -> TInt32:
        return self.detection.count(qubit)

    @kernel
    def rphi(self, theta: TFloat, phi: TFloat, qubit: TInt32):
        if self.virtual_z:
            phi -= self.frames.phases[qubit]
        # without virtual Z every frame stays 0 (rxx only copies frames): nothing to read
        self.drive.rotate(theta, phi, qubit)

    @kernel
    def rz(self, theta: TFloat, qubit: TInt32):
        if self.virtual_z:
            # Logical state = Rz(frame) · physical state; a later pulse at phase phi is
            # played at phi - frame, which is the same as applying Rz first.
            self.frames.phases[qubit] += theta
        else:
            # R_0(pi) R_(-theta/2)(pi), straight to the drive: without virtual Z the
            # frames stay 0, so this is rphi(PI, -theta / 2.0), rphi(PI, 0.0)
            self.drive.rotate(PI, -theta / 2.0, qubit)
            self.drive.rotate(PI, 0.0, qubit)

    @kernel
    def rxx(self, theta: TFloat, qubit0: TInt32, qubit1: TInt32):
        if not self.virtual_z:
            # every frame stays 0: nothing to equalize. Compiled out on such a trap, so
            # that rphi is the drive's one call site and the compiler inlines it there
            self.ms_gate.ms(theta, 0.0)
            return
        frames = self.frames.phases
        beta = frames[qubit1] - frames[qubit0]
        beta -= TWO_PI * round(beta / TWO_PI)
        if beta > 1e-9 or beta < -1e-9:
            self.drive.rotate(PI, -beta / 2.0, qubit1)
            self.drive.rotate(PI, 0.0, qubit1)
            frames[qubit1] = frames[qubit0]
        # MS_phi(theta) after frames (a, a) = Rz(a)⊗Rz(a) · MS_(phi - a)(theta)
        self.ms_gate.ms(theta, -frames[qubit0])
