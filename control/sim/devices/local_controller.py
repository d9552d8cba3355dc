"""A controller run in-process for the simulator: the instrument driver itself, built
with its own arguments (in simulation), in place of an RPC client.

``control.sim.enable`` puts it where a controller entry has ``sim_local``
(``{"module": ..., "class": ..., "arguments": {...}}``), so experiments that use lab
instruments run on the simulator without sipyco or a controller manager.
"""
import importlib

__all__ = ["LocalController"]


class LocalController:
    """Builds ``module.cls(**arguments)`` and forwards every attribute to it."""

    def __init__(self, dmgr, module, cls, arguments=None, _key=None):
        driver_cls = getattr(importlib.import_module(module), cls)
        self._driver = driver_cls(**(arguments or {}))
        self._key = _key

    def __getattr__(self, name):
        return getattr(self._driver, name)

    def close(self):
        """Close the driver, if it can be closed (what closing the RPC client would do)."""
        close = getattr(self._driver, "close", None)
        if close is not None:
            close()
