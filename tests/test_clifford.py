"""The Clifford index tables against qiskit, and the RB sequences built on them."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from qiskit import QuantumCircuit
from qiskit.circuit.library import CXGate, HGate, RXXGate, SGate
from qiskit.quantum_info import Clifford, Operator, Statevector

from kernels import clifford as C
from kernels.data import make_clifford_tables as gen

ANGLES = {math.pi / 2, math.pi, -math.pi / 2}


@pytest.fixture(scope="module")
def all2():
    """Every 2-qubit index as a qiskit Clifford (built once: about a second)."""
    return [C.clifford2(i) for i in range(11520)]


def circuit(n, gates):
    qc = QuantumCircuit(n)
    for name, qubits, angle in gates:
        getattr(qc, name)(angle, *qubits)
    return qc


# --- one qubit -------------------------------------------------------------------------

def test_1q_elements_are_the_24_distinct_cliffords():
    cl = [C.clifford1(i) for i in range(24)]
    assert len({c.tableau.tobytes() for c in cl}) == 24
    assert cl[0] == Clifford(QuantumCircuit(1))
    for label, i in (("X", 1), ("Z", 2), ("Y", 3)):  # Paulis are indices 0..3
        qc = QuantumCircuit(1)
        getattr(qc, label.lower())(0)
        assert cl[i] == Clifford(qc)
    assert [C.index_of(c) for c in cl] == list(range(24))


def test_1q_composition_table_matches_qiskit_for_all_pairs():
    cl = [C.clifford1(i) for i in range(24)]
    assert C.COMPOSE1.shape == (24, 24)
    for a in range(24):
        for b in range(24):
            # a first, then b: qiskit's a.compose(b)
            assert cl[a].compose(cl[b]) == cl[C.COMPOSE1[a, b]], (a, b)
    assert np.array_equal(C.compose(1, np.arange(24)[:, None], np.arange(24)), C.COMPOSE1)


def test_composition_order_is_first_then_second():
    h, s = C.index_of(HGate()), C.index_of(SGate())
    qc = QuantumCircuit(1)
    qc.h(0)
    qc.s(0)
    assert C.compose1(h, s) == C.index_of(qc)
    assert C.compose1(s, h) != C.index_of(qc)


def test_1q_inverses_match_qiskit():
    for i in range(24):
        assert C.clifford1(C.INVERSE1[i]) == C.clifford1(i).adjoint()
        assert C.compose1(i, C.inverse1(i)) == 0 and C.compose1(C.inverse1(i), i) == 0


def test_1q_decompositions_reproduce_their_clifford():
    lengths = []
    for i in range(24):
        rots = C.decompose1(i)
        lengths.append(len(rots))
        assert all(name in ("rx", "ry", "rz") and angle in ANGLES for name, angle in rots)
        qc = circuit(1, [(name, (0,), angle) for name, angle in rots])
        assert Clifford(qc) == C.clifford1(i), i
        assert Operator(C.unitary(1, i)).equiv(Operator(qc))
    # minimal: identity empty, 9 single rotations, the other 14 need two
    assert sorted(lengths) == [0] + [1] * 9 + [2] * 14


def test_1q_decompositions_use_at_most_one_xy_pulse():
    # every 1q Clifford is one x/y rotation with a z rotation: cheap with virtual z
    for i in range(24):
        assert sum(name != "rz" for name, _ in C.decompose1(i)) <= 1


# --- two qubits ------------------------------------------------------------------------

def test_2q_indices_are_11520_distinct_cliffords(all2):
    assert len({c.tableau.tobytes() for c in all2}) == 11520
    assert all2[0] == Clifford(QuantumCircuit(2))
    assert [C.index_of(c) for c in all2] == list(range(11520))


def test_2q_inverse_of_every_index(all2):
    identity = all2[0]
    for i in range(11520):
        assert all2[i].compose(all2[C.INVERSE2[i]]) == identity, i
    assert np.all(C.compose2(np.arange(11520), C.inverse2(np.arange(11520))) == 0)


def test_2q_composition_matches_qiskit_on_sampled_pairs(all2):
    rng = np.random.default_rng(7)
    a = rng.integers(0, 11520, 500)
    b = rng.integers(0, 11520, 500)
    c = C.compose2(a, b)
    assert c.shape == (500,) and c.dtype == np.int16
    for x, y, z in zip(a, b, c):
        assert all2[x].compose(all2[y]) == all2[z], (x, y)


def test_2q_pauli_indices_and_pauli_append(all2):
    qc = QuantumCircuit(2)
    qc.x(0)
    qc.z(1)
    assert C.index_of(qc) == 0b1001  # X on qubit 0 (bit 0), Z on qubit 1 (bit 2 + 1)
    rng = np.random.default_rng(3)
    c, p = rng.integers(0, 11520, 100), rng.integers(0, 16, 100)
    assert np.array_equal(C.compose2(c, p), c ^ p)


def test_local_and_entangler_tables_match_qiskit():
    for a in range(24):
        for b in range(24):
            # qiskit: x.tensor(y) puts y on qubit 0
            assert C.clifford2(C.LOCAL2[a, b]) == C.clifford1(b).tensor(C.clifford1(a))
    assert C.clifford2(C.ENTANGLER2) == Clifford(RXXGate(math.pi / 2))


def test_2q_layers_rebuild_every_index():
    # index-level check of all 11520 layered forms (the pieces are checked against
    # qiskit above): layer 0, then (rxx, layer k) for each entangler
    idx = np.arange(11520)
    k = C.N_ENTANGLERS2.astype(int)
    assert np.bincount(k).tolist() == [576, 5184, 5184, 576]
    acc = C.LOCAL2[C.LAYERS2[:, 0, 0], C.LAYERS2[:, 0, 1]]
    for j in range(1, 4):
        step = C.compose2(C.compose2(acc, C.ENTANGLER2),
                          C.LOCAL2[C.LAYERS2[:, j, 0], C.LAYERS2[:, j, 1]])
        acc = np.where(k >= j, step, acc)
        assert np.all((C.LAYERS2[:, j] >= 0) == (k >= j)[:, None])  # padding is -1
    assert np.array_equal(acc, idx)
    assert C.layers2(0) == [(0, 0)]


def test_2q_decompositions_reproduce_their_clifford_on_a_sample(all2):
    rng = np.random.default_rng(11)
    sample = np.concatenate([np.flatnonzero(C.N_ENTANGLERS2 == 3)[:50],
                             rng.integers(0, 11520, 400)])
    for i in sample:
        gates = C.decompose2(i)
        assert sum(g[0] == "rxx" for g in gates) == C.N_ENTANGLERS2[i]
        assert all(g == ("rxx", (0, 1), math.pi / 2) or (g[0] in ("rx", "ry", "rz") and
                   g[2] in ANGLES and g[1] in ((0,), (1,))) for g in gates)
        assert Clifford(circuit(2, gates)) == all2[i], i
    for i in sample[:30]:
        assert Operator(C.unitary(2, i)).equiv(Operator(all2[i]))


def test_cnot_class_needs_one_entangler():
    assert C.N_ENTANGLERS2[C.index_of(CXGate())] == 1
    swap = QuantumCircuit(2)
    swap.swap(0, 1)
    assert C.N_ENTANGLERS2[C.index_of(swap)] == 3


# --- properties --------------------------------------------------------------------------

index1 = st.integers(0, 23)
index2 = st.integers(0, 11519)


@settings(max_examples=200, deadline=None)
@given(index2, index2, index2)
def test_2q_compose_is_associative(a, b, c):
    assert C.compose2(C.compose2(a, b), c) == C.compose2(a, C.compose2(b, c))


@settings(max_examples=100, deadline=None)
@given(index1, index1, index1)
def test_1q_compose_is_associative(a, b, c):
    assert C.compose1(C.compose1(a, b), c) == C.compose1(a, C.compose1(b, c))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([1, 2]), st.data())
def test_inverse_is_an_involution_and_identity_is_neutral(n, data):
    a = data.draw(index1 if n == 1 else index2)
    assert C.inverse(n, C.inverse(n, a)) == a
    assert C.compose(n, a, 0) == a == C.compose(n, 0, a)
    b = data.draw(index1 if n == 1 else index2)
    # (ab)^-1 = b^-1 a^-1, in "first, then" order
    assert C.inverse(n, C.compose(n, a, b)) == C.compose(n, C.inverse(n, b), C.inverse(n, a))


# --- sampling and reduction --------------------------------------------------------------

def test_random_cliffords_shape_range_seed_and_uniformity():
    x = C.random_cliffords(2, (3, 4), 5)
    assert x.shape == (3, 4) and x.dtype == np.int16
    assert np.array_equal(x, C.random_cliffords(2, (3, 4), np.random.default_rng(5)))
    counts = np.bincount(C.random_cliffords(1, 48000, 1), minlength=24)
    assert counts.size == 24 and np.all(np.abs(counts - 2000) < 250)
    with pytest.raises(ValueError):
        C.random_cliffords(3, 1)


@pytest.mark.parametrize("n", [1, 2])
def test_reduce_compose_matches_a_left_to_right_loop(n):
    seqs = C.random_cliffords(n, (20, 37), 2)
    expect = np.zeros(20, dtype=int)
    for j in range(37):
        expect = C.compose(n, expect, seqs[:, j])
    assert np.array_equal(C.reduce_compose(n, seqs), expect)
    assert np.array_equal(C.reduce_compose(n, seqs[:, :0]), np.zeros(20))


# --- RB sequences ------------------------------------------------------------------------

def total(n, seq):
    c = C.clifford(n, seq[0])
    for i in seq[1:]:
        c = c.compose(C.clifford(n, i))
    return c


@pytest.mark.parametrize("n", [1, 2])
def test_rb_sequences_compose_to_identity(n):
    rb = C.rb_sequences(n, [0, 1, 4, 30], samples=6, seed=9)
    identity = Clifford(QuantumCircuit(n))
    assert [s.shape for s in rb.sequences] == [(6, 1), (6, 2), (6, 5), (6, 31)]
    assert np.all(rb.expected == 0)
    for seqs in rb.sequences:
        for seq in seqs:
            assert total(n, seq) == identity
    again = C.rb_sequences(n, [0, 1, 4, 30], samples=6, seed=9)
    assert all(np.array_equal(a, b) for a, b in zip(rb.sequences, again.sequences))


@pytest.mark.parametrize("n", [1, 2])
def test_rb_sequences_with_final_pauli_end_in_the_expected_bits(n):
    rb = C.rb_sequences(n, [2, 10], samples=20, seed=4, final_pauli=True)
    assert len(set(rb.expected.ravel().tolist())) > 1  # the Pauli really is random
    for k, seqs in enumerate(rb.sequences):
        for s, seq in enumerate(seqs):
            probs = Statevector.from_int(0, 2 ** n).evolve(total(n, seq)).probabilities()
            assert probs[rb.expected[k, s]] == pytest.approx(1)


@pytest.mark.parametrize("n,gate", [(1, HGate()), (2, CXGate())])
def test_interleaved_sequences(n, gate):
    g = C.index_of(gate)
    rb = C.rb_sequences(n, [1, 5, 12], samples=5, seed=1, interleave=gate)
    identity = Clifford(QuantumCircuit(n))
    assert rb.interleave == g
    for m, seqs in zip(rb.lengths, rb.sequences):
        assert seqs.shape == (5, 2 * m + 1)
        assert np.all(seqs[:, 1:-1:2] == g)       # after every random Clifford
        for seq in seqs:
            assert total(n, seq) == identity
    ref = C.rb_sequences(n, [1, 5, 12], samples=5, seed=1)
    assert all(np.array_equal(a[:, :-1:2], b[:, :-1])  # same random draws
               for a, b in zip(rb.sequences, ref.sequences))


def test_flat_layout():
    rb = C.rb_sequences(2, [3, 7], samples=4, seed=0, final_pauli=True)
    cliffords, starts, seq_lengths, expected = rb.flat()
    assert starts.tolist() == [0, 4, 8, 12, 16, 24, 32, 40, 48]
    assert seq_lengths.tolist() == [3] * 4 + [7] * 4
    assert np.array_equal(cliffords[starts[5]:starts[6]], rb.sequences[1][1])
    assert expected[5] == rb.expected[1, 1]


def test_rb_sequences_reject_bad_arguments():
    with pytest.raises(ValueError):
        C.rb_sequences(1, [-1], 3)
    with pytest.raises(ValueError):
        C.rb_sequences(1, [2], 0)
    with pytest.raises(ValueError):
        C.rb_sequences(1, [2], 3, interleave=24)


# --- the data file -----------------------------------------------------------------------

def test_missing_table_file_is_rebuilt_identically(tmp_path, monkeypatch):
    path = tmp_path / gen.FILENAME
    monkeypatch.setattr(gen, "PATH", path)
    tables = C._load_tables()
    assert path.exists() and path.stat().st_size < 2e6
    assert tables.keys() == C._T.keys()
    for key in tables:
        assert np.array_equal(tables[key], C._T[key]), key
