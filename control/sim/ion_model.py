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
  is one value or one per qubit (ions split by a field gradient, addressed by frequency).
  The DDS phase is continuous (AD9910/AD9912 default), so a detuned drive's phase
  advances with lab time and Ramsey fringes oscillate at the detuning.
* ``ms`` — a bichromatic Mølmer–Sørensen drive of a qubit pair from two DDS channels
  (``dds: [red, blue]``) on one motional mode: while both tones are on,
  ``exp(-i θ/2 · S_φ ⊗ S_φ)``, S_φ = cos φ X + sin φ Y on each qubit and ``φ`` the mean of
  the two tones' phases, with ``θ = r T`` for a segment of T seconds,
  ``r = ms_rate * (a_red a_blue)`` (rad/s at full amplitude). With ``carrier_hz``,
  ``sideband_hz`` (the mode) and ``detuning_hz`` (D, the detuning the gate is designed for)
  the tones must sit at carrier ∓ (sideband + detuning): off-centre tones (beyond
  ``tolerance_hz``) entangle nothing. At the tones' actual detuning from the mode,
  δ' = (f_blue − f_red)/2 − sideband (ω' = 2π δ', ω_D = 2π D), the spin-dependent force
  gives ``θ = r (ω_D/ω') (T − sin(ω'T)/ω')`` and leaves the mode displaced by
  ``α S``, ``|α|² = r |ω_D| sin²(ω'T/2) / ω'²``, for each eigenvalue S of
  S_φ⊗1 + 1⊗S_φ. A gate that closes (ω'T = 2πK: K loops in phase space) has θ = r T and
  α = 0, exactly as the calibrated gate; any other leaves spin and mode entangled.
  Tracing out a thermal mode of ``mode_nbar`` (n̄, default 0.1: a sideband-cooled mode)
  shrinks the coherence between eigenvalues s, s' by exp(−|α|²(2n̄+1)(s−s')²/2),
  unravelled as a rotation exp(−i x S_φ) on the pair with x ~ Normal(0, |α|²(2n̄+1)) from
  the seeded generator (no draw when the variance is below 1e-9: the DDS's frequency grid
  alone leaves < 1e-10 on a calibrated gate, which no run could see). The formula applies
  to each segment the tones are on unchanged, and the mode is traced out after each (it
  keeps no displacement from one segment to the next): a gate is modelled as one segment
  (a frequency, phase or amplitude change mid-gate cuts it in two, each closing or not on
  its own). Without ``carrier_hz`` the tones are not checked and there is no mode:
  θ = r T.
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

Drift (``drift``: a list; absent or empty = none, and then it costs nothing). The
parameters above are the trap's truth at time 0; each entry moves one of them as the
simulated timeline advances, by a seeded random walk and/or scheduled steps::

    {"beam": "microwave", "param": "resonance_hz", "qubit": 0,
     "walk": 50.0,                  # diffusion rate, unit of the parameter per √s
     "interval": 1e-3,              # s between the walk's moves (default 1 ms)
     "steps": [[0.5, 2e3]]}         # at t = 0.5 s the parameter jumps by +2 kHz
    {"detector": "ttl0", "param": "bright_rate", "steps": [[2.0, -1e4]]}

Parameters: ``resonance_hz`` and ``rabi_hz`` of a ``rotation`` beam (``qubit`` picks one
of its qubits; without it each of its qubits drifts, each walk its own), ``ms_rate``,
``carrier_hz``, ``sideband_hz`` and ``detuning_hz`` of an ``ms`` beam (``sideband_hz`` is
the motional mode, what drifts in a lab and detunes the gate; ``detuning_hz`` is the gate's
design, whose drift moves the detuning the gate closes at with it), ``bright_rate`` and
``dark_rate`` of a detector. The walk is a Gaussian random walk on a fixed grid (it moves
at every multiple of ``interval``, by a step of standard deviation
``walk * sqrt(interval)``), so its value at time t has spread ``walk * sqrt(t)`` and does
not depend on when or how often the model looks; each walk draws from its own generator,
seeded from the simulation's seed and the parameter's name, so the same seed gives the
same drift and a drift leaves the model's other random draws untouched. Times are
seconds of the simulated timeline (0 mu = 0 s). The model applies a drift lazily, when an
event or a detection window reaches a time where a value changes. A drifting resonance
keeps the qubit's phase continuous: the qubit frame advances by the integral of its
frequency, so a Ramsey sequence across a step sees each part at its own frequency. Rates
and Rabi frequencies do not go below 0.

Truth: ``physics(t_mu)`` gives the parameters in effect at a time (errors that act as a
mis-set parameter folded in: ``detuning_hz`` moves each resonance, ``over_rotation``
scales each Rabi frequency and MS rate); ``truth(t_mu)`` gives them as calibration values,
through the function that the config's ``truth_map`` names (``{"function":
"package.module:function", "calibrations": {...}}``; a trap's ``sim.py`` knows which
calibration each parameter is and gives the lab's other choices, such as a drive's
amplitude, in ``calibrations``).
"""
import cmath
import importlib
import math
import random
import zlib
from collections import deque

import numpy as np

__all__ = ["IonModel", "ModelConfigError", "DRIFT_PARAMS", "MODE_NBAR"]

BEAM_KINDS = ("rotation", "ms", "pump", "detection", "cooling")
TWO_PI = 2 * math.pi

#: What a drift entry may move: per beam kind, and on a detector.
DRIFT_PARAMS = {"rotation": ("resonance_hz", "rabi_hz"),
                "ms": ("ms_rate", "carrier_hz", "sideband_hz", "detuning_hz"),
                "detector": ("bright_rate", "dark_rate")}
_PER_QUBIT = ("resonance_hz", "rabi_hz")
_NOT_NEGATIVE = ("rabi_hz", "ms_rate", "bright_rate", "dark_rate")
_DRIFT_KEYS = {"beam", "detector", "param", "qubit", "walk", "interval", "steps"}
_MODEL_KEYS = {"qubits", "beams", "detectors", "errors", "drift", "truth_map"}
_WALK_BLOCK = 1024  # grid moves drawn at a time (one generator per block: random access)
#: An MS beam's default ``mode_nbar``: a gate mode sideband-cooled close to its ground
#: state, as labs prepare it for MS gates and where the model's lowest order in the
#: Lamb-Dicke parameter holds. A mode only Doppler cooled sits at n̄ ≈ Γ/2ω (about 3 on
#: yb171's 3 MHz mode, 9 on ca40's 1.2 MHz one): configure that as ``mode_nbar``.
MODE_NBAR = 0.1
# Variance of the motional kick below which an MS segment counts as closed: no draw, so a
# calibrated gate (left < 1e-10 off by the DDS frequency grid) keeps the random stream.
_CLOSED = 1e-9

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
        # One resonance (Rabi frequency) for all addressed qubits, or one each (ions
        # split by a gradient).
        self.resonance_hz = self._per_qubit(cfg.get("resonance_hz", 0.0), "resonances")
        self.rabi_hz = self._per_qubit(cfg.get("rabi_hz", 0.0), "Rabi frequencies")
        self.carrier_hz = cfg.get("carrier_hz")
        self.sideband_hz = float(cfg.get("sideband_hz", 0.0))
        self.detuning_hz = float(cfg.get("detuning_hz", 0.0))
        self.tolerance_hz = float(cfg.get("tolerance_hz", 1e3))
        self.ms_rate = float(cfg.get("ms_rate", 0.0))
        self.mode_nbar = float(cfg.get("mode_nbar", MODE_NBAR))
        if not (self.mode_nbar >= 0 and math.isfinite(self.mode_nbar)):
            raise ModelConfigError("beam {!r}: mode_nbar must be a finite occupation >= 0, "
                                   "not {!r}".format(name, cfg.get("mode_nbar")))
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
        self._one_tone = len(self.dds) == 1 and len(self.switches) >= 1
        self.cfg_sw = [False] * n
        self.on = False
        self.on_since = None
        self.history = deque(maxlen=64)  # recent (t_on, t_off) segments, for detection
        # Per qubit, the phase (rad) the qubit frame has gained over resonance × time
        # while the resonance drifts; None while it does not (see ``_DriftSlot``).
        self.frame = None

    def _per_qubit(self, value, what):
        values = [float(v) for v in value] if isinstance(value, (list, tuple)) \
            else [float(value)] * len(self.qubits)
        if len(values) != len(self.qubits):
            raise ModelConfigError("beam {!r}: {} {} for {} qubits".format(
                self.name, len(values), what, len(self.qubits)))
        return values

    def is_on(self):
        """Light reaches the ions: every tone's RF switch is on (its TTL ``switch[i]`` OR
        its Urukul ``cfg_sw`` bit); a beam without DDS needs all its switch TTLs on."""
        if self._one_tone:  # one DDS tone and its switch TTL: the common beam
            return self.switch_on[0] or self.cfg_sw[0]
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


class _Walk:
    """One drift term: a seeded Gaussian random walk on a grid of ``interval_mu`` plus
    scheduled steps, as an offset of time (mu) with its time integral (for the frame
    of a drifting resonance). A pure function of time: blocks of grid moves come from
    generators seeded by (seed key, block), so any time can be asked, in any order."""

    def __init__(self, walk, interval_mu, steps_mu, ref_period, seed_key):
        self.ref_period = ref_period
        self.interval_mu = max(1, int(interval_mu))
        self.tau = self.interval_mu * ref_period          # s
        self.sigma = float(walk) * math.sqrt(self.tau)    # per grid move
        self.steps = sorted(steps_mu)                     # [(t_mu, delta)]
        self.seed_key = list(seed_key)
        # S (sum of moves) and I (sum of S over earlier grid points) at each block start
        self._starts = [(0.0, 0.0)]
        self._block = (None, None, None)  # (b, S within the block, I within the block)

    def _local(self, b):
        if self._block[0] != b:
            z = np.random.default_rng(self.seed_key + [b]).standard_normal(_WALK_BLOCK)
            s_local = np.concatenate(([0.0], np.cumsum(z)))
            i_local = np.concatenate(([0.0], np.cumsum(s_local[:-1])))
            self._block = (b, s_local, i_local)
        return self._block[1], self._block[2]

    def _grid(self, k):
        """(S_k, I_k): the walk in units of sigma at grid point k, and the sum of
        S_0..S_{k-1}."""
        b, m = divmod(k, _WALK_BLOCK)
        while len(self._starts) <= b:
            n = len(self._starts) - 1
            s0, i0 = self._starts[n]
            s_local, i_local = self._local(n)
            self._starts.append((s0 + s_local[-1], i0 + _WALK_BLOCK * s0 + i_local[-1]))
        s0, i0 = self._starts[b]
        s_local, i_local = self._local(b)
        return s0 + s_local[m], i0 + m * s0 + i_local[m]

    def value(self, t_mu):
        """The offset at ``t_mu`` and its integral from 0 (offset × s)."""
        t_mu = max(0, int(t_mu))
        t = t_mu * self.ref_period
        v = integral = 0.0
        if self.sigma:
            k = t_mu // self.interval_mu
            s_k, i_k = self._grid(k)
            v = self.sigma * s_k
            integral = self.sigma * (self.tau * i_k + (t - k * self.tau) * s_k)
        for t_step, delta in self.steps:
            if t_step > t_mu:
                break
            v += delta
            integral += delta * (t - t_step * self.ref_period)
        return float(v), float(integral)

    def next_change(self, t_mu):
        """The first time (mu) after ``t_mu`` at which the offset changes (inf: never)."""
        t_mu = max(0, int(t_mu))
        nxt = math.inf
        if self.sigma:
            nxt = (t_mu // self.interval_mu + 1) * self.interval_mu
        for t_step, _ in self.steps:
            if t_step > t_mu:
                return min(nxt, t_step)
        return nxt


class _DriftSlot:
    """One drifting parameter (one qubit's of a beam, or a detector's): its value at
    time 0 and the walks that move it."""

    def __init__(self, owner, param, index, base):
        self.owner, self.param, self.index, self.base = owner, param, index, base
        self.walks = []

    def at(self, t_mu):
        """(value, frame phase in rad) at ``t_mu``. The frame phase is what a resonance
        r(t) = r0 + v(t) has gained over r(t)·t: 2π (v(t) t − ∫ v dt)."""
        value, frame = self.base, 0.0
        t = max(0, int(t_mu))
        for walk in self.walks:
            v, integral = walk.value(t)
            value += v
            frame += TWO_PI * (v * t * walk.ref_period - integral)
        if self.param in _NOT_NEGATIVE and value < 0:
            value = 0.0
        return value, frame

    def write(self, value):
        owner, param = self.owner, self.param
        if isinstance(owner, dict):  # a detector's config
            owner[param] = value
        elif self.index is None:
            setattr(owner, param, value)
        else:
            getattr(owner, param)[self.index] = value


class IonModel:
    """The ion model of one simulation (see the module docstring for the config)."""

    def __init__(self, qubits=2, beams=None, detectors=None, errors=None, rng=None,
                 ref_period=1e-9, drift=None, seed=0, truth_map=None):
        if not 1 <= qubits <= 5:
            raise ModelConfigError("the ion model holds 1 to 5 qubits, not {}".format(qubits))
        self.n = qubits
        self.dim = 2 ** qubits
        self.ref_period = ref_period
        self.rng = rng if rng is not None else np.random.default_rng(0)
        # Trajectory jumps are drawn per pulse: Python's generator (seeded from ``rng``)
        # costs a tenth of numpy's per scalar draw.
        jumps = random.Random(int(self.rng.integers(2 ** 63)))
        self._random = jumps.random
        self._gauss = jumps.gauss  # the same stream: a seed still fixes every draw
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
        # (beam, frequency, phase, amplitude, attenuation, length in mu) -> what a rotation
        # segment does to each qubit at t0 = 0 (see ``_rotation_plan``); only without
        # drift, which changes the beam's Rabi frequencies and resonances.
        self._plans = {}
        self.t_state = 0  # time (mu) the state has been evolved to (for dephasing)
        # (device, signal) -> list of (beam, field, index, the beam's list that the field
        # is kept in: params[field] or the switch flags; never replaced, so held here)
        self._routes = {}
        for beam in self.beams.values():
            for i, dev in enumerate(beam.switches):
                self._routes.setdefault((dev, "state"), []).append(
                    (beam, SWITCH, i, beam.switch_on))
            for i, dev in enumerate(beam.dds):
                for name, field in _DDS_FIELDS.items():
                    self._routes.setdefault((dev, name), []).append(
                        (beam, field, i, beam.cfg_sw if field == CFG_SW
                         else beam.params[field]))
        self._sid_routes = []  # signal id -> its routes (a list index is the fastest map)
        self._wanted = np.zeros(0, dtype=bool)  # signal id -> has routes
        self._recorder = None
        self._timeline = None  # the simulation's, for the current time of ``truth()``
        self.pulses_applied = 0
        self.truth_map = dict(truth_map) if truth_map else None
        self._truth_function = None
        # Drift: the next time (mu) a drifting value changes; inf without drift, so the
        # event loop pays one comparison per pulse and nothing else.
        self._drift_next = math.inf
        self._drift_slots = self._drift_config(drift or [], seed)
        if self._drift_slots:
            self._drift_next = 0

    @classmethod
    def from_config(cls, config, simulation):
        """The model a simulation's ``ion_model`` config describes, seeded from the
        simulation and subscribed to its recorder's events; unknown keys are refused."""
        unknown = set(config) - _MODEL_KEYS
        if unknown:
            raise ModelConfigError("unknown ion-model config key(s): {} (known: {})".format(
                ", ".join(sorted(unknown)), ", ".join(sorted(_MODEL_KEYS))))
        model = cls(qubits=config.get("qubits", 2), beams=config.get("beams"),
                    detectors=config.get("detectors"), errors=config.get("errors"),
                    rng=np.random.default_rng([simulation.seed, 1]),
                    ref_period=simulation.ref_period, drift=config.get("drift"),
                    seed=simulation.seed, truth_map=config.get("truth_map"))
        simulation.recorder.subscribers.append(model.on_events)
        model._recorder = simulation.recorder
        model._timeline = simulation.timeline
        return model

    # ---- drift and truth

    def _drift_config(self, entries, seed):
        """The drifting parameters (``_DriftSlot``s) the ``drift`` section describes."""
        if isinstance(entries, dict):
            entries = [entries]
        slots = {}
        occurrences = {}
        for n, entry in enumerate(entries):
            where = "drift entry {}".format(n)
            if not isinstance(entry, dict):
                raise ModelConfigError("{}: a dict, not {!r}".format(where, entry))
            unknown = set(entry) - _DRIFT_KEYS
            if unknown:
                raise ModelConfigError("{}: unknown key(s) {} (known: {})".format(
                    where, ", ".join(sorted(unknown)), ", ".join(sorted(_DRIFT_KEYS))))
            param = entry.get("param")
            if ("beam" in entry) == ("detector" in entry):
                raise ModelConfigError("{}: give either a beam or a detector".format(where))
            if "beam" in entry:
                beam = self.beams.get(entry["beam"])
                if beam is None:
                    raise ModelConfigError("{}: no beam {!r}".format(where, entry["beam"]))
                allowed = DRIFT_PARAMS.get(beam.kind, ())
                owner, name = beam, "beam/" + beam.name
            else:
                owner = self.detectors.get(entry["detector"])
                if owner is None:
                    raise ModelConfigError("{}: no detector {!r}".format(
                        where, entry["detector"]))
                allowed = DRIFT_PARAMS["detector"]
                name = "detector/" + entry["detector"]
            if param not in allowed:
                raise ModelConfigError("{}: {} cannot drift {!r} (it can: {})".format(
                    where, name, param, ", ".join(allowed) or "nothing"))
            if param == "carrier_hz" and owner.carrier_hz is None:
                raise ModelConfigError("{}: {} has no carrier_hz to drift".format(where, name))
            walk = float(entry.get("walk", 0.0))
            interval = float(entry.get("interval", 1e-3))
            if not (walk >= 0 and math.isfinite(walk)):
                raise ModelConfigError("{}: walk must be a finite rate >= 0, not {!r}".format(
                    where, entry.get("walk")))
            if not (interval > 0 and math.isfinite(interval)):
                raise ModelConfigError("{}: interval must be > 0 s, not {!r}".format(
                    where, entry.get("interval")))
            try:
                steps = [(int(round(float(t) / self.ref_period)), float(d))
                         for t, d in entry.get("steps", [])]
            except (TypeError, ValueError):
                raise ModelConfigError("{}: steps must be [[time_s, delta], ...], not "
                                       "{!r}".format(where, entry.get("steps"))) from None
            if any(t < 0 or not math.isfinite(d) for t, d in steps):
                raise ModelConfigError("{}: a step at a negative time or of no finite "
                                       "size".format(where))
            if param in _PER_QUBIT:
                if "qubit" in entry:
                    if entry["qubit"] not in owner.qubits:
                        raise ModelConfigError("{}: {} does not drive qubit {!r}".format(
                            where, name, entry["qubit"]))
                    indices = [owner.qubits.index(entry["qubit"])]
                else:
                    indices = list(range(len(owner.qubits)))
            else:
                if "qubit" in entry and (not isinstance(owner, dict)
                                         or entry["qubit"] != owner["qubit"]):
                    raise ModelConfigError("{}: {} of {} is not qubit {!r}'s".format(
                        where, param, name, entry["qubit"]))
                indices = [None]
            for index in indices:
                key = (name, param, index)
                slot = slots.get(key)
                if slot is None:
                    base = owner[param] if isinstance(owner, dict) else \
                        getattr(owner, param) if index is None else getattr(owner, param)[index]
                    slot = slots[key] = _DriftSlot(owner, param, index, float(base))
                label = "{}/{}/{}".format(name, param, "" if index is None else index)
                occurrences[label] = occurrences.get(label, -1) + 1
                seed_key = [int(seed or 0), 0xD21F7, zlib.crc32(label.encode()),
                            occurrences[label]]
                slot.walks.append(_Walk(walk, round(interval / self.ref_period), steps,
                                        self.ref_period, seed_key))
                if param == "resonance_hz" and owner.frame is None:
                    owner.frame = [0.0] * len(owner.qubits)
        return list(slots.values())

    def _drift_to(self, t):
        """Set every drifting parameter to its value at ``t`` mu (and the frames of the
        drifting resonances); note when the next change is due."""
        nxt = math.inf
        for slot in self._drift_slots:
            value, frame = slot.at(t)
            slot.write(value)
            if slot.param == "resonance_hz":
                slot.owner.frame[slot.index] = frame
            for walk in slot.walks:
                nxt = min(nxt, walk.next_change(t))
        self._drift_next = nxt

    def now_mu(self):
        """The simulation's current time (its timeline's cursor), or, for a model
        without a simulation, the latest time it has evolved to."""
        if self._timeline is not None:
            return max(self._timeline.now, self.t_state)
        return self.t_state

    def physics(self, t_mu=None):
        """The trap's physical parameters in effect at ``t_mu`` (default: now), drift
        included and the errors that act as mis-set parameters folded in (resonances
        moved by ``detuning_hz``, Rabi frequencies and MS rates scaled by
        ``1 + over_rotation``): ``{"time_s", "qubits", "beams": {name: {"kind",
        "qubits", "resonance_hz": [..], "rabi_hz": [..]} or {"kind", "qubits",
        "ms_rate", "carrier_hz", "sideband_hz", "detuning_hz", "mode_nbar"}},
        "detectors": {device:
        {"qubit", "bright_rate", "dark_rate", "bright_state"}}}`` (rotation and MS beams
        only; per-qubit lists follow the beam's ``qubits``)."""
        t = self.now_mu() if t_mu is None else int(t_mu)
        beams = {}
        for beam in self.beams.values():
            if beam.kind == "rotation":
                beams[beam.name] = {"kind": beam.kind, "qubits": list(beam.qubits),
                                    "resonance_hz": list(beam.resonance_hz),
                                    "rabi_hz": list(beam.rabi_hz)}
            elif beam.kind == "ms":
                beams[beam.name] = {"kind": beam.kind, "qubits": list(beam.qubits),
                                    "ms_rate": beam.ms_rate, "carrier_hz": beam.carrier_hz,
                                    "sideband_hz": beam.sideband_hz,
                                    "detuning_hz": beam.detuning_hz,
                                    "mode_nbar": beam.mode_nbar}
        detectors = {dev: {"qubit": cfg["qubit"], "bright_rate": cfg.get("bright_rate", 0.0),
                           "dark_rate": cfg.get("dark_rate", 0.0),
                           "bright_state": cfg.get("bright_state", 1)}
                     for dev, cfg in self.detectors.items()}
        for slot in self._drift_slots:  # the drifting values at t, not at the last event
            value = slot.at(t)[0]
            if isinstance(slot.owner, dict):
                dev = next(d for d, c in self.detectors.items() if c is slot.owner)
                detectors[dev][slot.param] = value
            elif slot.index is None:
                beams[slot.owner.name][slot.param] = value
            else:
                beams[slot.owner.name][slot.param][slot.index] = value
        for b in beams.values():
            if b["kind"] == "rotation":
                b["resonance_hz"] = [r - self._detuning for r in b["resonance_hz"]]
                b["rabi_hz"] = [r * self._over for r in b["rabi_hz"]]
            else:
                b["ms_rate"] = b["ms_rate"] * self._over
        return {"time_s": t * self.ref_period, "qubits": self.n, "beams": beams,
                "detectors": detectors}

    def truth(self, t_mu=None, calibrations=None):
        """The truth at ``t_mu`` (default: now) as calibration values: what a perfect
        calibration would write, by the ``truth_map`` function of the config, given
        ``physics(t_mu)`` and the lab's calibrations (those of ``truth_map``, updated with
        ``calibrations``: a drive's amplitude, say, which a π time depends on)."""
        if not self.truth_map or not self.truth_map.get("function"):
            raise ModelConfigError("this ion model has no truth_map naming the function "
                                   "that turns its physics into calibrations; "
                                   "physics() gives the physical parameters")
        if self._truth_function is None:
            module, _, name = self.truth_map["function"].partition(":")
            self._truth_function = getattr(importlib.import_module(module), name)
        known = dict(self.truth_map.get("calibrations") or {}, **(calibrations or {}))
        return self._truth_function(self.physics(t_mu), known)

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
        if len(t) > 32:  # a signal without routes changes nothing: left out at once
            sel = self._wanted[s]
            t, s, v = t[sel], s[sel], v[sel]
        routes = self._sid_routes
        for ti, si, vi in zip(t.tolist(), s.tolist(), v.tolist()):
            for beam, field, i, values in routes[si]:
                if field < SWITCH:  # a DDS parameter (inline: most events are these)
                    if values[i] != vi:
                        if beam.on:
                            self._close(beam, ti)  # end one segment, start another
                        values[i] = vi
                else:  # a switch (written out here: this loop is the simulator's hottest)
                    flags = values  # beam.switch_on if field == SWITCH else beam.cfg_sw
                    flag = vi != 0
                    if flags[i] == flag:
                        continue
                    flags[i] = flag
                    now_on = (beam.switch_on[0] or beam.cfg_sw[0]) if beam._one_tone \
                        else beam.is_on()  # is_on(), inlined for the common beam
                    if beam.on:
                        if not now_on:  # ``_close``, inlined; the beam is then off
                            t0 = beam.on_since
                            if t0 is not None and ti > t0:
                                beam.history.append((t0, ti))
                                self._apply_segment(beam, t0, ti)
                            beam.on_since = None
                    elif now_on:
                        beam.on_since = ti
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
        if t0 >= self._drift_next:
            self._drift_to(t0)
        if self._t2 > 0:
            self._evolve_to(t0)
        period = self.ref_period
        if beam.kind == "rotation" and not self._drift_slots:
            # The common case, the same arithmetic as below with the pulse's per-qubit
            # unitaries looked up once per distinct pulse rather than rebuilt each time.
            key = (beam, beam.freq[0], beam.phase[0], beam.amp[0], beam.att[0], t1 - t0)
            plan = self._plans.get(key)
            if plan is None:
                if len(self._plans) > 4096:
                    self._plans.clear()
                plan = self._plans[key] = self._rotation_plan(beam, (t1 - t0) * period)
            rotations, addressed = plan
            t0_s = t0 * period
            psi = self.psi
            if self.dim == 4:
                # Two qubits (the usual trap): the amplitudes in locals, the pairs
                # unrolled; the same products and sums as the loop below, in its order
                p0, p1, p2, p3 = psi
                for q, u00, u01, u10, u11, delta in rotations:
                    if delta:
                        e = cmath.exp(1j * delta * t0_s)
                        u01, u10 = u01 / e, u10 * e
                    if q == 0:  # pairs (0, 1), (2, 3)
                        p0, p1 = u00 * p0 + u01 * p1, u10 * p0 + u11 * p1
                        p2, p3 = u00 * p2 + u01 * p3, u10 * p2 + u11 * p3
                    else:  # q == 1: pairs (0, 2), (1, 3)
                        p0, p2 = u00 * p0 + u01 * p2, u10 * p0 + u11 * p2
                        p1, p3 = u00 * p1 + u01 * p3, u10 * p1 + u11 * p3
                psi[0], psi[1], psi[2], psi[3] = p0, p1, p2, p3
            else:
                for q, u00, u01, u10, u11, delta in rotations:
                    if delta:
                        e = cmath.exp(1j * delta * t0_s)
                        u01, u10 = u01 / e, u10 * e
                    self._apply_1q(u00, u01, u10, u11, q)
            p1 = self._p1
            if p1 > 0:  # _depolarize, inlined
                rand = self._random
                for q in addressed:
                    if rand() < p1:
                        self._pauli(int(rand() * 4), q)
            self.pulses_applied += 1
            if t1 > self.t_state:
                self.t_state = t1
            return
        duration = (t1 - t0) * period
        if beam.kind == "rotation":
            amplitude = beam.amplitude(0)
            phi = TWO_PI * beam.phase[0]
            drive = beam.freq[0] + self._detuning
            t0_s = t0 * period
            frame = beam.frame  # None unless a resonance of this beam drifts
            addressed = []
            for k, q in enumerate(beam.qubits):
                omega = TWO_PI * beam.rabi_hz[k] * amplitude * self._over
                delta = TWO_PI * (drive - beam.resonance_hz[k])
                self._rotate(omega, delta, phi if frame is None else phi + frame[k],
                             t0_s, duration, q)
                if abs(delta) <= 10 * omega:
                    addressed.append(q)
            # The gate error belongs to the qubits the pulse drives, not to a spectator
            # far off resonance (which only sees the exact off-resonant unitary above).
            if self._p1 > 0:
                self._depolarize(addressed, self._p1)
            self.pulses_applied += 1
        elif beam.kind == "ms":
            rate = beam.ms_rate * beam.amplitude(0) * beam.amplitude(1) * self._over
            theta, alpha2 = self._ms_motion(beam, rate, duration)
            phi = math.pi * (beam.phase[0] + beam.phase[1])  # mean phase, in radians
            q0, q1 = beam.qubits
            self._ms(theta, phi, q0, q1)
            variance = alpha2 * (2 * beam.mode_nbar + 1)
            if variance > _CLOSED:
                # The thermal mode traced out, one trajectory: exp(-i x S_φ) on the pair
                # (it commutes with the MS unitary), x ~ N(0, |α|²(2n̄+1)), so the average
                # shrinks each coherence by exp(-|α|²(2n̄+1)(s-s')²/2).
                x = self._gauss(0.0, math.sqrt(variance))
                c, s = math.cos(x), math.sin(x)
                # exp(-i x σ_φ) = cos x − i sin x (cos φ X + sin φ Y), on each qubit
                u01, u10 = -1j * s * cmath.exp(-1j * phi), -1j * s * cmath.exp(1j * phi)
                self._apply_1q(c, u01, u10, c, q0)
                self._apply_1q(c, u01, u10, c, q1)
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

    def _rotation_plan(self, beam, duration):
        """What a segment of ``duration`` s of rotation beam ``beam``, at its present
        tone, does: ``((q, u00, u01, u10, u11, δ) per qubit, addressed qubits)``, the
        unitaries of a pulse starting at time 0 (conjugated by Rz(δ t0) when applied),
        computed as the general branch of ``_apply_segment`` computes them."""
        amplitude = beam.amplitude(0)
        phi = TWO_PI * beam.phase[0]
        drive = beam.freq[0] + self._detuning
        rotations, addressed = [], []
        for k, q in enumerate(beam.qubits):
            omega = TWO_PI * beam.rabi_hz[k] * amplitude * self._over
            delta = TWO_PI * (drive - beam.resonance_hz[k])
            rotations.append((q,) + _pulse_unitary(omega, delta, phi, duration) + (delta,))
            if abs(delta) <= 10 * omega:
                addressed.append(q)
        return tuple(rotations), tuple(addressed)

    @staticmethod
    def _ms_motion(beam, rate, duration):
        """(θ, |α|²) of an MS segment of ``duration`` s at ``rate`` (rad/s, the angle per
        second of the calibrated gate): the geometric phase the tones' detuning from the
        mode gives, and the residual spin-motion displacement (see the module docstring).

        Without ``carrier_hz``: (rate · duration, 0). Tones not centred on the carrier
        (beyond ``tolerance_hz``) drive no MS interaction: (0, 0).
        """
        if beam.carrier_hz is None:
            return rate * duration, 0.0
        red, blue = beam.freq
        if abs((red + blue) / 2 - beam.carrier_hz) > beam.tolerance_hz:
            return 0.0, 0.0
        w_design = TWO_PI * beam.detuning_hz
        w = TWO_PI * ((blue - red) / 2 - beam.sideband_hz)
        x = w * duration
        # θ = r ω_D T² (x − sin x)/x² and |α|² = r |ω_D| T² sin²(x/2)/x², x = ω'T: written
        # in x so that tones on the sideband itself (x → 0) stay finite (the force then
        # only pushes, θ → 0 and |α|² → r |ω_D| T²/4).
        if abs(x) < 1e-3:
            x2 = x * x
            phase = x / 6 * (1 - x2 / 20)       # (x − sin x)/x², its series
            loop = 0.25 * (1 - x2 / 12)         # sin²(x/2)/x², its series
        else:
            phase = (x - math.sin(x)) / (x * x)
            loop = (math.sin(x / 2) / x) ** 2
        scale = rate * duration * duration
        return scale * w_design * phase, scale * abs(w_design) * loop

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
        if t0 >= self._drift_next:
            self._drift_to(t0)
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
