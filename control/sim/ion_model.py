"""A physical model of a few trapped-ion qubits, driven by the recorded signal events.

The model never sees a kernel: it reads the same time-ordered output events that go to the
VCD file (beam switches, DDS frequency/phase/amplitude, attenuators) and turns them into
physics, so a wrong frequency or a missing switch in a driver shows up as wrong physics.

State: a density matrix of ``qubits`` qubits (2 to 5), qubit 0 the least significant bit
(qiskit's order). Time starts at 0 mu; the model's frame rotates at each beam's resonance.

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
mixed one), ``depolarizing_2q`` (per MS pulse, on the pair),
``t2`` (s, pure dephasing between events; 0 or absent = none), ``prep_error``.
Seeded from the simulation: the same seed gives the same counts.
"""
import cmath
import math
from collections import deque

import numpy as np

__all__ = ["IonModel", "ModelConfigError"]

_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
_Z = np.array([[1, 0], [0, -1]], dtype=complex)
_I = np.eye(2, dtype=complex)

BEAM_KINDS = ("rotation", "ms", "pump", "detection", "cooling")


class ModelConfigError(ValueError):
    """An ion-model configuration that cannot describe a trap."""


def _pulse_unitary(omega, delta, phi, t0, t1):
    """Rz(δ t1) · exp(-i H (t1 - t0)) · Rz(-δ t0) as a 2x2 array, with
    H = Ω/2 (cos φ X + sin φ Y) − δ/2 Z; written out with scalars because it runs for
    every pulse and qubit (numpy's per-call overhead dominates on 2x2 matrices)."""
    w = math.hypot(omega, delta)
    half = 0.5 * w * (t1 - t0)
    c = math.cos(half)
    s = math.sin(half) / w if w else 0.0
    # exp(-i H T) = c I - i s (Ω cos φ X + Ω sin φ Y − δ Z)
    off = omega * cmath.exp(1j * phi)          # Ω (cos φ + i sin φ)
    d00 = c + 1j * s * delta
    d11 = c - 1j * s * delta
    d01 = -1j * s * off.conjugate()            # Ω (cos φ − i sin φ)
    d10 = -1j * s * off
    a1 = cmath.exp(-0.5j * delta * t1)         # Rz(δ t1) = diag(a1, 1/a1)
    a0 = cmath.exp(0.5j * delta * t0)          # Rz(-δ t0) = diag(a0, 1/a0)
    return np.array([[a1 * d00 * a0, a1 * d01 / a0],
                     [d10 * a0 / a1, d11 / (a1 * a0)]])


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
        # live state
        self.switch_on = [False] * len(self.switches)
        self.cfg_sw = [False] * len(self.dds)
        self.freq = [0.0] * len(self.dds)
        self.phase = [0.0] * len(self.dds)
        self.amp = [1.0] * len(self.dds)
        self.att = [0.0] * len(self.dds)
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
        return self.amp[i] * 10 ** (-self.att[i] / 20.0)


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
        self.errors = dict(errors or {})
        unknown = set(self.errors) - {"over_rotation", "detuning_hz", "depolarizing",
                                      "depolarizing_2q", "t2", "prep_error"}
        if unknown:
            raise ModelConfigError("unknown error kind(s): {}".format(", ".join(sorted(unknown))))
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
        self.rho = np.zeros((self.dim, self.dim), dtype=complex)
        self.rho[0, 0] = 1.0
        # Full-space operators, built once: |i><j| on one qubit (to embed 2x2 unitaries
        # with four multiply-adds instead of Kronecker products) and Paulis per qubit.
        self._embed = [[self._full({q: np.outer(np.eye(2)[i], np.eye(2)[j])})
                        for i in (0, 1) for j in (0, 1)] for q in range(self.n)]
        idx = np.arange(self.dim)
        # X on qubit q permutes the basis (flip its bit), Z multiplies by ±1: so
        # X ρ X, Z ρ Z and Y ρ Y = X (Z ρ Z) X are index permutations and sign masks.
        self._flip = [idx ^ (1 << q) for q in range(self.n)]
        signs = [np.where(idx & (1 << q), -1.0, 1.0) for q in range(self.n)]
        self._zz_mask = [np.outer(z, z) for z in signs]
        self._pair_paulis = {}
        self.t_state = 0  # time (mu) the state has been evolved to (for dephasing)
        self._routes = {}  # (device, signal) -> list of (beam, field, index)
        for beam in self.beams.values():
            for i, dev in enumerate(beam.switches):
                self._routes.setdefault((dev, "state"), []).append((beam, "switch", i))
            for i, dev in enumerate(beam.dds):
                for field in ("frequency", "phase", "amplitude", "attenuation", "cfg_sw"):
                    self._routes.setdefault((dev, field), []).append((beam, field, i))
        self._sid_routes = {}
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

    def _route(self, sid):
        routes = self._sid_routes.get(sid)
        if routes is None:
            sig = self._recorder.signals[sid]
            routes = self._routes.get((sig.device, sig.name), ())
            self._sid_routes[sid] = routes
        return routes

    def on_events(self, t, s, v):
        """Recorder callback: time-ordered arrays of released events."""
        for sid in np.unique(s):
            self._route(int(sid))
        relevant = [sid for sid, r in self._sid_routes.items() if r]
        if not relevant:
            return
        sel = np.isin(s, relevant)
        for ti, si, vi in zip(t[sel].tolist(), s[sel].tolist(), v[sel].tolist()):
            for beam, field, i in self._sid_routes[si]:
                self._update(beam, field, i, vi, ti)

    def _update(self, beam, field, i, value, t):
        was_on = beam.is_on()
        if was_on and field in ("frequency", "phase", "amplitude", "attenuation"):
            self._close(beam, t)  # parameters change: end one segment, start another
        if field == "switch":
            beam.switch_on[i] = bool(value)
        elif field == "cfg_sw":
            beam.cfg_sw[i] = bool(value)
        elif field == "frequency":
            beam.freq[i] = value
        elif field == "phase":
            beam.phase[i] = value
        elif field == "amplitude":
            beam.amp[i] = value
        elif field == "attenuation":
            beam.att[i] = value
        now_on = beam.is_on()
        if was_on and not now_on:
            self._close(beam, t)
            beam.on_since = None
        elif now_on and (not was_on or beam.on_since is None):
            beam.on_since = t

    def _close(self, beam, t):
        t0 = beam.on_since
        if t0 is None or t <= t0:
            beam.on_since = t
            return
        beam.history.append((t0, t))
        self._apply_segment(beam, t0, t)
        beam.on_since = t

    # ---- physics

    def _evolve_to(self, t):
        """Pure dephasing for the time since the last update."""
        t2 = self.errors.get("t2") or 0.0
        if t > self.t_state and t2 > 0:
            decay = math.exp(-(t - self.t_state) * self.ref_period / t2)
            for q in range(self.n):
                self._dephase(q, decay)
        self.t_state = max(self.t_state, t)

    def _dephase(self, q, factor):
        bit = 1 << q
        idx = np.arange(self.dim)
        differ = ((idx[:, None] ^ idx[None, :]) & bit) != 0
        self.rho[differ] *= factor

    def _full(self, factors):
        """The full-space operator with ``factors[q]`` on qubit q (identity elsewhere);
        qubit 0 is the least significant (last) Kronecker factor."""
        full = np.eye(1, dtype=complex)
        for k in range(self.n - 1, -1, -1):
            full = np.kron(full, factors.get(k, _I))
        return full

    def _apply_1q(self, u, q):
        e = self._embed[q]
        full = u[0, 0] * e[0] + u[0, 1] * e[1] + u[1, 0] * e[2] + u[1, 1] * e[3]
        self.rho = full @ self.rho @ full.conj().T

    def _apply_full(self, u):
        self.rho = u @ self.rho @ u.conj().T

    def _depolarize(self, qubits, p):
        if p <= 0:
            return
        for q in qubits:
            # ρ -> (1-p) ρ + p I/2 ⊗ Tr_q ρ = (1-3p/4)ρ + p/4 (XρX + YρY + ZρZ)
            rho = self.rho
            flip = self._flip[q]
            zrz = rho * self._zz_mask[q]
            flipped = (rho + zrz)[flip][:, flip]  # XρX + X(ZρZ)X = XρX + YρY
            self.rho = (1 - 0.75 * p) * rho + 0.25 * p * (flipped + zrz)

    def _depolarize_pair(self, pair, p):
        if p <= 0:
            return
        # Two-qubit depolarizing: (1-p) ρ + p/16 Σ_{P in Paulis^2} P ρ P (the 16 include I).
        key = tuple(pair)
        if key not in self._pair_paulis:
            self._pair_paulis[key] = [self._full({pair[0]: a, pair[1]: b})
                                      for a in (_I, _X, _Y, _Z) for b in (_I, _X, _Y, _Z)]
        rho = self.rho
        acc = (1 - p) * rho
        for full in self._pair_paulis[key]:
            acc += (p / 16) * (full @ rho @ full)
        self.rho = acc

    def _apply_segment(self, beam, t0, t1):
        self._evolve_to(t0)
        duration = (t1 - t0) * self.ref_period
        t0_s = t0 * self.ref_period
        t1_s = t1 * self.ref_period
        over = 1.0 + self.errors.get("over_rotation", 0.0)
        if beam.kind == "rotation":
            omega = 2 * math.pi * beam.rabi_hz * beam.amplitude(0) * over
            phi = 2 * math.pi * beam.phase[0]
            addressed = []
            for q, resonance in zip(beam.qubits, beam.resonance_hz):
                delta = 2 * math.pi * (beam.freq[0] - resonance
                                       + self.errors.get("detuning_hz", 0.0))
                # Drive phase in the qubit frame: φ + δ t (continuous DDS phase); move to
                # the drive's frame for the pulse and back: Rz(δ t1) exp(-i H T) Rz(-δ t0).
                self._apply_1q(_pulse_unitary(omega, delta, phi, t0_s, t1_s), q)
                if abs(delta) <= 10 * omega:
                    addressed.append(q)
            # The gate error belongs to the qubits the pulse drives, not to a spectator
            # far off resonance (which only sees the exact off-resonant unitary above).
            self._depolarize(addressed, self.errors.get("depolarizing", 0.0))
            self.pulses_applied += 1
        elif beam.kind == "ms":
            theta = beam.ms_rate * beam.amplitude(0) * beam.amplitude(1) * duration * over
            theta *= self._ms_tuning(beam)
            phi = math.pi * (beam.phase[0] + beam.phase[1])  # mean phase, in radians
            s = math.cos(phi) * _X + math.sin(phi) * _Y
            q0, q1 = beam.qubits
            ss = self._full({q0: s, q1: s})
            u = math.cos(theta / 2) * np.eye(self.dim) - 1j * math.sin(theta / 2) * ss
            self._apply_full(u)
            self._depolarize_pair(beam.qubits, self.errors.get("depolarizing_2q", 0.0))
            self.pulses_applied += 1
        elif beam.kind == "pump":
            if duration >= beam.min_time:
                for q in beam.qubits:
                    self._reset(q, self.errors.get("prep_error", 0.0))
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
        """Trace out qubit q and replace it with |0> (|1> with probability prep_error)."""
        bit = 1 << q
        new = np.zeros_like(self.rho)
        for a in range(self.dim):
            for b in range(self.dim):
                if a & bit or b & bit:
                    continue
                partial = self.rho[a, b] + self.rho[a | bit, b | bit]
                new[a, b] += (1 - prep_error) * partial
                new[a | bit, b | bit] += prep_error * partial
        self.rho = new

    # ---- readout

    def populations(self):
        """Probabilities of each basis state (index = bitstring, qubit 0 least significant)."""
        return np.clip(np.real(np.diag(self.rho)), 0.0, 1.0)

    def measure(self, q):
        """Projective Z measurement of qubit q: returns 0 or 1 and collapses the state."""
        bit = 1 << q
        idx = np.arange(self.dim)
        ones = (idx & bit) != 0
        p1 = float(np.clip(np.real(np.trace(self.rho[np.ix_(ones, ones)])), 0.0, 1.0))
        outcome = int(self.rng.random() < p1)
        keep = ones if outcome else ~ones
        proj = np.diag(keep.astype(float))
        self.rho = proj @ self.rho @ proj
        norm = np.real(np.trace(self.rho))
        if norm > 0:
            self.rho /= norm
        return outcome

    def light_on_time(self, beam, t0, t1):
        """Seconds that ``beam`` was on within [t0, t1] mu."""
        total = 0
        for a, b in beam.history:
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
