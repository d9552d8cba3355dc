"""The portable randomized-benchmarking kernel: play opcode sequences, count survivals.

One kernel call plays one chunk: ``n_seq`` sequences, ``shots`` shots each (prepare, play
the sequence's native gates, measure), and counts per sequence the shots whose bits match
the sequence's expected outcome. Everything the gate loop reads is a kernel invariant
(opcodes, sequence starts, angle tables, expected outcomes), decoding a gate is three
shifts and masks, and the host hears once per sequence, asynchronously: no RPC and no
allocation per gate. ``load`` rewrites the words' qubit fields from the sequence's qubit
indices to the trap's qubits on the host, so the gate loop needs no lookup (nor its bounds
check) to find them.

``RBKernel1`` plays single-qubit gates only; ``RBKernel2`` adds ``rxx``, so a one-qubit run
compiles on a trap whatever two-qubit gate it has. On a trap without a native ``rz``,
``load`` makes every ``rz`` word the two ``rphi`` words the trap's ``rz`` would play, and
the kernels play them through ``RBKernel1RzAsPulses`` and ``RBKernel2RzAsPulses``, whose
``play`` has no ``rz`` branch at all: ARTIQ's compiler then neither embeds ``ops.rz`` (a
dead branch is still typed and translated, which costs compile time) nor sees a second
call site of the drive's pulse, so it inlines the pulse where ``rphi`` calls it.
:func:`rb_kernel_class` picks the class for a trap.

How a shot's gates reach the RTIO core is the kernel's ``dma`` option:

* the gate loop (``dma=False``): every shot, the CPU decodes each opcode and submits its
  events (a DDS update is about ten SPI words and TTL edges), so every gate costs CPU
  time, which a short gate may not cover: over a long sequence the slack can drain into
  an ``RTIOUnderflow``;
* DMA (``dma=True``): the CPU plays each sequence's gates once into a DMA recording
  (``core_dma.record`` around the same gate loop, so the recorded events are the loop's),
  then every shot replays it with ``playback_handle``: the DMA engine submits the events,
  and the CPU is out of the gate loop. State preparation and detection stay outside the
  recording (detection reads counters, which a recording cannot hold). The recording is
  made where a shot's gates start from: after ``ops.initialize()`` or after a shot, whose
  ``prep_0_all`` left every virtual-Z frame at 0 and whose playback changed no kernel
  state. It is erased when the kernel ends, also on an exception. Recording does not move
  the timeline but costs CPU time, so ``core.break_realtime()`` regains the slack between
  the recording and the shots: between sequences, never inside a shot. A shot's RTIO
  output is the same either way (``tests/test_rb_dma.py``).
"""
import numpy as np

from control.lang import HasEnvironment, TInt32, kernel, rpc

from control.constants import PI
from kernels.opcodes import RPHI, RZ

__all__ = ["RBKernel1", "RBKernel2", "RBKernel1RzAsPulses", "RBKernel2RzAsPulses",
           "rb_kernel_class", "DMA_TRACE"]

#: The name of the DMA recording of the sequence being played (one at a time).
DMA_TRACE = "control.rb.sequence"


class _GateLoopShots(HasEnvironment):
    """The shots of one sequence, the gates played from the CPU gate by gate."""

    def build(self, rb):
        self.rb = rb
        self.core = rb.core
        self.kernel_invariants = {"rb", "core"}

    @kernel
    def play_sequence(self, s: TInt32):
        """``rb.shots`` shots of sequence ``s``: prepare, play its gates from the CPU,
        measure and count (``rb.measure``). Advances the timeline by ``rb.shots`` ×
        (preparation + the gates + detection)."""
        rb = self.rb
        for _shot in range(rb.shots):
            rb.ops.prep_0_all()
            for k in range(rb.starts[s], rb.starts[s + 1]):
                rb.play(rb.opcodes[k])
            rb.measure(s)

    @kernel
    def finish(self):
        """Nothing to release. Does not advance the timeline."""
        pass


class _DMAShots(HasEnvironment):
    """The shots of one sequence, the gates recorded once with DMA and played back by the
    DMA engine in every shot (see the module docstring)."""

    def build(self, rb):
        self.rb = rb
        self.core = rb.core
        self.setattr_device("core_dma")
        self.trace = DMA_TRACE
        self.kernel_invariants = {"rb", "core", "core_dma", "trace"}

    @kernel
    def play_sequence(self, s: TInt32):
        """Record sequence ``s``'s gates (the gate loop inside ``core_dma.record``, which
        does not move the timeline), regain slack with ``core.break_realtime()``, then
        ``rb.shots`` shots: prepare, play the recording back, measure and count
        (``rb.measure``). Advances the timeline by the ``break_realtime`` and ``rb.shots``
        × (preparation + the recording's duration + detection)."""
        rb = self.rb
        with self.core_dma.record(self.trace):
            for k in range(rb.starts[s], rb.starts[s + 1]):
                rb.play(rb.opcodes[k])
        handle = self.core_dma.get_handle(self.trace)
        self.core.break_realtime()
        for _shot in range(rb.shots):
            rb.ops.prep_0_all()
            self.core_dma.playback_handle(handle)
            rb.measure(s)

    @kernel
    def finish(self):
        """Erase the recording. Does not advance the timeline."""
        self.core_dma.erase(self.trace)


class _RBKernel(HasEnvironment):
    def build(self, ops, qubits, shots, dma=False):
        """The trap's operations, the trap's qubits the sequences' qubit indices stand
        for, shots per sequence, and whether each sequence is recorded once with DMA and
        played back in every shot (``dma``; it needs the crate's ``core_dma``) or played
        from the CPU in every shot; refuses a qubit the trap does not have."""
        if shots < 1:
            raise ValueError("shots must be at least 1, not {}".format(shots))
        for q in qubits:
            if not 0 <= q < ops.num_qubits:
                raise ValueError("qubit {} does not exist: the trap has {}".format(
                    q, ops.num_qubits))
        self.ops = ops
        self.core = ops.core
        self.qubits = list(qubits)
        self.n_qubits = len(self.qubits)
        self.shots = shots
        self.on_sequence = None
        self.dma = bool(dma)
        self.player = _DMAShots(self, rb=self) if self.dma else _GateLoopShots(self, rb=self)
        self.kernel_invariants = {"ops", "core", "qubits", "n_qubits", "shots", "n_seq",
                                  "opcodes", "starts", "thetas", "phis", "expected",
                                  "dma", "player"}
        self.n_seq = 0

    def load(self, opcodes, starts, thetas, phis, expected):
        """One chunk (host): flat opcodes, ``starts`` (n_seq + 1 offsets), the angle
        tables and each sequence's expected bits (qubit i in bit i). The opcodes' qubit
        fields index ``qubits``; the kernel gets them as the trap's qubits. On a trap
        without a native ``rz`` each ``rz`` word becomes the two ``rphi`` words
        R_0(π) R_(-θ/2)(π) (= Rz(θ) up to phase, the pulses the trap's ``rz`` plays), so
        that ``play`` has no ``rz`` branch there."""
        opcodes = np.ascontiguousarray(opcodes, dtype=np.int32)
        starts = np.ascontiguousarray(starts, dtype=np.int32)
        thetas = np.ascontiguousarray(thetas, dtype=np.float64)
        phis = np.ascontiguousarray(phis, dtype=np.float64)
        if "rz" not in self.ops.native_gate_names():
            opcodes, starts, thetas, phis = self.rz_as_pulses(opcodes, starts, thetas, phis)
        self.opcodes = self.physical_opcodes(opcodes)
        self.starts = starts
        self.thetas = thetas
        self.phis = phis
        self.expected = np.ascontiguousarray(expected, dtype=np.int32)
        self.n_seq = len(self.starts) - 1
        self.survived = np.zeros(self.n_seq, dtype=np.int32)

    @staticmethod
    def rz_as_pulses(opcodes, starts, thetas, phis):
        """``opcodes`` with every ``rz`` word replaced by ``rphi(π, -θ/2)``, ``rphi(π, 0)``
        on its qubit, new angle pairs appended to the tables, and ``starts`` moved to
        match (host)."""
        rz = (opcodes & 0xF) == RZ
        if not rz.any():
            return opcodes, starts, thetas, phis
        first = len(thetas) + 2 * np.arange(int(rz.sum()), dtype=np.int32)
        rz_thetas = thetas[opcodes[rz] >> 12]
        pair_thetas = np.empty(2 * len(first))
        pair_thetas[:] = PI
        pair_phis = np.zeros(2 * len(first))
        pair_phis[0::2] = -rz_thetas / 2.0
        qubit_fields = opcodes[rz] & 0xFF0
        words = np.repeat(opcodes, np.where(rz, 2, 1))
        at = np.flatnonzero(np.repeat(rz, np.where(rz, 2, 1)))
        words[at[0::2]] = qubit_fields | RPHI | (first << 12)
        words[at[1::2]] = qubit_fields | RPHI | ((first + 1) << 12)
        extra = np.concatenate([[0], np.cumsum(rz)])
        return (words.astype(np.int32), (starts + extra[starts]).astype(np.int32),
                np.concatenate([thetas, pair_thetas]), np.concatenate([phis, pair_phis]))

    def physical_opcodes(self, opcodes):
        """``opcodes`` with both qubit fields mapped through ``qubits`` (host)."""
        words = np.ascontiguousarray(opcodes, dtype=np.int32)
        table = np.array(self.qubits + [-1] * (16 - len(self.qubits)), dtype=np.int32)
        fields = [(words >> shift) & 0xF for shift in (4, 8)]
        for field in fields:
            bad = field >= len(self.qubits)
            if bad.any():
                raise ValueError("opcode {:#x} names qubit index {}, but the kernel plays "
                                 "{} qubits".format(int(words[bad][0]),
                                                    int(field[bad][0]), len(self.qubits)))
        return (words & ~0xFF0) | (table[fields[0]] << 4) | (table[fields[1]] << 8)

    @kernel
    def run(self):
        """Plays the loaded chunk: per sequence, ``shots`` shots that prepare, play the
        sequence (from the CPU, or a DMA recording of it: ``dma``) and measure, counting
        in ``survived`` the shots whose bits match; sends each sequence's count to the
        host (async RPC, no wait). After ``core.break_realtime()`` and
        ``ops.initialize()``, advances the timeline by ``shots`` × (preparation + the
        sequence's gates + detection) per sequence, with DMA also by the
        ``core.break_realtime()`` after each sequence's recording."""
        self.core.break_realtime()
        self.ops.initialize()
        try:
            for s in range(self.n_seq):
                self.player.play_sequence(s)
                self.sequence_done(s, self.survived[s])
        finally:
            self.player.finish()

    @kernel
    def measure(self, s: TInt32):
        """The end of a shot of sequence ``s``: measure every qubit and count the shot in
        ``survived[s]`` if its bits are the sequence's expected outcome. Advances the
        timeline by the detection."""
        self.ops.m_z_all()
        match = 1
        for i in range(self.n_qubits):
            if self.ops.get_measurement(self.qubits[i]) != (self.expected[s] >> i) & 1:
                match = 0
        self.survived[s] += match

    @kernel
    def play(self, op: TInt32):
        """Plays one opcode word (a subclass's kernel, one per gate set), advancing the
        timeline as the HAL operation it calls does."""
        raise NotImplementedError

    @rpc(flags={"async"})
    def sequence_done(self, sequence: TInt32, survived: TInt32):
        """Host side of the RPC after each sequence: ``on_sequence(sequence, survived)``,
        if set. Asynchronous: the kernel does not wait, and the timeline does not
        advance."""
        if self.on_sequence is not None:
            self.on_sequence(sequence, survived)


class RBKernel1(_RBKernel):
    """The RB kernel for single-qubit sequences: it plays ``rphi`` and ``rz`` only, so it
    compiles on any trap, whatever two-qubit gate the trap has."""

    @kernel
    def play(self, op: TInt32):
        """Plays one opcode word: ``rphi`` or ``rz`` on its qubit, angles from the tables;
        advances the timeline as that HAL operation does (a virtual ``rz``: not at all)."""
        kind = op & 0xF
        # load() checked every qubit field on the host: the clamp changes no value, it
        # tells the compiler the range, which spares the HAL's per-qubit tables their
        # bounds checks once inlined
        q = min((op >> 4) & 0xF, self.ops.num_qubits - 1)
        theta = self.thetas[op >> 12]
        if kind == RPHI:
            self.ops.rphi(theta, self.phis[op >> 12], q)
        elif kind == RZ:
            self.ops.rz(theta, q)


class RBKernel2(_RBKernel):
    """The RB kernel for two-qubit sequences: ``RBKernel1``'s gates and ``rxx``, so the
    trap must provide ``rxx``."""

    def build(self, ops, qubits, shots, dma=False):
        """As ``RBKernel1``, after requiring ``rxx`` of the trap: a trap without it fails
        here, before anything runs."""
        ops.require("rxx", user="two-qubit randomized benchmarking")
        super().build(ops, qubits, shots, dma)

    @kernel
    def play(self, op: TInt32):
        """Plays one opcode word: ``rphi``, ``rz`` or ``rxx`` on its qubits, angles from
        the tables; advances the timeline as that HAL operation does."""
        kind = op & 0xF
        last = self.ops.num_qubits - 1
        q = min((op >> 4) & 0xF, last)  # a no-op for the compiler's sake, as in RBKernel1
        theta = self.thetas[op >> 12]
        if kind == RPHI:
            self.ops.rphi(theta, self.phis[op >> 12], q)
        elif kind == RZ:
            self.ops.rz(theta, q)
        else:
            self.ops.rxx(theta, q, min((op >> 8) & 0xF, last))


class _RzAsPulses:
    """What both ``RzAsPulses`` kernels add to their base's ``build``: they refuse a trap
    with a native ``rz``, whose ``rz`` words ``load`` leaves as they are."""

    def build(self, ops, qubits, shots, dma=False):
        """As the base kernel's, after refusing a trap with a native ``rz``."""
        if "rz" in ops.native_gate_names():
            raise ValueError("{} plays rz words as pulses, but this trap has a native rz: "
                             "use rb_kernel_class(ops, n_qubits)".format(type(self).__name__))
        super().build(ops, qubits, shots, dma)


class RBKernel1RzAsPulses(_RzAsPulses, RBKernel1):
    """``RBKernel1`` for a trap without a native ``rz``: ``load`` made every ``rz`` word
    two ``rphi`` words, so every word is an ``rphi`` (see the module docstring)."""

    @kernel
    def play(self, op: TInt32):
        """Plays one opcode word, an ``rphi`` on its qubit; advances the timeline by the
        pulse."""
        q = min((op >> 4) & 0xF, self.ops.num_qubits - 1)  # as in RBKernel1
        self.ops.rphi(self.thetas[op >> 12], self.phis[op >> 12], q)


class RBKernel2RzAsPulses(_RzAsPulses, RBKernel2):
    """``RBKernel2`` for a trap without a native ``rz``: ``rphi`` and ``rxx`` words only
    (see the module docstring)."""

    @kernel
    def play(self, op: TInt32):
        """Plays one opcode word: ``rphi`` or ``rxx`` on its qubits; advances the
        timeline as that HAL operation does."""
        last = self.ops.num_qubits - 1
        q = min((op >> 4) & 0xF, last)  # as in RBKernel1
        theta = self.thetas[op >> 12]
        if (op & 0xF) == RPHI:
            self.ops.rphi(theta, self.phis[op >> 12], q)
        else:
            self.ops.rxx(theta, q, min((op >> 8) & 0xF, last))


def rb_kernel_class(ops, n_qubits):
    """The RB kernel class for ``n_qubits``-qubit sequences on the trap of ``ops``: the
    ``RzAsPulses`` one where the trap has no native ``rz`` (host; at build, before the
    calibrations are read)."""
    pulses = "rz" not in ops.native_gate_names()
    if n_qubits == 2:
        return RBKernel2RzAsPulses if pulses else RBKernel2
    return RBKernel1RzAsPulses if pulses else RBKernel1
