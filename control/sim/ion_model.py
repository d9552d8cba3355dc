"""A physical model of a few trapped-ion qubits, driven by the recorded signal events.

The model never sees a kernel: it reads the same time-ordered output events that go to the
VCD file (beam switches, DDS frequency/phase/amplitude, attenuators) and turns them into
physics, so a wrong frequency or a missing switch in a driver shows up as wrong physics.

State: the state vector of ``qubits`` qubits (1 to 5), qubit 0 the least significant bit
(qiskit's order), as one quantum trajectory: every noise channel (depolarizing, dephasing,
pumping with its preparation error) and every measurement is unravelled into random Pauli
jumps and projections drawn from the seeded generator, so each shot's outcomes have exactly
the distribution the density matrix would give, at the cost of a pure state (at most 32
amplitudes, kept as Python complex numbers: faster than numpy at these sizes). Time starts
at 0 mu; the model's frame rotates at each beam's resonance.

Beams (``beams`` in the config; ``kind`` says what a beam does while its light is on).
``dds`` lists a beam's DDS channels and ``switch`` their RF-switch TTLs (``switch[i]``
gates ``dds[i]``, OR-ed with the Urukul ``cfg_sw`` bit, as the Urukul hardware does); a
beam without DDS (a repumper on a TTL) is on while all its ``switch`` TTLs are:

* ``rotation`` — a single-qubit drive of ``qubits``. Rabi frequency
  ``rabi_hz * amplitude * 10**(-attenuation/20)``; axis from the DDS phase (turns);
  detuning = DDS frequency − ``resonance_hz`` (+ the error ``detuning_hz``); ``resonance_hz``
  is one value or one per qubit (ions split by a field gradient, addressed by frequency). The DDS phase is
  continuous (AD9910/AD9912 default), so a detuned drive's phase advances with lab time and
  Ramsey fringes oscillate at the detuning.
* ``ms`` — a bichromatic Mølmer–Sørensen drive of a qubit pair from two DDS channels
  (``dds: [red, blue]``): while both tones are on, ``exp(-i θ/2 · S_φ ⊗ S_φ)`` with
  ``θ = ms_rate * (a_red a_blue) * duration`` (rad/s at full amplitude) and ``φ`` the mean of
  the two tones' phases. With ``carrier_hz``, ``sideband_hz`` and ``detuning_hz`` the tones
  must sit at carrier ∓ (sideband + detuning): off-centre tones entangle nothing, another
  detuning scales θ. The motional mode is not simulated otherwise: a gate of the calibrated
  duration and tones is ideal up to the configured errors.
* ``pump`` — optical pumping (with repumpers): while on for at least ``min_time``, resets its
  qubits to |0> (to |1> with probability ``prep_error``).
* ``detection`` — the detection light: ions scatter photons only while it is on.
* ``cooling`` — Doppler cooling: no effect on the qubit state.

Detectors (``detectors``: device name → ``{"qubit": q, "beam": name, "bright_rate": Hz,
"dark_rate": Hz, "bright_state": 0|1}``) answer ``counts(device, t0, t1)``: the qubit is
measured projectively (the state collapses), and the count is Poisson with the bright or
dark rate times the detection light's time on in the window (dark counts over the whole
window).

Errors (``errors``): ``over_rotation`` (fractional, every rotation and MS angle),
``detuning_hz``, ``depolarizing`` (probability per single-qubit pulse of replacing the
state of each qubit it drives, within ten Rabi frequencies of resonance, by the fully
mixed one: a uniformly random I, X, Y or Z), ``depolarizing_2q`` (per MS pulse, on the
pair: one of the 16 two-qubit Paulis),
``t2`` (s, pure dephasing between events, a Z with probability (1 - exp(-t/t2))/2; 0 or
absent = none), ``prep_error``.
Seeded from the simulation: the same seed gives the same counts.
"""
import cmath
import math
import random
from collections import deque

import numpy as np

__all__ = ["IonModel", "ModelConfigError"]

BEAM_KINDS = ("rotation", "ms", "pump", "detection", "cooling")
TWO_PI = 2 * math.pi

# What a routed signal changes on a beam (small ints: the event loop compares them).
FREQUENCY, PHASE, AMPLITUDE, ATTENUATION, SWITCH, CFG_SW = range(6)
_DDS_FIELDS = {"frequency": FREQUENCY, "phase": PHASE, "amplitude": AMPLITUDE,
               "attenuation": ATTENUATION, "cfg_sw": CFG_SW}


class ModelConfigError(ValueError):
    """An ion-model configuration that cannot describe a trap."""


def _pulse_unitary(omega, delta, phi, duration):
    """Rz(δ T) · exp(-i H T) for H = Ω/2 (cos φ X + sin φ Y) − δ/2 Z, as four scalars
    (u00, u01, u10, u11): the pulse in the qubit frame for a pulse starting at time 0.
    A pulse starting at t0 is this conjugated by Rz(δ t0) (see ``IonModel._rotate``)."""
    w = math.hypot(omega, delta)
    half = 0.5 * w * duration
    c = math.cos(half)
    s = math.sin(half) / w if w else 0.0
    # exp(-i H T) = c I - i s (Ω cos φ X + Ω sin φ Y − δ Z)
    off = omega * cmath.exp(1j * phi)          # Ω (cos φ + i sin φ)
    a = cmath.exp(-0.5j * delta * duration)    # Rz(δ T) = diag(a, 1/a)
    return (a * (c + 1j * s * delta), a * (-1j * s * off.conjugate()),
            (-1j * s * off) / a, (c - 1j * s * delta) / a)


class _Beam:
    def __init__(self, name, cfg):
        self.name = name
        self.kind = cfg.get("kind")
        if self.kind not in BEAM_KINDS:
            raise ModelConfigError("beam {!r}: kind must be one of {}, not {!r}".format(
                name, ", ".join(BEAM_KINDS), self.kind))
        dds = cfg.get("dds", [])
        self.dds = [dds] if isinstance(dds, str) else list(dds)
        sw = cfg.get("switch", [])
        self.switches = [sw] if isinstance(sw, str) else list(sw)
        self.qubits = list(cfg.get("qubits", []))
        res = cfg.get("resonance_hz", 0.0)
        # One resonance for all addressed qubits, or one each (ions split by a gradient).
        self.resonance_hz = [float(r) for r in res] if isinstance(res, (list, tuple)) \
            else [float(res)] * len(self.qubits)
        if len(self.resonance_hz) != len(self.qubits):
            raise ModelConfigError("beam {!r}: {} resonances for {} qubits".format(
                name, len(self.resonance_hz), len(self.qubits)))
        self.carrier_hz = cfg.get("carrier_hz")
        self.sideband_hz = float(cfg.get("sideband_hz", 0.0))
        self.detuning_hz = float(cfg.get("detuning_hz", 0.0))
        self.tolerance_hz = float(cfg.get("tolerance_hz", 1e3))
        self.rabi_hz = float(cfg.get("rabi_hz", 0.0))
        self.ms_rate = float(cfg.get("ms_rate", 0.0))
        self.min_time = float(cfg.get("min_time", 0.0))
        if self.kind == "ms" and (len(self.dds) != 2 or len(self.qubits) != 2):
            raise ModelConfigError("MS beam {!r} needs two DDS tones and two qubits".format(name))
        if self.kind == "rotation" and len(self.dds) != 1:
            raise ModelConfigError("rotation beam {!r} needs one DDS channel".format(name))
        if not self.switches and not self.dds:
            raise ModelConfigError("beam {!r} has neither switch nor DDS".format(name))
        # live state; params[FREQUENCY..ATTENUATION][i] belong to tone i
        n = len(self.dds)
        self.freq, self.phase = [0.0] * n, [0.0] * n
        self.amp, self.att = [1.0] * n, [0.0] * n
        self.params = (self.freq, self.phase, self.amp, self.att)
        self.switch_on = [False] * len(self.switches)
        self.cfg_sw = [False] * n
        self.on = False
        self.on_since = None
        self.history = deque(maxlen=64)  # recent (t_on, t_off) segments, for detection

    def is_on(self):
        """Light reaches the ions: every tone's RF switch is on (its TTL ``switch[i]`` OR
        its Urukul ``cfg_sw`` bit); a beam without DDS needs all its switch TTLs on."""
        if not self.dds:
            return all(self.switch_on)
        for i in range(len(self.dds)):
            ttl = self.switch_on[i] if i < len(self.switches) else False
            if not (ttl or self.cfg_sw[i]):
                return False
        return True

    def amplitude(self, i=0):
        att = self.att[i]
        return self.amp[i] * 10 ** (-att / 20.0) if att else self.amp[i]


class IonModel:
    """The ion model of one simulation (see the module docstring for the config)."""

    def __init__(self, qubits=2, beams=None, detectors=None, errors=None, rng=None,
                 ref_period=1e-9):
        if not 1 <= qubits <= 5:
            raise ModelConfigError("the ion model holds 1 to 5 qubits, not {}".format(qubits))
        self.n = qubits
        self.dim = 2 ** qubits
        self.ref_period = ref_period
        self.rng = rng if rng is not None else np.random.default_rng(0)
        # Trajectory jumps are drawn per pulse: Python's generator (seeded from ``rng``)
        # costs a tenth of numpy's per scalar draw.
        self._random = random.Random(int(self.rng.integers(2 ** 63))).random
        self.errors = dict(errors or {})
        unknown = set(self.errors) - {"over_rotation", "detuning_hz", "depolarizing",
                                      "depolarizing_2q", "t2", "prep_error"}
        if unknown:
            raise ModelConfigError("unknown error kind(s): {}".format(", ".join(sorted(unknown))))
        self._over = 1.0 + float(self.errors.get("over_rotation", 0.0))
        self._detuning = float(self.errors.get("detuning_hz", 0.0))
        self._p1 = float(self.errors.get("depolarizing", 0.0))
        self._p2 = float(self.errors.get("depolarizing_2q", 0.0))
        self._t2 = float(self.errors.get("t2") or 0.0)
        self._prep_error = float(self.errors.get("prep_error", 0.0))
        self.beams = {name: _Beam(name, cfg) for name, cfg in (beams or {}).items()}
        for beam in self.beams.values():
            for q in beam.qubits:
                if not 0 <= q < self.n:
                    raise ModelConfigError("beam {!r} addresses qubit {} of {}".format(
                        beam.name, q, self.n))
        self.detectors = {}
        for device, cfg in (detectors or {}).items():
            beam = cfg.get("beam")
            if beam not in self.beams or self.beams[beam].kind != "detection":
                raise ModelConfigError("detector {!r} needs a detection beam, not {!r}".format(
                    device, beam))
            if not 0 <= cfg.get("qubit", -1) < self.n:
                raise ModelConfigError("detector {!r} watches no valid qubit".format(device))
            self.detectors[device] = dict(cfg)
        self.psi = [0j] * self.dim
        self.psi[0] = 1 + 0j
        # (i, i with bit q set) for every i with bit q clear: the pairs a 1-qubit gate mixes
        self._pairs = [[(i, i | (1 << q)) for i in range(self.dim) if not i & (1 << q)]
                       for q in range(self.n)]
        self._unitaries = {}  # (Ω, δ, φ, T) -> pulse unitary at t0 = 0
        self.t_state = 0  # time (mu) the state has been evolved to (for dephasing)
        self._routes = {}  # (device, signal) -> list of (beam, field, index)
        for beam in self.beams.values():
            for i, dev in enumerate(beam.switches):
                self._routes.setdefault((dev, "state"), []).append((beam, SWITCH, i))
            for i, dev in enumerate(beam.dds):
                for name, field in _DDS_FIELDS.items():
                    self._routes.setdefault((dev, name), []).append((beam, field, i))
        self._sid_routes = []  # signal id -> its routes (a list index is the fastest map)
        self._wanted = np.zeros(0, dtype=bool)  # signal id -> has routes
        self._recorder = None
        self.pulses_applied = 0

    @classmethod
    def from_config(cls, config, simulation):
        model = cls(qubits=config.get("qubits", 2), beams=config.get("beams"),
                    detectors=config.get("detectors"), errors=config.get("errors"),
                    rng=np.random.default_rng([simulation.seed, 1]),
                    ref_period=simulation.ref_period)
        simulation.recorder.subscribers.append(model.on_events)
        model._recorder = simulation.recorder
        return model

    # ---- events

    def _learn_signals(self):
        signals = self._recorder.signals
        for sig in signals[len(self._sid_routes):]:
            self._sid_routes.append(self._routes.get((sig.device, sig.name), ()))
        self._wanted = np.array([bool(r) for r in self._sid_routes], dtype=bool)

    def on_events(self, t, s, v):
        """Recorder callback: time-ordered arrays of released events."""
        if len(self._sid_routes) < len(self._recorder.signals):
            self._learn_signals()
        sel = self._wanted[s]
        routes = self._sid_routes
        for ti, si, vi in zip(t[sel].tolist(), s[sel].tolist(), v[sel].tolist()):
            for beam, field, i in routes[si]:
                if field < SWITCH:  # a DDS parameter (inline: most events are these)
                    values = beam.params[field]
                    if values[i] != vi:
                        if beam.on:
                            self._close(beam, ti)  # end one segment, start another
                        values[i] = vi
                else:
                    self._switch(beam, field, i, vi, ti)

    def _switch(self, beam, field, i, value, t):
        flags = beam.switch_on if field == SWITCH else beam.cfg_sw
        flag = value != 0
        if flags[i] == flag:
            return
        flags[i] = flag
        now_on = beam.is_on()
        if beam.on and not now_on:
            self._close(beam, t)
            beam.on_since = None
        elif now_on and not beam.on:
            beam.on_since = t
        beam.on = now_on

    def _close(self, beam, t):
        t0 = beam.on_since
        if t0 is None or t <= t0:
            beam.on_since = t
            return
        beam.history.append((t0, t))
        self._apply_segment(beam, t0, t)
        beam.on_since = t

    # ---- the state: 1-qubit gates, Paulis, projections

    def _apply_1q(self, u00, u01, u10, u11, q):
        psi = self.psi
        for i, j in self._pairs[q]:
            a, b = psi[i], psi[j]
            psi[i] = u00 * a + u01 * b
            psi[j] = u10 * a + u11 * b

    def _pauli(self, k, q):
        """Apply I, X, Y or Z (k = 0..3) to qubit q."""
        if k == 0:
            return
        psi = self.psi
        for i, j in self._pairs[q]:
            a, b = psi[i], psi[j]
            if k == 1:
                psi[i], psi[j] = b, a
            elif k == 2:  # Y = [[0, -i], [i, 0]]
                psi[i], psi[j] = -1j * b, 1j * a
            else:
                psi[j] = -b

    def _depolarize(self, qubits, p):
        """ρ → (1-p) ρ + p I/2 ⊗ Tr_q ρ on each qubit: with probability p, a uniformly
        random Pauli (the identity included)."""
        if p <= 0:
            return
        rand = self._random
        for q in qubits:
            if rand() < p:
                self._pauli(int(rand() * 4), q)

    def _probability_1(self, q):
        psi = self.psi
        p = 0.0
        for _, j in self._pairs[q]:
            c = psi[j]
            p += c.real * c.real + c.imag * c.imag
        return min(1.0, p)

    def _project(self, q, outcome):
        """Collapse qubit q onto ``outcome`` and renormalise."""
        psi = self.psi
        kept = 0.0
        for i, j in self._pairs[q]:
            if outcome:
                psi[i] = 0j
                c = psi[j]
            else:
                psi[j] = 0j
                c = psi[i]
            kept += c.real * c.real + c.imag * c.imag
        if kept > 0:
            norm = 1 / math.sqrt(kept)
            self.psi = [c * norm for c in psi]

    def _evolve_to(self, t):
        """Pure dephasing for the time since the last update: on each qubit, a Z with
        probability (1 - e^(-Δt/T2)) / 2 (coherences shrink by e^(-Δt/T2))."""
        if t > self.t_state and self._t2 > 0:
            p = 0.5 * (1 - math.exp(-(t - self.t_state) * self.ref_period / self._t2))
            for q in range(self.n):
                if self._random() < p:
                    self._pauli(3, q)
        self.t_state = max(self.t_state, t)

    # ---- physics

    def _rotate(self, omega, delta, phi, t0_s, duration, q):
        """A pulse from t0_s (s) on qubit q. Drive phase in the qubit frame is φ + δ t
        (continuous DDS phase): U = Rz(δ t0) · [Rz(δ T) exp(-i H T)] · Rz(-δ t0)."""
        key = (omega, delta, phi, duration)
        u = self._unitaries.get(key)
        if u is None:
            if len(self._unitaries) > 4096:
                self._unitaries.clear()
            u = self._unitaries[key] = _pulse_unitary(omega, delta, phi, duration)
        u00, u01, u10, u11 = u
        if delta:
            e = cmath.exp(1j * delta * t0_s)
            u01, u10 = u01 / e, u10 * e
        self._apply_1q(u00, u01, u10, u11, q)

    def _ms(self, theta, phi, q0, q1):
        """exp(-i θ/2 S⊗S), S = cos φ X + sin φ Y: S|0> = e^{iφ}|1>, S|1> = e^{-iφ}|0>."""
        c, s = math.cos(theta / 2), math.sin(theta / 2)
        up, down = cmath.exp(1j * phi), cmath.exp(-1j * phi)
        mask = (1 << q0) | (1 << q1)
        psi = self.psi
        new = [0j] * self.dim
        for i in range(self.dim):
            j = i ^ mask
            ph = (down if i & (1 << q0) else up) * (down if i & (1 << q1) else up)
            new[j] += -1j * s * ph * psi[i]
            new[i] += c * psi[i]
        self.psi = new

    def _apply_segment(self, beam, t0, t1):
        if self._t2 > 0:
            self._evolve_to(t0)
        period = self.ref_period
        duration = (t1 - t0) * period
        if beam.kind == "rotation":
            omega = TWO_PI * beam.rabi_hz * beam.amplitude(0) * self._over
            phi = TWO_PI * beam.phase[0]
            drive = beam.freq[0] + self._detuning
            t0_s = t0 * period
            addressed = []
            for q, resonance in zip(beam.qubits, beam.resonance_hz):
                delta = TWO_PI * (drive - resonance)
                self._rotate(omega, delta, phi, t0_s, duration, q)
                if abs(delta) <= 10 * omega:
                    addressed.append(q)
            # The gate error belongs to the qubits the pulse drives, not to a spectator
            # far off resonance (which only sees the exact off-resonant unitary above).
            if self._p1 > 0:
                self._depolarize(addressed, self._p1)
            self.pulses_applied += 1
        elif beam.kind == "ms":
            theta = beam.ms_rate * beam.amplitude(0) * beam.amplitude(1) * duration * self._over
            theta *= self._ms_tuning(beam)
            phi = math.pi * (beam.phase[0] + beam.phase[1])  # mean phase, in radians
            q0, q1 = beam.qubits
            self._ms(theta, phi, q0, q1)
            # Two-qubit depolarizing: (1-p) ρ + p/16 Σ P ρ P over the 16 Paulis of the pair.
            if self._p2 > 0 and self._random() < self._p2:
                k = int(self._random() * 16)
                self._pauli(k & 3, q0)
                self._pauli(k >> 2, q1)
            self.pulses_applied += 1
        elif beam.kind == "pump":
            if duration >= beam.min_time:
                for q in beam.qubits:
                    self._reset(q, self._prep_error)
        self.t_state = max(self.t_state, t1)

    @staticmethod
    def _ms_tuning(beam):
        """How much of the calibrated interaction the tones' frequencies give.

        With ``carrier_hz`` configured: tones not centred on the carrier (beyond
        ``tolerance_hz``) drive no MS interaction; a detuning δ' from the sideband other
        than the calibrated δ scales the angle by δ/δ' (θ ∝ η²Ω²T/δ). The residual
        spin-motion entanglement of a mistuned gate is not modelled.
        """
        if beam.carrier_hz is None:
            return 1.0
        red, blue = beam.freq
        if abs((red + blue) / 2 - beam.carrier_hz) > beam.tolerance_hz:
            return 0.0
        actual = (blue - red) / 2 - beam.sideband_hz
        if abs(actual) < 1.0 or beam.detuning_hz == 0:
            return 0.0
        return beam.detuning_hz / actual

    def _reset(self, q, prep_error):
        """Trace out qubit q and replace it with |0> (|1> with probability prep_error):
        measure it, flip a 1 back to 0, then flip with probability ``prep_error``."""
        flip = self.measure(q)
        if self._random() < prep_error:
            flip ^= 1
        if flip:
            self._pauli(1, q)

    # ---- readout

    def populations(self):
        """Probabilities of each basis state in this trajectory (index = bitstring, qubit 0
        least significant)."""
        return np.clip(np.abs(np.array(self.psi)) ** 2, 0.0, 1.0)

    def measure(self, q):
        """Projective Z measurement of qubit q: returns 0 or 1 and collapses the state."""
        outcome = int(self._random() < self._probability_1(q))
        self._project(q, outcome)
        return outcome

    def light_on_time(self, beam, t0, t1):
        """Seconds that ``beam`` was on within [t0, t1] mu."""
        total = 0
        for a, b in reversed(beam.history):  # newest first: stop at the first one before t0
            if b <= t0:
                break
            total += max(0, min(b, t1) - max(a, t0))
        if beam.on_since is not None:
            total += max(0, t1 - max(beam.on_since, t0))
        return total * self.ref_period

    def counts(self, device, t0, t1):
        """Photon counts that ``device`` registers in the gate window [t0, t1] mu."""
        cfg = self.detectors.get(device)
        if cfg is None:
            return int(self.rng.poisson(0.0))
        self._evolve_to(t0)
        beam = self.beams[cfg["beam"]]
        light = self.light_on_time(beam, t0, t1)
        window = max(0, t1 - t0) * self.ref_period
        dark = cfg.get("dark_rate", 0.0) * window
        if light <= 0:
            return int(self.rng.poisson(dark))
        state = self.measure(cfg["qubit"])
        bright = state == cfg.get("bright_state", 1)
        mean = dark + (cfg.get("bright_rate", 0.0) * light if bright else 0.0)
        return int(self.rng.poisson(mean))
