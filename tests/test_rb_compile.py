"""Compilation of Cliffords to native gates: exact, vectorized, and trap-specific."""
import math

import numpy as np
import pytest

from control.hal import NativeGate, NativeGateSet
from kernels import clifford
from kernels.native import NativeCompiler, equal_up_to_phase, rz_matrix
from kernels.opcodes import RPHI, RZ, decode
from kernels.rb import compile_program, interleave_index
from kernels.rb_compile import CliffordCompiler, compiler_for, gather

# As the simulated 171Yb+ trap publishes them: virtual Z, and an rxx that equalizes the
# qubits' frames with two π pulses.
WITH_VIRTUAL_Z = NativeGateSet({"rphi": NativeGate("rphi", 5e-6),
                                "rz": NativeGate("rz", 0.0, virtual=True),
                                "rxx": NativeGate("rxx", 200e-6, angles=(math.pi / 2,),
                                                  frame_equalizing_pulses=2)})
PULSES_ONLY = NativeGateSet({"rphi": NativeGate("rphi", 4e-6),
                             "rxx": NativeGate("rxx", 120e-6, angles=(math.pi / 2,))})


@pytest.mark.parametrize("gates", [WITH_VIRTUAL_Z, PULSES_ONLY])
def test_every_one_qubit_clifford_compiles_exactly(gates):
    c = CliffordCompiler(gates, 1)
    for i in range(24):
        assert equal_up_to_phase(c.unitary_of(c.words_of(i)), clifford.unitary(1, i)), i
    kinds = {decode(w)[0] for w in c.flat}
    assert (RZ in kinds) == ("rz" in gates)


@pytest.mark.parametrize("gates", [WITH_VIRTUAL_Z, PULSES_ONLY])
def test_two_qubit_cliffords_compile_exactly(gates):
    c = CliffordCompiler(gates, 2)
    rng = np.random.default_rng(3)
    for i in rng.choice(11520, 300, replace=False).tolist() + [0, 11519]:
        assert equal_up_to_phase(c.unitary_of(c.words_of(i)), clifford.unitary(2, i)), i
    assert c.gates_2q.max() == 3 and c.gates_2q.min() == 0


def test_the_traps_decompositions_differ():
    a, b = CliffordCompiler(WITH_VIRTUAL_Z, 1), CliffordCompiler(PULSES_ONLY, 1)
    assert a.pulses_1q.mean() == pytest.approx(20 / 24)  # one pulse, except Z-type ones
    assert b.pulses_1q.mean() > 1.5
    s_gate = clifford.index_of(_circuit("s"))
    assert [decode(w)[0] for w in a.words_of(s_gate)] == [RZ]
    assert all(decode(w)[0] == RPHI for w in b.words_of(s_gate))


def _circuit(gate):
    from qiskit import QuantumCircuit
    qc = QuantumCircuit(1)
    getattr(qc, gate)(0)
    return qc


def test_native_compiler_refuses_the_impossible():
    t = NativeGateSet({"rphi": NativeGate("rphi", 1e-6)})
    with pytest.raises(ValueError, match="no native decomposition"):
        NativeCompiler(t, max_pulses=1).gates_1q(rz_matrix(math.pi / 4))


def test_gather_concatenates_ragged_rows():
    flat = np.array([1, 2, 3, 4, 5, 6])
    offsets = np.array([0, 2, 2, 5, 6])
    out, lens = gather(flat, offsets, [3, 0, 2, 1, 0])
    assert out.tolist() == [6, 1, 2, 3, 4, 5, 1, 2] and lens.tolist() == [1, 2, 3, 0, 2]


def test_compiled_sequences_are_the_identity_or_the_expected_pauli():
    prog = compile_program(WITH_VIRTUAL_Z, 2, [1, 3, 6], 4, seed=5, final_pauli=True)
    assert prog.n_sequences == 12
    for j in range(prog.n_sequences):
        u = prog.compiler.unitary_of(prog.opcodes[prog.starts[j]:prog.starts[j + 1]])
        psi = u[:, 0]
        assert abs(psi[prog.expected[j]]) == pytest.approx(1.0, abs=1e-9)


def test_chunks_respect_the_word_limit():
    prog = compile_program(PULSES_ONLY, 1, [1, 20, 60], 5, seed=1)
    chunks = prog.chunks(max_words=150)
    assert chunks[0][0] == 0 and chunks[-1][1] == prog.n_sequences
    for first, last in chunks:
        assert prog.starts[last] - prog.starts[first] <= 150
    with pytest.raises(ValueError, match="over the chunk limit"):
        prog.chunks(max_words=3)


def test_interleave_names():
    assert interleave_index("x", 1) == clifford.index_of(_circuit("x"))
    assert interleave_index("ms", 2) == int(clifford.ENTANGLER2)
    with pytest.raises(ValueError, match="2-qubit gate"):
        interleave_index("cz", 1)
    with pytest.raises(ValueError, match="unknown gate"):
        interleave_index("toffoli", 2)


def test_expected_decay_counts_the_native_pulses():
    c = CliffordCompiler(PULSES_ONLY, 1)
    p = 1e-3
    expected = np.mean((1 - p) ** c.pulses_1q)
    assert c.expected_decay(p) == pytest.approx(expected)
    assert CliffordCompiler(WITH_VIRTUAL_Z, 1).expected_decay(p) > c.expected_decay(p)


def test_frame_pulses_count_only_with_virtual_z_on_two_qubits():
    p = 2e-3
    plain = CliffordCompiler(PULSES_ONLY, 2)
    assert not plain.frame_pulses.any()
    assert plain.mean_pulses_1q() == pytest.approx(plain.pulses_1q.mean())
    assert plain.expected_decay(p) == pytest.approx(np.mean((1 - 0.8 * p) ** plain.pulses_1q))
    virtual = CliffordCompiler(WITH_VIRTUAL_Z, 2)
    # rxx equalizes differing frames with two pi pulses: even counts, and more pulses
    assert virtual.frame_pulses.any() and not (virtual.frame_pulses % 2).any()
    assert virtual.mean_pulses_1q() > virtual.pulses_1q.mean() + 1
    naive = np.mean((1 - 0.8 * p) ** virtual.pulses_1q)
    assert virtual.expected_decay(p) < naive
    # from equal frames, a Clifford with no rz before its first rxx plays no frame pulse
    assert virtual.pulses_in([0]) == virtual.pulses_1q[0] + virtual.frame_pulses[0, 0]


def test_the_frame_pulses_are_the_ones_the_native_rxx_declares():
    """The compiler knows no driver: how many pulses rxx plays when frames differ comes
    from the native gate (a trap whose rxx plays none, or four, needs no change here)."""
    def with_rxx(pulses):
        return NativeGateSet(dict(WITH_VIRTUAL_Z.gates, rxx=NativeGate(
            "rxx", 200e-6, angles=(math.pi / 2,), frame_equalizing_pulses=pulses)))
    two = CliffordCompiler(WITH_VIRTUAL_Z, 2)
    none = CliffordCompiler(with_rxx(0), 2)
    four = CliffordCompiler(with_rxx(4), 2)
    assert not none.frame_pulses.any()
    assert none.mean_pulses_1q() == pytest.approx(none.pulses_1q.mean())
    np.testing.assert_array_equal(four.frame_pulses, 2 * two.frame_pulses)
    np.testing.assert_array_equal(none.flat, two.flat)  # the same opcodes: only the count
    # the cache tells the gate sets apart
    assert compiler_for(with_rxx(0), 2).frame_pulses.sum() == 0
    assert compiler_for(WITH_VIRTUAL_Z, 2).frame_pulses.sum() == two.frame_pulses.sum()


def test_only_two_qubit_gates_equalize_frames():
    with pytest.raises(ValueError, match="acts on one qubit"):
        NativeGate("rphi", 1e-6, frame_equalizing_pulses=2)
    with pytest.raises(ValueError, match="count of pulses"):
        NativeGate("rxx", 1e-4, frame_equalizing_pulses=-2)
    with pytest.raises(ValueError, match="count of pulses"):
        NativeGate("rxx", 1e-4, frame_equalizing_pulses=1.5)
