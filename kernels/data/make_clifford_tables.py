"""Generate ``clifford_tables.npz``: the Clifford group tables ``kernels.clifford`` loads.

Run ``python kernels/data/make_clifford_tables.py`` (or ``python -m
kernels.data.make_clifford_tables``) after changing anything here; ``kernels.clifford``
also calls :func:`build_tables` itself when the file is missing. Pure numpy, no qiskit,
so the tests can check these tables against qiskit independently. Takes about a second.

Conventions (shared with ``kernels.clifford``, which documents them for users):

* A Pauli on n qubits is a 2n-bit integer: bit ``i`` is X on qubit ``i``, bit ``n + i``
  is Z on qubit ``i``; both set is Y (the Hermitian Pauli, as in qiskit's tableaux).
* A tableau lists the images of the generators ``X_0 .. X_{n-1}, Z_0 .. Z_{n-1}`` (the
  order of qiskit's ``Clifford.tableau`` rows): row ``r`` is a Pauli integer plus a sign
  bit. Generator ``r`` is the Pauli integer ``1 << r``.
* A symplectic matrix ``S_s`` (its rows, no signs) is numbered ``s``, identity first.
  ``C_s`` is the Clifford with rows ``S_s`` and every sign ``+``.
* Clifford index ``c = 4**n * s + p`` is ``C_s`` followed by the Pauli ``p``; so Paulis
  are indices ``0 .. 4**n - 1`` and the identity is ``0``. Global phase is dropped.
* ``table[s1, s2]`` is the index of ``C_s1`` followed by ``C_s2``. From it, with
  ``act[s, p]`` the image of Pauli ``p`` under ``S_s``:
  ``compose(a, b) = table[sa, sb] ^ act[sb, pa] ^ pb`` (``a`` first, then ``b``), since
  ``P_pb C_sb P_pa C_sa = P_pb (C_sb P_pa C_sb^-1) C_sb C_sa``, up to phase.
* Rotations are ``r_axis(angle) = exp(-i angle sigma_axis / 2)`` and
  ``rxx(angle) = exp(-i angle X X / 2)`` (qiskit's RX, RY, RZ, RXX); matrices are
  little-endian (qubit 0 is the least significant tensor factor), as in qiskit.
"""
import itertools
from pathlib import Path

import numpy as np

VERSION = 1
FILENAME = "clifford_tables.npz"
PATH = Path(__file__).resolve().parent / FILENAME

AXES = "xyz"
# A rotation is (axis, quarter turns) with quarter turns in {1, 2, -1}: pi/2, pi, -pi/2.
QUARTERS = (1, 2, -1)

_PAULI_1Q = {  # (x, z) -> Hermitian single-qubit Pauli
    (0, 0): np.eye(2, dtype=complex),
    (1, 0): np.array([[0, 1], [1, 0]], dtype=complex),
    (0, 1): np.array([[1, 0], [0, -1]], dtype=complex),
    (1, 1): np.array([[0, -1j], [1j, 0]], dtype=complex),
}


# --- Pauli and tableau arithmetic, vectorized over numpy integer arrays ---------------

def pauli_matrix(v, n):
    """The 2**n x 2**n matrix of Pauli integer ``v`` (little-endian, Y Hermitian)."""
    out = np.eye(1, dtype=complex)
    for q in range(n):  # qubit 0 ends up as the rightmost (least significant) factor
        out = np.kron(_PAULI_1Q[((v >> q) & 1, (v >> (n + q)) & 1)], out)
    return out


def _bit(v, k):
    return (v >> k) & 1


def pauli_product_phase(w1, w2, n):
    """Exponent g (mod 4) with ``P(w1) P(w2) = i**g P(w1 ^ w2)`` for Hermitian Paulis.

    Aaronson & Gottesman's g function, summed over qubits."""
    g = np.zeros(np.broadcast(w1, w2).shape, dtype=np.int64)
    for q in range(n):
        x1, z1, x2, z2 = _bit(w1, q), _bit(w1, n + q), _bit(w2, q), _bit(w2, n + q)
        g += np.where(x1 & z1, z2 - x2,
                      np.where(x1, z2 * (2 * x2 - 1), np.where(z1, x2 * (1 - 2 * z2), 0)))
    return g


def symplectic_product(a, b, n):
    """1 where Paulis ``a`` and ``b`` anticommute, else 0."""
    mask = (1 << n) - 1
    v = ((a & mask) & (b >> n)) ^ ((a >> n) & (b & mask))
    out = np.zeros(np.shape(v), dtype=np.int64)
    for q in range(n):
        out ^= _bit(v, q)
    return out


def compose_tableaux(rows_a, signs_a, rows_b, signs_b, n):
    """Tableau of ``a`` followed by ``b``; arrays ``(..., 2n)`` broadcast together.

    Row r of ``a`` is a signed Pauli ``+-P(v)``. Written in the generators,
    ``P(v) = i**#Y * X^x.. Z^z..``; ``b`` maps each generator to its own row, and the
    ordered product of those rows, with the phase tracked, is the new row r."""
    rows, signs = [], []
    for r in range(2 * n):
        v = np.asarray(rows_a[..., r], dtype=np.int64)
        ys = v & (v >> n)
        e = 2 * signs_a[..., r] + sum(_bit(ys, q) for q in range(n))
        w = np.zeros_like(v)
        for g in range(2 * n):
            used = _bit(v, g)
            factor = rows_b[..., g] * used  # identity when generator g is absent
            e = e + 2 * signs_b[..., g] * used + pauli_product_phase(w, factor, n)
            w = w ^ factor
        if np.any(e % 2):
            raise AssertionError("a Clifford mapped a Hermitian Pauli to a non-Hermitian one")
        rows.append(w)
        signs.append((e % 4) // 2)
    return np.stack(rows, axis=-1), np.stack(signs, axis=-1)


def tableau_from_unitaries(us, n):
    """Rows and signs of the Cliffords ``us`` (shape ``(k, d, d)``): ``U g U^dag``."""
    us = np.asarray(us, dtype=complex)
    d = 2 ** n
    paulis = np.array([pauli_matrix(v, n) for v in range(4 ** n)])
    rows = np.empty((len(us), 2 * n), dtype=np.int64)
    signs = np.empty((len(us), 2 * n), dtype=np.int64)
    for r in range(2 * n):
        m = us @ paulis[1 << r] @ us.conj().transpose(0, 2, 1)
        overlap = np.einsum("pij,kji->kp", paulis, m).real / d  # tr(P m) / d = +-1 once
        best = np.argmax(np.abs(overlap), axis=1)
        value = overlap[np.arange(len(us)), best]
        if not np.allclose(np.abs(value), 1, atol=1e-9):
            raise ValueError("not a Clifford unitary")
        rows[:, r] = best
        signs[:, r] = value < 0
    return rows, signs


def rotation_matrix(axis, quarters):
    """The 2×2 unitary of ``r_axis`` (``axis`` one of ``x``, ``y``, ``z``) by ``quarters``
    quarter turns (π/2 each)."""
    theta = quarters * np.pi / 2
    return (np.cos(theta / 2) * np.eye(2)
            - 1j * np.sin(theta / 2) * pauli_matrix({"x": 1, "y": 3, "z": 2}[axis], 1))


def rxx_matrix(theta=np.pi / 2):
    """The 4×4 unitary exp(-i θ/2 X⊗X), ``theta`` in radians; the default is the
    entangler the two-qubit tables decompose with."""
    xx = pauli_matrix(0b11, 2)
    return np.cos(theta / 2) * np.eye(4) - 1j * np.sin(theta / 2) * xx


# --- the group: symplectic matrices, indices, composition table -----------------------

class Group:
    """Index arithmetic for n-qubit Cliffords (n = 1, 2) built from the symplectic
    matrices alone; ``kernels.clifford`` has the same arithmetic over the saved tables."""

    def __init__(self, n, sym=None, table=None):
        self.n = n
        self.npauli = 4 ** n
        self.sym = enumerate_symplectic(n) if sym is None else np.asarray(sym, np.int64)
        self.nsym = len(self.sym)
        codes = self.code(self.sym)
        self.sym_index = np.full(1 << (2 * n * 2 * n), -1, dtype=np.int64)
        self.sym_index[codes] = np.arange(self.nsym)
        paulis = np.arange(self.npauli)
        # act[s, p]: Pauli p conjugated by C_s, i.e. the XOR of the rows p selects
        self.act = np.zeros((self.nsym, self.npauli), dtype=np.int64)
        for r in range(2 * n):
            self.act ^= self.sym[:, r, None] * _bit(paulis, r)[None, :]
        # signs of C_s followed by Pauli p: row r flips where it anticommutes with p
        flips = symplectic_product(self.sym[:, None, :], paulis[None, :, None], n)
        sign_code = (flips << np.arange(2 * n)).sum(axis=-1)  # (nsym, npauli)
        self.pauli_of_signs = np.empty_like(sign_code)
        self.pauli_of_signs[np.arange(self.nsym)[:, None], sign_code] = paulis[None, :]
        self.table = self._make_table() if table is None else np.asarray(table, np.int64)

    def code(self, rows):
        """One integer per symplectic matrix, its rows ``(..., 2n)`` packed 2n bits each:
        the key of ``sym_index``."""
        return (np.asarray(rows, np.int64) << (2 * self.n * np.arange(2 * self.n))).sum(-1)

    def index(self, rows, signs):
        """Clifford index of tableaux (rows, signs), arrays ``(..., 2n)``."""
        s = self.sym_index[self.code(rows)]
        if np.any(s < 0):
            raise ValueError("not a symplectic tableau")
        sign_code = (np.asarray(signs, np.int64) << np.arange(2 * self.n)).sum(-1)
        return s * self.npauli + self.pauli_of_signs[s, sign_code]

    def tableau(self, c):
        """(rows, signs) of Clifford indices ``c``."""
        s, p = np.divmod(np.asarray(c, np.int64), self.npauli)
        rows = self.sym[s]
        return rows, symplectic_product(rows, p[..., None], self.n)

    def _make_table(self):
        rows = self.sym
        zeros = np.zeros_like(rows)
        r3, s3 = compose_tableaux(rows[:, None, :], zeros[:, None, :],
                                  rows[None, :, :], zeros[None, :, :], self.n)
        return self.index(r3, s3)

    def compose(self, a, b):
        """Index of ``a`` followed by ``b``, elementwise, by the rule in the module
        docstring."""
        sa, pa = np.divmod(np.asarray(a, np.int64), self.npauli)
        sb, pb = np.divmod(np.asarray(b, np.int64), self.npauli)
        return self.table[sa, sb] ^ self.act[sb, pa] ^ pb

    def from_unitaries(self, us):
        """Clifford indices of unitaries ``us``, shape ``(..., 2**n, 2**n)``; a
        ``ValueError`` for one that is not a Clifford."""
        return self.index(*tableau_from_unitaries(us, self.n))


def enumerate_symplectic(n):
    """All symplectic matrices as rows (images of X_0.., Z_0..), identity first, then
    in increasing order of their row code."""
    m = 2 * n
    cand = np.array(list(itertools.product(range(1, 4 ** n), repeat=m)), dtype=np.int64)
    ok = np.ones(len(cand), dtype=bool)
    for i, j in itertools.combinations(range(m), 2):
        want = 1 if j == i + n and i < n else 0  # only X_k, Z_k anticommute
        ok &= symplectic_product(cand[:, i], cand[:, j], n) == want
    sym = cand[ok]
    identity = 1 << np.arange(m)
    codes = (sym << (m * np.arange(m))).sum(-1)
    is_id = np.all(sym == identity, axis=1)
    return sym[np.lexsort((codes, ~is_id))]


# --- decompositions --------------------------------------------------------------------

def rotation_cost(seq):
    """Sort key among equally short rotation sequences: fewest x/y pulses (z is often
    virtual), then fewest x/y quarter turns (a pi pulse takes twice as long)."""
    xy = [q for a, q in seq if a != "z"]
    return (len(seq), len(xy), sum(abs(q) for q in xy))


def decompose_1q(group):
    """Per 1-qubit index, the cheapest sequence of at most 2 rotations, as
    ``(axis, quarters)`` arrays ``(24, 2)`` padded with -1 / 0, and its cost."""
    singles = [(a, q) for a in "zxy" for q in QUARTERS]
    seqs = [()] + [(g,) for g in singles] + list(itertools.product(singles, repeat=2))
    us = []
    for seq in seqs:
        u = np.eye(2, dtype=complex)
        for a, q in seq:
            u = rotation_matrix(a, q) @ u  # time order: later gates multiply on the left
        us.append(u)
    idx = group.from_unitaries(np.array(us))
    best = {}
    for i, seq in zip(idx, seqs):
        if i not in best or rotation_cost(seq) < rotation_cost(best[i]):
            best[int(i)] = seq
    if len(best) != 24:
        raise AssertionError("1-qubit rotation search found {} of 24".format(len(best)))
    axis = np.full((24, 2), -1, dtype=np.int8)
    quarters = np.zeros((24, 2), dtype=np.int8)
    for i, seq in best.items():
        for k, (a, q) in enumerate(seq):
            axis[i, k] = AXES.index(a)
            quarters[i, k] = q
    return axis, quarters


def unitaries_1q(axis, quarters):
    """The unitary of each row of ``decompose_1q``'s ``(axis, quarters)`` arrays (-1
    padding skipped), shape ``(len(axis), 2, 2)``."""
    out = []
    for ax, qs in zip(axis, quarters):
        u = np.eye(2, dtype=complex)
        for a, q in zip(ax, qs):
            if a >= 0:
                u = rotation_matrix(AXES[a], q) @ u
        out.append(u)
    return np.array(out)


def local_2q(group2, u1):
    """local[a, b]: the 2-qubit index of 1-qubit Clifford a on qubit 0 and b on qubit 1."""
    us = np.einsum("bij,akl->abikjl", u1, u1).reshape(24, 24, 4, 4)  # kron(u_b, u_a)
    return group2.from_unitaries(us.reshape(-1, 4, 4)).reshape(24, 24)


def decompose_2q(group2, local, entangler, cost1):
    """Layered form of every 2-qubit Clifford with the fewest entanglers, then the
    cheapest 1-qubit layers: ``layers[c] = [(a0, b0), .., (ak, bk)]`` meaning
    layer 0, entangler, layer 1, .., entangler, layer k (time order), padded with -1.

    Dynamic programming over the entangler count k: an element first reached with k
    entanglers is (an element needing k - 1) + entangler + a local layer, and keeping
    the cheapest such split per element is exact because prefixes need k - 1 too."""
    total = group2.nsym * group2.npauli
    flat_local = local.ravel()
    layer_cost = (cost1[:, None] + cost1[None, :]).ravel()
    layers = np.full((total, 4, 2), -1, dtype=np.int8)
    count = np.full(total, -1, dtype=np.int8)
    cost = np.zeros(total, dtype=np.int64)
    layers[flat_local, 0] = np.stack(np.divmod(np.arange(576), 24), axis=-1)
    count[flat_local] = 0
    cost[flat_local] = layer_cost
    for k in range(1, 4):
        prev = np.flatnonzero(count == k - 1)
        after = group2.compose(prev, entangler)
        reached = group2.compose(after[:, None], flat_local[None, :]).ravel()
        c = (cost[prev][:, None] + layer_cost[None, :]).ravel()
        order = np.argsort(c, kind="stable")
        found, first = np.unique(reached[order], return_index=True)
        pick = order[first][count[found] < 0]
        found = found[count[found] < 0]
        src, lay = np.divmod(pick, 576)
        layers[found] = layers[prev[src]]
        layers[found, k] = np.stack(np.divmod(lay, 24), axis=-1)
        count[found] = k
        cost[found] = c[pick]
    if np.any(count < 0):
        raise AssertionError("{} Cliffords need more than 3 entanglers".format(
            np.sum(count < 0)))
    return layers, count


def build_tables():
    """All tables as a dict of arrays (what the npz holds)."""
    g1 = Group(1)
    g2 = Group(2)
    axis1, quarters1 = decompose_1q(g1)
    cost1 = np.array([16 * np.sum((a >= 0) & (a != 2)) + np.sum(a >= 0) for a in axis1])
    local = local_2q(g2, unitaries_1q(axis1, quarters1))
    entangler = int(g2.from_unitaries(rxx_matrix()[None])[0])
    layers2, count2 = decompose_2q(g2, local, entangler, cost1)
    return {
        "version": np.array(VERSION),
        "sym1": g1.sym.astype(np.uint8), "table1": g1.table.astype(np.int16),
        "rot1_axis": axis1, "rot1_quarters": quarters1,
        "sym2": g2.sym.astype(np.uint8), "table2": g2.table.astype(np.int16),
        "local2": local.astype(np.int16), "entangler2": np.array(entangler),
        "layers2": layers2, "n_entanglers2": count2,
    }


def save_tables(tables, path=None):
    """Write ``tables`` (``build_tables()``) as a compressed npz, by default where
    ``kernels.clifford`` loads it; returns the path."""
    path = PATH if path is None else Path(path)
    np.savez_compressed(path, **tables)
    return path


if __name__ == "__main__":
    import time
    t0 = time.perf_counter()
    out = save_tables(build_tables())
    print("wrote {} ({:.0f} kB) in {:.2f} s".format(
        out, out.stat().st_size / 1e3, time.perf_counter() - t0))
