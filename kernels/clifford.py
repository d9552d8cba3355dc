"""One- and two-qubit Clifford groups as integer indices, for randomized benchmarking.

Host-side index arithmetic, vectorized over numpy arrays; no hardware, no ARTIQ.

Conventions
-----------
* **Indices.** 1 qubit: ``0 .. 23``; 2 qubits: ``0 .. 11519``. Index ``0`` is the identity.
  An index is ``4**n * s + p``: the symplectic matrix number ``s`` (with all tableau signs
  ``+``) followed by the Pauli ``p``. So indices ``0 .. 4**n - 1`` are the Paulis, with
  bit ``i`` of ``p`` = X on qubit ``i`` and bit ``n + i`` = Z on qubit ``i`` (both: Y).
  Appending a Pauli ``p`` after Clifford ``c`` is ``c ^ p``.
* **Composition order.** ``compose(n, a, b)`` is *a first, then b*: the unitary is
  ``U_b @ U_a``. This is qiskit's ``clifford(a).compose(clifford(b))``.
* **Global phase.** Cliffords are equal up to a global phase: an index stands for a
  tableau (qiskit's ``Clifford``), which has none, and decompositions reproduce the
  Clifford up to a global phase.
* **Qubit order** is qiskit's: qubit 0 is the least significant bit / tensor factor, and
  the expected outcome of an RB sequence is an integer with qubit ``i`` in bit ``i``.
* **Rotations** are ``r_axis(angle) = exp(-i angle sigma_axis / 2)`` and
  ``rxx(angle) = exp(-i angle X0 X1 / 2)`` (qiskit's RX/RY/RZ/RXX); the entangler of the
  two-qubit decompositions is the Mølmer-Sørensen gate ``("rxx", (0, 1), pi/2)``.

Decompositions, in time order (first gate first):

* ``decompose1(i)``: at most 2 rotations ``[(name, angle)]``, name in ``rx ry rz``,
  angle in ``{pi/2, pi, -pi/2}``; among the shortest, the fewest x/y pulses (z may be
  virtual), then the fewest x/y quarter turns.
* ``layers2(i)``: ``[(a0, b0), (a1, b1), ..]``: 1-qubit Clifford ``a_j`` on qubit 0 and
  ``b_j`` on qubit 1, with one ``rxx(pi/2)`` between consecutive layers: 0 to 3 entanglers
  (the minimum: 576, 5184, 5184 and 576 elements), then the cheapest layers.
* ``decompose2(i)``: the same flattened to ``[(name, qubits, angle)]``.

The tables live in ``kernels/data/clifford_tables.npz``, written by
``kernels/data/make_clifford_tables.py``; when the file is missing it is rebuilt (about
two seconds) and saved if the directory is writable.
"""
import math
from dataclasses import dataclass

import numpy as np

from kernels.data import make_clifford_tables as _gen

__all__ = [
    "N_CLIFFORDS", "COMPOSE1", "INVERSE1", "INVERSE2", "ENTANGLER2", "LOCAL2",
    "ROT1_AXIS", "ROT1_QUARTERS", "LAYERS2", "N_ENTANGLERS2",
    "compose", "inverse", "compose1", "inverse1", "compose2", "inverse2",
    "reduce_compose", "random_cliffords", "clifford", "clifford1", "clifford2",
    "index_of", "decompose1", "layers2", "decompose2", "decompose", "unitary",
    "RBSequences", "rb_sequences",
]

N_CLIFFORDS = {1: 24, 2: 11520}
_ANGLE = {1: math.pi / 2, 2: math.pi, -1: -math.pi / 2}  # quarter turns -> radians


def _load_tables():
    """The saved tables, or freshly built ones when the file is missing or stale."""
    try:
        with np.load(_gen.PATH) as f:
            tables = {k: f[k] for k in f.files}
        if int(tables["version"]) == _gen.VERSION:
            return tables
    except (OSError, KeyError, ValueError):
        pass
    tables = _gen.build_tables()
    try:
        _gen.save_tables(tables, _gen.PATH)
    except OSError:
        pass  # a read-only install: the tables just live in memory
    return tables


_T = _load_tables()
# Index <-> tableau bookkeeping (symplectic lookup, Pauli action) from the saved tables.
_GROUPS = {1: _gen.Group(1, _T["sym1"], _T["table1"]),
           2: _gen.Group(2, _T["sym2"], _T["table2"])}


class _Fast:
    """Hot-path arithmetic for one group on int16 arrays: shifts and gathers only."""

    def __init__(self, g):
        self.shift = 2 * g.n              # index = s << shift | p
        self.mask = (1 << self.shift) - 1
        self.table = g.table.astype(np.int16)
        self.act = g.act.astype(np.int16)
        s = np.arange(g.nsym)
        s_inv = np.argmax(self.table >> self.shift == 0, axis=1)  # C_s then C_s' = Pauli
        p = np.arange(g.npauli)
        # compose(c, c') = table[s, s'] ^ act[s', p] ^ p' must be 0, which fixes p'
        p_inv = self.table[s, s_inv][:, None] ^ self.act[s_inv][:, p]
        self.inverse = ((s_inv[:, None] << self.shift) | p_inv).astype(np.int16).ravel()

    def compose(self, a, b):
        a = np.asarray(a)
        b = np.asarray(b)
        sb = b >> self.shift
        out = self.table[a >> self.shift, sb] ^ self.act[sb, a & self.mask] ^ (b & self.mask)
        return out.astype(np.int16, copy=False)


_FAST = {n: _Fast(g) for n, g in _GROUPS.items()}

COMPOSE1 = _FAST[1].compose(np.arange(24)[:, None], np.arange(24)[None, :])
"""``COMPOSE1[a, b]``: 1-qubit ``a`` then ``b`` (24 x 24)."""
INVERSE1 = _FAST[1].inverse
INVERSE2 = _FAST[2].inverse
LOCAL2 = _T["local2"].astype(np.int16)
"""``LOCAL2[a, b]``: 2-qubit index of 1-qubit ``a`` on qubit 0 and ``b`` on qubit 1."""
ENTANGLER2 = int(_T["entangler2"])
"""2-qubit index of ``rxx(pi/2)``."""
ROT1_AXIS = _T["rot1_axis"]
"""``(24, 2)`` int8: rotation axes of ``decompose1`` (0 x, 1 y, 2 z; -1 pads)."""
ROT1_QUARTERS = _T["rot1_quarters"]
"""``(24, 2)`` int8: rotation angles of ``decompose1`` in quarter turns (1, 2, -1)."""
LAYERS2 = _T["layers2"]
"""``(11520, 4, 2)`` int8: the ``layers2`` of every index, padded with -1."""
N_ENTANGLERS2 = _T["n_entanglers2"]
"""``(11520,)`` int8: the number of ``rxx(pi/2)`` in ``layers2``."""
for _a in (COMPOSE1, INVERSE1, INVERSE2, LOCAL2, ROT1_AXIS, ROT1_QUARTERS, LAYERS2,
           N_ENTANGLERS2):
    _a.flags.writeable = False  # shared tables: a stray write would corrupt every user


def _check_n(n_qubits):
    if n_qubits not in N_CLIFFORDS:
        raise ValueError("Cliffords on {} qubits are not supported (1 or 2)".format(
            n_qubits))


# --- arithmetic --------------------------------------------------------------------------

def compose(n_qubits, a, b):
    """Index of ``a`` followed by ``b`` (unitary ``U_b U_a``), elementwise with numpy
    broadcasting; int16."""
    if n_qubits == 1:
        return COMPOSE1[a, b]
    _check_n(n_qubits)
    return _FAST[n_qubits].compose(a, b)


def inverse(n_qubits, a):
    """Index of the inverse, elementwise; int16."""
    _check_n(n_qubits)
    return _FAST[n_qubits].inverse[a]


def compose1(a, b):
    """``compose(1, a, b)`` without the dispatch: single-qubit ``a`` then ``b``,
    elementwise; int16."""
    return COMPOSE1[a, b]


def inverse1(a):
    """``inverse(1, a)`` without the dispatch: the single-qubit inverse, elementwise;
    int16."""
    return INVERSE1[a]


def compose2(a, b):
    """``compose(2, a, b)`` without the dispatch: two-qubit ``a`` then ``b``, elementwise;
    int16."""
    return _FAST[2].compose(a, b)


def inverse2(a):
    """``inverse(2, a)`` without the dispatch: the two-qubit inverse, elementwise;
    int16."""
    return INVERSE2[a]


def reduce_compose(n_qubits, seq):
    """Product of each row of ``seq`` (shape ``(..., L)``) in time order: ``seq[..., 0]``
    first. Pairwise tree reduction, so ``log2(L)`` vectorized steps rather than ``L``."""
    seq = np.asarray(seq)
    if seq.shape[-1] == 0:
        return np.zeros(seq.shape[:-1], dtype=np.int16)
    while seq.shape[-1] > 1:
        even = seq.shape[-1] // 2 * 2
        pairs = compose(n_qubits, seq[..., 0:even:2], seq[..., 1:even:2])
        seq = np.concatenate([pairs, seq[..., even:]], axis=-1)  # an odd last one waits
    return np.asarray(seq[..., 0], dtype=np.int16)


def random_cliffords(n_qubits, shape, rng=None):
    """Uniformly random indices of the given shape; ``rng`` a Generator or a seed."""
    _check_n(n_qubits)
    return np.random.default_rng(rng).integers(0, N_CLIFFORDS[n_qubits], shape,
                                               dtype=np.int16)


# --- qiskit interface ---------------------------------------------------------------------

def clifford(n_qubits, i):
    """The ``qiskit.quantum_info.Clifford`` of index ``i``."""
    from qiskit.quantum_info import Clifford
    _check_n(n_qubits)
    n = n_qubits
    rows, signs = _GROUPS[n].tableau(_index(n_qubits, i))
    bits = (rows[:, None] >> np.arange(2 * n)[None, :]) & 1  # columns x_0.., z_0..
    return Clifford(np.concatenate([bits, signs[:, None]], axis=1).astype(bool))


def clifford1(i):
    """The qiskit ``Clifford`` of single-qubit index ``i``: ``clifford(1, i)``."""
    return clifford(1, i)


def clifford2(i):
    """The qiskit ``Clifford`` of two-qubit index ``i``: ``clifford(2, i)``."""
    return clifford(2, i)


def index_of(obj):
    """Index of a qiskit ``Clifford``, or anything ``Clifford(obj)`` accepts (a Clifford
    gate or circuit); its number of qubits says which group."""
    from qiskit.quantum_info import Clifford
    c = obj if isinstance(obj, Clifford) else Clifford(obj)
    n = c.num_qubits
    _check_n(n)
    tab = np.asarray(c.tableau, dtype=np.int64)
    rows = (tab[:, :2 * n] << np.arange(2 * n)).sum(axis=1)
    return int(_GROUPS[n].index(rows, tab[:, -1]))


def _index(n_qubits, i):
    i = int(i)
    if not 0 <= i < N_CLIFFORDS[n_qubits]:
        raise ValueError("{}-qubit Clifford index {} out of range 0..{}".format(
            n_qubits, i, N_CLIFFORDS[n_qubits] - 1))
    return i


# --- decompositions -----------------------------------------------------------------------

def decompose1(i):
    """Rotations ``[(name, angle), ..]`` in time order; at most 2, z preferred."""
    i = _index(1, i)
    return [("r" + "xyz"[a], _ANGLE[int(q)])
            for a, q in zip(ROT1_AXIS[i], ROT1_QUARTERS[i]) if a >= 0]


def layers2(i):
    """``[(a0, b0), .., (ak, bk)]``: 1-qubit Cliffords on qubits 0 and 1, with one
    ``rxx(pi/2)`` between consecutive layers (k = 0 .. 3, the fewest possible)."""
    i = _index(2, i)
    k = int(N_ENTANGLERS2[i])
    return [(int(a), int(b)) for a, b in LAYERS2[i, :k + 1]]


def decompose2(i):
    """Gates ``[(name, qubits, angle), ..]`` in time order: ``rx ry rz`` on ``(q,)`` and
    ``("rxx", (0, 1), pi/2)``."""
    gates = []
    for j, (a, b) in enumerate(layers2(i)):
        if j:
            gates.append(("rxx", (0, 1), math.pi / 2))
        gates += [(name, (0,), angle) for name, angle in decompose1(a)]
        gates += [(name, (1,), angle) for name, angle in decompose1(b)]
    return gates


def decompose(n_qubits, i):
    """``decompose2(i)``, or ``decompose1(i)`` with the qubit added: ``(name, (0,), angle)``."""
    _check_n(n_qubits)
    if n_qubits == 2:
        return decompose2(i)
    return [(name, (0,), angle) for name, angle in decompose1(i)]


def unitary(n_qubits, i):
    """The unitary of ``decompose(n_qubits, i)`` (so with its global phase);
    little-endian like qiskit."""
    u = np.eye(2 ** n_qubits, dtype=complex)
    for name, qubits, angle in decompose(n_qubits, i):
        if name == "rxx":
            g = _gen.rxx_matrix(angle)
        else:
            g = _gen.rotation_matrix(name[1], angle / (math.pi / 2))
            if n_qubits == 2:
                g = np.kron(g, np.eye(2)) if qubits[0] == 1 else np.kron(np.eye(2), g)
        u = g @ u
    return u


# --- randomized-benchmarking sequences ----------------------------------------------------

@dataclass
class RBSequences:
    """Sequences for one RB run, as Clifford indices.

    ``sequences[k]`` is an int16 array ``(samples, L)`` for ``lengths[k] = m`` random
    Cliffords: ``L = m + 1`` (the Cliffords then the recovery), or ``2m + 1`` when
    interleaved (``c1, g, c2, g, .., cm, g, recovery``). ``expected[k, s]`` is the ideal
    outcome, qubit i in bit i: 0, or the final random Pauli's X bits."""
    n_qubits: int
    lengths: np.ndarray
    sequences: list
    expected: np.ndarray
    interleave: object = None

    @property
    def samples(self):
        """Sequences per length."""
        return self.expected.shape[1]

    def flat(self):
        """``(cliffords, starts, seq_lengths, expected)`` over all sequences, length-major
        then sample: sequence j is ``cliffords[starts[j]:starts[j + 1]]``, with
        ``seq_lengths[j]`` random Cliffords and ideal outcome ``expected[j]``."""
        cliffords = np.concatenate([s.ravel() for s in self.sequences])
        sizes = np.repeat([s.shape[1] for s in self.sequences], self.samples)
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        return cliffords, starts, np.repeat(self.lengths, self.samples), self.expected.ravel()


def rb_sequences(n_qubits, lengths, samples, seed=None, interleave=None, final_pauli=False):
    """Random Clifford sequences with their recovery, vectorized over samples.

    Each (length, sample) is drawn independently. The recovery (last element) inverts
    the product of everything before it, so the ideal outcome is ``|0..0>``; with
    ``final_pauli`` a uniformly random Pauli is folded into the recovery, and
    ``expected`` records the bit string it flips to. ``interleave`` (an index, or a qiskit
    Clifford/gate/circuit) is placed after every random Clifford."""
    _check_n(n_qubits)
    lengths = np.asarray(lengths, dtype=np.int64).ravel()
    if lengths.size == 0 or np.any(lengths < 0):
        raise ValueError("lengths must be non-negative integers, got {}".format(lengths))
    if samples < 1:
        raise ValueError("samples must be at least 1, not {}".format(samples))
    if interleave is not None and not isinstance(interleave, (int, np.integer)):
        interleave = index_of(interleave)
    if interleave is not None:
        interleave = _index(n_qubits, interleave)
    rng = np.random.default_rng(seed)
    sequences, expected = [], []
    for m in lengths:
        body = random_cliffords(n_qubits, (samples, m), rng)
        if interleave is not None:
            body = np.stack([body, np.full_like(body, interleave)], axis=-1).reshape(
                samples, 2 * m)
        recovery = inverse(n_qubits, reduce_compose(n_qubits, body))
        bits = np.zeros(samples, dtype=np.int64)
        if final_pauli:
            pauli = rng.integers(0, 4 ** n_qubits, samples)
            recovery = recovery ^ pauli.astype(np.int16)  # Pauli after: XOR (see above)
            bits = pauli & ((1 << n_qubits) - 1)           # its X/Y parts flip outcomes
        sequences.append(np.concatenate([body, recovery[:, None]], axis=1))
        expected.append(bits)
    return RBSequences(n_qubits, lengths, sequences, np.array(expected), interleave)
