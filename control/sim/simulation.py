"""The simulation a run's simulated devices share: timeline, recorder, ion model, seed.

It is itself a device of the rewritten device database (``control_sim``), so every
simulated driver reaches it with ``dmgr.get("control_sim")`` and an experiment needs no
change. Its arguments are the sim config: ``seed``, ``vcd`` (path or None),
``slack`` (a dict of :class:`~control.sim.timeline.SlackModel` fields), ``model`` (the ion
model's config, see :mod:`control.sim.ion_model`), ``ref_period``, ``history_limit``,
``faults`` (per device: ``disconnected`` for a counter that sees no photons, ``stuck`` for
a DDS that ignores writes, ``stuck_on`` for a TTL output that stays on), to break a
simulated crate on purpose, and ``datasets`` (the default calibrations, which
``control.sim.sim_datasets`` reads from the device database; the simulation itself does
not use them).

A key outside these (a misspelt one), a ``slack`` field :class:`SlackModel` lacks or a
fault outside those three raises ``TypeError`` naming it and what is accepted, rather than
running a simulation that quietly ignores it.
"""
import dataclasses
import difflib

import numpy as np

from control import lang
from control.lang import RTIOUnderflow
from control.sim.recorder import Recorder
from control.sim.timeline import SlackModel, TimeManager

__all__ = ["Simulation", "SIM_DEVICE", "CONFIG_KEYS", "FAULTS"]

SIM_DEVICE = "control_sim"

#: The sim config keys (``control_sim`` arguments) a :class:`Simulation` takes.
CONFIG_KEYS = ("seed", "vcd", "slack", "model", "ref_period", "history_limit", "faults",
               "datasets")

# The values of a pulse's two edges (``Simulation.pulse``).
_EDGES = (1, 0)

#: The faults a simulated device can be given (``faults={device: {fault: True}}``).
FAULTS = ("disconnected", "stuck", "stuck_on")


def _refuse_unknown(what, given, accepted):
    """``TypeError`` for the first of ``given`` not in ``accepted``, naming the accepted
    ones (and the nearest, for a misspelling)."""
    unknown = [key for key in given if key not in accepted]
    if not unknown:
        return
    key = unknown[0]
    near = difflib.get_close_matches(str(key), [str(a) for a in accepted], n=1)
    raise TypeError("unknown {} {!r}{}; accepted: {}".format(
        what, key, " (did you mean {!r}?)".format(near[0]) if near else "",
        ", ".join(accepted)))


def _slack_model(slack):
    fields = tuple(f.name for f in dataclasses.fields(SlackModel))
    _refuse_unknown("slack model field", slack or {}, fields)
    return SlackModel(**(slack or {}))


def _faults(faults):
    faults = dict(faults or {})
    for device, kinds in faults.items():
        _refuse_unknown("fault for device {!r}:".format(device), kinds or {}, FAULTS)
    return faults


class Simulation:
    """Shared state of one simulated run."""

    def __init__(self, dmgr=None, seed=0, vcd=None, slack=None, model=None,
                 ref_period=1e-9, history_limit=2_000_000, faults=None, datasets=None,
                 **unknown):
        _refuse_unknown("sim config key (control_sim argument)", unknown, CONFIG_KEYS)
        slack_model = _slack_model(slack)
        faults = _faults(faults)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.ref_period = ref_period
        self.timeline = TimeManager(ref_period, slack_model)
        self.recorder = Recorder(vcd, ref_period, history_limit)
        self.model_config = model
        self.model = None
        if model is not None:
            from control.sim.ion_model import IonModel
            self.model = IonModel.from_config(model, self)
        # Faults injected on purpose (to show that checks catch them), per device name:
        # {"ttl0": {"disconnected": True}, "urukul0_ch0": {"stuck": True}}
        self.faults = faults
        self.dma_capture = None  # a list while CoreDMA records
        self.kernel_depth = 0
        self.kernels_run = 0
        self.underflows = 0
        self.rtio_events = 0  # events submitted to the RTIO (outputs, SPI words, DMA)

    # ---- used by the simulated core

    def install(self):
        """Make this simulation's timeline answer ``delay``/``now_mu``/… ."""
        lang.set_time_manager(self.timeline)

    def kernel_started(self):
        """A kernel starts: the timeline resets and the CPU starts behind the RTIO
        counter by the time the host takes to load the kernel."""
        tl = self.timeline
        self.kernels_run += 1
        tl.reset()
        # The RTIO counter keeps running while the host loads the kernel.
        tl.cpu += tl.kernel_start_mu

    def kernel_finished(self):
        """A kernel returns: the RTIO counter runs on to its last event, and every
        recorded event is released."""
        tl = self.timeline
        # The host gets control back once the last event has been submitted; the
        # counter then runs on to the last timestamp before anything else can happen.
        if tl.now > tl.cpu:
            tl.cpu = tl.now
        tl.routes.clear()  # keeps none of the kernel's objects alive
        self.recorder.release(None)

    # ---- used by simulated drivers

    def signal(self, device, name, kind="real", size=None, init=None):
        """Register (or find) a recorded signal of ``device`` (:meth:`Recorder.signal`)."""
        return self.recorder.signal(device, name, kind, size, init)

    def output(self, sig, value, channel=None):
        """Submit an output event at the cursor: slack check, CPU cost, record."""
        tl = self.timeline
        now = tl.now
        if self.dma_capture is not None:
            self.dma_capture.append((now, sig, value))
            return
        if now < tl.cpu + tl.latency_mu and tl.slack.enabled:
            self.underflows += 1
            raise RTIOUnderflow(
                "RTIO underflow at {} mu, channel {} ({}.{}): slack {} mu; the CPU reaches "
                "this event at about {} mu".format(
                    now, channel if channel is not None else "?", sig.device, sig.name,
                    now - tl.cpu, tl.cpu))
        tl.cpu += tl.event_mu
        self.rtio_events += 1
        rec = self.recorder
        times = rec._t  # Recorder.record, inlined: this is the hottest path of a run
        times.append(now)
        rec._s.append(sig.id)
        rec._v.append(value)
        if len(times) >= rec.next_flush:
            # Release what is final; if slack has built up and little is, wait for another
            # flush_every events rather than re-sorting the pending list on every output.
            rec.release(tl.cpu)
            rec.next_flush = len(rec._t) + rec.flush_every

    def pulse(self, sig, duration, channel=None):
        """``output(sig, 1)``, the cursor ``duration`` mu on, ``output(sig, 0)``: a TTL
        pulse. When both edges are on time and no release is due between them (the common
        case), both are submitted in this one call; else one by one, so that checks,
        costs, records and releases are those of the two outputs whatever happens."""
        tl = self.timeline
        rec = self.recorder
        times = rec._t
        if self.dma_capture is None and len(times) + 2 < rec.next_flush:
            start = tl.now
            end = start + duration
            cpu = tl.cpu
            event = tl.event_mu
            ready = cpu + tl.latency_mu  # the first edge's earliest time
            if not tl.slack.enabled or (start >= ready and end >= ready + event):
                tl.cpu = cpu + 2 * event
                self.rtio_events += 2
                sid = sig.id
                times.extend((start, end))
                rec._s.extend((sid, sid))
                rec._v.extend(_EDGES)
                tl.now = end
                return
        self.output(sig, 1, channel)
        tl.now += duration
        self.output(sig, 0, channel)

    def wait_until(self, time_mu):
        """The CPU blocks until the RTIO counter reaches ``time_mu`` (an input read)."""
        tl = self.timeline
        if time_mu > tl.cpu:
            tl.cpu = time_mu
        tl.cpu += tl.input_mu

    def settle(self, time_mu):
        """Release every event before ``time_mu`` so that the model and the history are
        complete up to it (inputs call this before they read the model)."""
        self.recorder.release(time_mu)

    def charge(self, mu):
        """The CPU spends ``mu`` of work: its cursor moves on, the timeline's does not."""
        self.timeline.cpu += mu

    def close(self):
        """Release every recorded event and close the VCD file."""
        self.recorder.close()

    # ---- for tests and tools

    def peek(self, device, name, time_mu):
        """The value of signal ``device.name`` at ``time_mu`` (after every event at that
        time)."""
        return self.recorder.peek(device, name, time_mu)

    def events(self, device, name=None):
        """The released events of ``device`` (of its signal ``name`` only, if given), as
        ``(time_mu, signal_name, value)`` in time order."""
        return self.recorder.events(device, name)
