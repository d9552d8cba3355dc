"""The fallback twin of a driver the simulator does not know (I2C switches, EEPROMs, an
SPI master used directly, Zotino, Sampler, ...).

``control.sim.enable`` puts every ``local`` device without a twin in ``DRIVER_MAP`` here,
with its own arguments, ``_key`` (the device name) and ``_driver`` (``"module.Class"`` of
the real driver). ``Generic`` accepts any constructor arguments and any method call: the
call is logged (``logger.info``), counted (``call_count``, ``calls``) and recorded as the
``calls`` signal (int, the running count) of the device at the cursor, and returns None.
It never raises and never advances the timeline or costs slack, so an experiment that
touches such a device still runs; what the device would do is not simulated.

Any public attribute reads as such a method (``dev.anything(...)`` works); names that
start with ``_`` (Python and tool internals: ``__len__``,
``_repr_html_``) raise ``AttributeError`` as usual, and ``kernel_invariants`` is
empty, so tools that inspect devices are not misled.
"""
import logging

logger = logging.getLogger(__name__)

__all__ = ["Generic"]


class Generic:
    """A device the simulator has no twin for: takes any call, logs and records it, does
    nothing else (see the module docstring)."""
    kernel_invariants: set[str] = set()

    def __init__(self, dmgr, _key=None, _driver=None, **arguments):
        self._key = _key if _key is not None else "generic"
        self._driver = _driver
        self._arguments = arguments
        self.call_count = 0
        self.calls = []
        self._sim = None
        self._sig_calls = None
        try:
            from control.sim.simulation import SIM_DEVICE
            self._sim = dmgr.get(SIM_DEVICE)
            self._sig_calls = self._sim.signal(self._key, "calls", "int", size=32, init=0)
        except Exception:  # built outside a simulated device database: log only
            self._sim = None

    def __getattr__(self, name):
        if name.startswith("_") or name == "artiq_embedded":
            raise AttributeError(name)

        def call(*args, **kwargs):
            return self._call(name, args, kwargs)
        call.__name__ = name
        return call

    def _call(self, name, args, kwargs):
        self.call_count += 1
        self.calls.append((name, args, kwargs))
        logger.info("%s (%s, not simulated): %s(%s)", self._key, self._driver or "?", name,
                    ", ".join([repr(a) for a in args] +
                              ["{}={!r}".format(k, v) for k, v in kwargs.items()]))
        sim = self._sim
        if sim is not None:
            t = sim.timeline.now
            cap = sim.dma_capture
            if cap is not None:
                cap.append((t, self._sig_calls, self.call_count, "effect"))
            else:
                sim.recorder.record(t, self._sig_calls.id, self.call_count)

    def __repr__(self):
        return "<Generic simulated device {} ({})>".format(self._key, self._driver or "?")
