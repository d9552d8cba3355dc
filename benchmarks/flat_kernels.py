"""The kernels that ``benchmarks/kernel_cost.py`` compiles, importable without ARTIQ so
that a test can play them on the simulator (``tests/test_kernel_cost_reference.py``).

* :func:`hal_gate_path` — (a): the portable RB gate loop, the ``play`` of the trap's RB
  kernel class (``rb_kernel_class``) through the HAL (``IonTrapOperations.rphi/rz`` and
  the trap's drive module).
* :class:`FlatMicrowave` (one AD9910 channel, a frequency per qubit: yb171) and
  :class:`FlatAddressed` (one AD9912 beam per qubit: ca40) — (b): the same pulses written
  by hand as one flat kernel. It decodes the same opcode words (kind, qubit, angle index),
  keeps the virtual-Z frames in local variables or plays ``rz`` as two π pulses, as the
  trap is configured, and picks the qubit's frequency word or beam; every calibration is
  a literal constant (module globals, which ARTIQ's compiler embeds as constants), set by
  :func:`configure` from the built trap before compiling.
* The same classes with ``in_memory=True`` — (b'): the flat kernel with the HAL's data
  layout, the frames in a list (``IonTrapOperations.frames``) and, on the microwave trap,
  the frequency words in a per-qubit table (``MicrowaveDrive.ftws``). (a) against (b')
  is what the layers cost (calls, objects, the opcode dispatch); (b') against (b) what
  keeping a frame in memory across calls costs, where a kernel written for exactly two
  qubits keeps two registers.

Both play exactly the same RTIO events for any chunk of ``rphi``/``rz`` words: the test
checks it on both trap systems.
"""
import numpy as np
from numpy import int64

from control.lang import HasEnvironment, kernel
from kernels.rb import compile_program
from kernels.rb_kernel import RBKernel1, RBKernel1RzAsPulses, rb_kernel_class
from kernels.opcodes import RXX

__all__ = ["hal_gate_path", "HalGatePath", "HalGatePathRzAsPulses", "FlatMicrowave",
           "FlatAddressed", "configure", "flat_kernel", "gate_chunk"]

PI = 3.141592653589793

# Literal calibrations of the hand-written kernels (set by configure()).
VIRTUAL_Z = True
PI_TIME = 0.0  # the pi time in machine units, as a float literal
ASF = 0        # AD9910 amplitude scale factor
FTW0 = 0       # frequency word of qubit 0 (its tone, or its beam's)
FTW1 = 0       # of qubit 1


class _GatePath:
    """(a) the RB gate loop through the HAL, without preparation and measurement."""

    @kernel
    def run(self):
        self.core.break_realtime()
        for k in range(self.starts[0], self.starts[1]):
            self.play(self.opcodes[k])


class HalGatePath(_GatePath, RBKernel1):
    """(a) on a trap with a native ``rz``."""


class HalGatePathRzAsPulses(_GatePath, RBKernel1RzAsPulses):
    """(a) on a trap without one."""


def hal_gate_path(parent, ops):
    """(a) for the trap of ``ops``, on all its qubits, the class RB would use."""
    cls = HalGatePathRzAsPulses if rb_kernel_class(ops, 1) is RBKernel1RzAsPulses \
        else HalGatePath
    return cls(parent, ops=ops, qubits=list(range(ops.num_qubits)), shots=1)


class _Flat(HasEnvironment):
    def build(self, core, opcodes, starts, thetas, phis, in_memory=False):
        self.core = core
        # (b') when set: a compile-time constant, so (b) compiles as if it were not there
        self.in_memory = in_memory
        self.frames = [0.0, 0.0]
        self.opcodes = np.ascontiguousarray(opcodes, dtype=np.int32)
        self.starts = np.ascontiguousarray(starts, dtype=np.int32)
        self.thetas = np.ascontiguousarray(thetas, dtype=np.float64)
        self.phis = np.ascontiguousarray(phis, dtype=np.float64)
        self.kernel_invariants = {"core", "opcodes", "starts", "thetas", "phis",
                                  "in_memory", "frames"}


class FlatMicrowave(_Flat):
    """(b) for one AD9910 channel whose frequency picks the qubit (yb171)."""

    def build(self, core, dds, opcodes, starts, thetas, phis, in_memory=False):
        super().build(core, opcodes, starts, thetas, phis, in_memory)
        self.dds = dds
        self.sw = dds.sw
        self.ftws = np.array([FTW0, FTW1], dtype=np.int32)
        self.kernel_invariants |= {"dds", "sw", "ftws"}

    @kernel
    def run(self):
        self.core.break_realtime()
        frame0 = 0.0
        frame1 = 0.0
        for k in range(self.starts[0], self.starts[1]):
            op = self.opcodes[k]
            kind = op & 0xF
            q = (op >> 4) & 0xF
            p = op >> 12
            theta = self.thetas[p]
            phi = 0.0
            n = 0  # pulses to play
            if kind == 1:  # rphi
                phi = self.phis[p]
                n = 1
            elif kind == 2:  # rz
                if VIRTUAL_Z:
                    if self.in_memory:
                        self.frames[q] += theta
                    elif q == 0:
                        frame0 += theta
                    else:
                        frame1 += theta
                else:  # R_0(pi) R_(-theta/2)(pi)
                    phi = -theta / 2.0
                    theta = PI
                    n = 2
            for i in range(n):
                if i == 1:
                    phi = 0.0
                if self.in_memory:
                    turns = (phi - self.frames[q]) / (2.0 * PI)
                    ftw = self.ftws[q]
                elif q == 0:
                    turns = (phi - frame0) / (2.0 * PI)
                    ftw = FTW0
                else:
                    turns = (phi - frame1) / (2.0 * PI)
                    ftw = FTW1
                if theta < 0.0:
                    theta = -theta
                    turns += 0.5
                self.dds.set_mu(ftw, self.dds.turns_to_pow(turns), ASF)
                self.sw.pulse_mu(int64(round(PI_TIME * theta / PI)))


class FlatAddressed(_Flat):
    """(b) for one AD9912 beam per qubit (ca40)."""

    def build(self, core, dds0, dds1, opcodes, starts, thetas, phis, in_memory=False):
        super().build(core, opcodes, starts, thetas, phis, in_memory)
        self.dds0, self.sw0 = dds0, dds0.sw
        self.dds1, self.sw1 = dds1, dds1.sw
        self.kernel_invariants |= {"dds0", "sw0", "dds1", "sw1"}

    @kernel
    def run(self):
        self.core.break_realtime()
        frame0 = 0.0
        frame1 = 0.0
        for k in range(self.starts[0], self.starts[1]):
            op = self.opcodes[k]
            kind = op & 0xF
            q = (op >> 4) & 0xF
            p = op >> 12
            theta = self.thetas[p]
            phi = 0.0
            n = 0  # pulses to play
            if kind == 1:  # rphi
                phi = self.phis[p]
                n = 1
            elif kind == 2:  # rz
                if VIRTUAL_Z:
                    if self.in_memory:
                        self.frames[q] += theta
                    elif q == 0:
                        frame0 += theta
                    else:
                        frame1 += theta
                else:  # R_0(pi) R_(-theta/2)(pi)
                    phi = -theta / 2.0
                    theta = PI
                    n = 2
            for i in range(n):
                if i == 1:
                    phi = 0.0
                if self.in_memory:
                    turns = (phi - self.frames[q]) / (2.0 * PI)
                elif q == 0:
                    turns = (phi - frame0) / (2.0 * PI)
                else:
                    turns = (phi - frame1) / (2.0 * PI)
                if theta < 0.0:
                    theta = -theta
                    turns += 0.5
                duration = int64(round(PI_TIME * theta / PI))
                if q == 0:
                    self.dds0.set_mu(FTW0, self.dds0.turns_to_pow(turns))
                    self.sw0.pulse_mu(duration)
                else:
                    self.dds1.set_mu(FTW1, self.dds1.turns_to_pow(turns))
                    self.sw1.pulse_mu(duration)


def configure(ops):
    """Set the literal calibrations from the built trap ``ops`` (host)."""
    global VIRTUAL_Z, PI_TIME, ASF, FTW0, FTW1
    drive = ops.drive
    if ops.num_qubits != 2:
        raise ValueError("the hand-written kernels are written for two qubits")
    VIRTUAL_Z = bool(ops.virtual_z)
    PI_TIME = float(drive.pi_time)
    if hasattr(drive, "ftws"):
        FTW0, FTW1 = drive.ftws
        ASF = drive.asf
    else:
        FTW0, FTW1 = drive.beams[0].ftw, drive.beams[1].ftw


def flat_kernel(parent, ops, opcodes, starts, thetas, phis, in_memory=False):
    """(b) for the trap of ``ops``, its literals configured; (b') with ``in_memory``."""
    configure(ops)
    drive = ops.drive
    if hasattr(drive, "ftws"):
        return FlatMicrowave(parent, ops.core, drive.dds, opcodes, starts, thetas, phis,
                             in_memory)
    return FlatAddressed(parent, ops.core, drive.beams[0].dds, drive.beams[1].dds,
                         opcodes, starts, thetas, phis, in_memory)


def gate_chunk(gates, length=6, seed=1):
    """One RB sequence on two qubits compiled for ``gates``, without its ``rxx`` words:
    the single-qubit gates of the chunk, on both qubits (``opcodes, starts, thetas,
    phis``)."""
    program = compile_program(gates, 2, [length], 1, seed=seed)
    opcodes, _, thetas, phis, _ = program.chunk_arrays(0, 1)
    opcodes = np.array([w for w in opcodes if w & 0xF != RXX], dtype=np.int32)
    return opcodes, np.array([0, len(opcodes)], dtype=np.int32), thetas, phis
