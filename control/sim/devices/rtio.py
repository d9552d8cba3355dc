"""What every simulated driver does to the RTIO: submit an event, record an effect.

A simulated driver changes the simulation in one of three ways:

* an output whose change the waveform shows (a TTL level, a counter gate): through
  ``Simulation.output`` — the slack check, the CPU cost, the record;
* an event the RTIO core takes but that changes nothing the waveform shows by itself (an
  SPI word, a sample request): :func:`rtio_event` — the same slack check and CPU cost,
  no record;
* a change the hardware makes by itself, later, because of events already submitted (a
  register latched at the end of an SPI transfer, DDS values taking effect at
  IO_UPDATE): :func:`record_effect` — a record at that time, no slack check, no CPU cost.

Inside a DMA recording (``sim.dma_capture`` is a list) nothing is submitted: the event
or effect joins the trace, and ``CoreDMA`` replays it at playback.
"""
from control.lang import RTIOUnderflow

__all__ = ["rtio_event", "record_effect", "one_channel"]


def rtio_event(sim, channel, what):
    """Submit one RTIO event at the cursor that the recorder does not show.

    ``what`` names it in the underflow message (and in a DMA trace, as
    ``(time, None, what)``); ``channel`` is its RTIO channel, or None when unknown.
    Raises ``RTIOUnderflow`` when the CPU would reach it too late, as
    ``Simulation.output`` does.
    """
    tl = sim.timeline
    trace = sim.dma_capture
    if trace is not None:
        trace.append((tl.now, None, what))
        return
    at = tl.now
    if tl.slack.enabled and at < tl.cpu + tl.latency_mu:
        sim.underflows += 1
        raise RTIOUnderflow(
            "RTIO underflow at {} mu, channel {} ({}): slack {} mu; the CPU reaches this "
            "event at about {} mu".format(at, "?" if channel is None else channel, what,
                                          at - tl.cpu, tl.cpu))
    tl.cpu += tl.event_mu
    sim.rtio_events += 1


def one_channel(channel, **kwargs):
    """``get_rtio_channels`` of a driver on one RTIO channel (as a ``staticmethod``):
    that channel, unnamed."""
    return [(channel, None)]


def record_effect(sim, time_mu, sig, value):
    """Record ``value`` on ``sig`` at ``time_mu``, a change the hardware makes on its own
    (inside a DMA recording: ``(time, sig, value, "effect")`` joins the trace)."""
    trace = sim.dma_capture
    if trace is None:
        sim.recorder.record(time_mu, sig.id, value)
    else:
        trace.append((time_mu, sig, value, "effect"))
