"""Host-only description of a trap's native gates, for compilers of gate sequences.

A trap publishes which rotations it does natively and how long each takes; the RB and
circuit compilers turn Cliffords and circuits into those gates and nothing else, and can
predict a sequence's duration before it runs.
"""
from dataclasses import dataclass, field
from numbers import Integral

__all__ = ["NativeGate", "NativeGateSet"]

# The kinds of native operation a compiler knows how to target.
KINDS = {
    "rphi": 1,  # rotation by theta about an axis at angle phi in the xy plane
    "rz": 1,    # rotation about z (often virtual: a phase update, zero duration)
    "rxx": 2,   # Mølmer–Sørensen interaction exp(-i theta XX / 2)
    "cz": 2,    # controlled phase
}


@dataclass(frozen=True)
class NativeGate:
    """One native operation: its kind, the angles it supports and its duration.

    ``angles`` lists the rotation angles (radians) the trap does as one pulse, or is
    empty when any angle is allowed (the duration then scales with the angle from
    ``duration``, which is for an angle of pi/2); ``virtual`` marks a frame update that
    takes no time and has no error.

    ``frame_equalizing_pulses`` (two-qubit gates; 0 for none) is what the gate plays
    around itself on a trap with virtual ``rz``: the number of physical single-qubit
    pulses it adds, before the interaction, whenever its two qubits' virtual frames
    differ, after which both qubits share the first one's frame (an MS gate from a
    global beam gives both ions one spin phase, so it makes the frame difference
    physical on the second qubit first). The trap's operations set it; the RB compiler
    counts these pulses in a sequence's pulses and expected error. 0: the gate plays
    exactly itself, whatever the frames.
    """
    kind: str
    duration: float
    angles: tuple[float, ...] = ()
    virtual: bool = False
    frame_equalizing_pulses: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError("unknown native gate kind {!r}; known: {}".format(
                self.kind, ", ".join(sorted(KINDS))))
        if self.duration < 0:
            raise ValueError("native gate {!r} has a negative duration {} s".format(
                self.kind, self.duration))
        pulses = self.frame_equalizing_pulses
        if isinstance(pulses, bool) or not isinstance(pulses, Integral) or pulses < 0:
            raise ValueError("native gate {!r}: frame_equalizing_pulses is a count of "
                             "pulses, not {!r}".format(self.kind, pulses))
        if pulses and KINDS[self.kind] != 2:
            raise ValueError("native gate {!r} acts on one qubit: it has no frames to "
                             "equalize".format(self.kind))

    @property
    def num_qubits(self) -> int:
        """How many qubits the gate acts on (1 or 2), from its kind."""
        return KINDS[self.kind]


@dataclass(frozen=True)
class NativeGateSet:
    """The native gates of one trap, by kind."""
    gates: dict[str, NativeGate] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for kind, gate in self.gates.items():
            if kind != gate.kind:
                raise ValueError("native gate set maps {!r} to a {!r} gate".format(
                    kind, gate.kind))
        if "rphi" not in self.gates:
            raise ValueError("a native gate set needs an 'rphi' gate (single-qubit "
                             "rotations are universal with it and 'rz')")

    def __contains__(self, kind: object) -> bool:
        return kind in self.gates

    def __getitem__(self, kind: str) -> NativeGate:
        try:
            return self.gates[kind]
        except KeyError:
            raise KeyError("no native {!r} gate; this trap has: {}".format(
                kind, ", ".join(sorted(self.gates)))) from None

    @property
    def entangling(self) -> list[str]:
        """The kinds of two-qubit gate available."""
        return [k for k, g in self.gates.items() if g.num_qubits == 2]

    def duration(self, kind: str, angle: float | None = None) -> float:
        """Time of one ``kind`` gate (of ``angle`` when any angle is allowed)."""
        gate = self[kind]
        if gate.virtual:
            return 0.0
        if angle is None or gate.angles:
            return gate.duration
        return gate.duration * abs(angle) / (3.141592653589793 / 2)
