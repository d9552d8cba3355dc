"""Gate sequences as flat int32 opcode arrays, the form portable kernels play them in.

One int32 per native gate: ``kind | qubit0 << 4 | qubit1 << 8 | param << 12``, where
``param`` indexes a table of (theta, phi) angles sent with the sequence. Kernels decode a
word with three shifts and masks and call the HAL operation: no per-gate allocation, no
RPC, and the angle tables are kernel invariants.
"""
import math
from typing import SupportsInt

import numpy as np
import numpy.typing as npt

__all__ = ["RPHI", "RZ", "RXX", "KIND_NAMES", "AngleTable", "encode", "decode"]

RPHI = 1
RZ = 2
RXX = 3
KIND_NAMES = {RPHI: "rphi", RZ: "rz", RXX: "rxx"}
KIND_OF = {v: k for k, v in KIND_NAMES.items()}

MAX_QUBITS = 16
MAX_PARAMS = 1 << 19


class AngleTable:
    """Distinct (theta, phi) pairs, indexed; angles are rounded to 1e-12 rad so equal
    angles share an entry."""

    def __init__(self) -> None:
        self.index: dict[tuple[float, float], int] = {}
        self.thetas: list[float] = []
        self.phis: list[float] = []

    def add(self, theta: float, phi: float = 0.0) -> int:
        """The index of the pair (radians; ``phi`` taken modulo 2π), added if new; a
        ``ValueError`` past ``MAX_PARAMS`` pairs (the most an opcode's param indexes)."""
        key = (round(float(theta), 12), round(float(phi) % (2 * math.pi), 12))
        found = self.index.get(key)
        if found is None:
            found = len(self.thetas)
            if found >= MAX_PARAMS:
                raise ValueError("more than {} distinct angles in one sequence set".format(
                    MAX_PARAMS))
            self.index[key] = found
            self.thetas.append(key[0])
            self.phis.append(key[1])
        return found

    def arrays(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """``(thetas, phis)``, the kernel's float64 angle tables; ``[0.0]`` each while the
        table is empty."""
        return (np.array(self.thetas or [0.0], dtype=np.float64),
                np.array(self.phis or [0.0], dtype=np.float64))


def encode(kind: int, qubit0: int, qubit1: int = 0, param: int = 0) -> int:
    """One opcode word, ``kind | qubit0 << 4 | qubit1 << 8 | param << 12``; a
    ``ValueError`` for an unknown kind or a qubit outside 0..15."""
    if kind not in KIND_NAMES:
        raise ValueError("unknown gate kind {}".format(kind))
    if not (0 <= qubit0 < MAX_QUBITS and 0 <= qubit1 < MAX_QUBITS):
        raise ValueError("qubit index out of range: {}, {}".format(qubit0, qubit1))
    return kind | (qubit0 << 4) | (qubit1 << 8) | (param << 12)


def decode(word: SupportsInt) -> tuple[int, int, int, int]:
    """``(kind, qubit0, qubit1, param)`` of one opcode word: ``encode`` undone."""
    word = int(word)
    return word & 0xF, (word >> 4) & 0xF, (word >> 8) & 0xF, word >> 12
