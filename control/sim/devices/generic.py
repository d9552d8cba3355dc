"""The fallback twin of a driver the simulator does not know (I2C switches, EEPROMs, SPI
masters used directly, ...): it accepts any constructor arguments and any method call,
logs it and counts it (a ``calls`` signal in the waveform), and returns None. It never
raises, so an experiment that touches such a device still runs; what it does with the
device is not simulated."""
import logging

logger = logging.getLogger(__name__)

__all__ = ["Generic"]


class Generic:
    def __init__(self, dmgr, _key=None, _driver=None, **arguments):
        self._key = _key or "generic"
        self._driver = _driver
        self._arguments = arguments
        self._sim = None
        try:
            self._sim = dmgr.get("control_sim")
            self._calls = self._sim.signal(self._key, "calls", "int", size=32, init=0)
        except Exception:
            self._calls = None
        self.call_count = 0
        self.calls = []

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)

        def call(*args, **kwargs):
            self.call_count += 1
            self.calls.append((name, args, kwargs))
            logger.info("%s (%s, not simulated): %s%s", self._key, self._driver, name, args)
            if self._calls is not None and self._sim is not None:
                rec = self._sim.recorder
                rec.record(self._sim.timeline.now, self._calls.id, self.call_count)
        return call
