"""Simulated ``artiq.coredevice.cache.CoreCache``: values kept between kernels."""
from control.lang import portable

__all__ = ["CoreCache"]


class CoreCache:
    kernel_invariants = {"core"}

    def __init__(self, dmgr, core_device="core", _key=None):
        self.core = dmgr.get(core_device)
        self._store = {}

    @portable
    def get(self, key):
        return list(self._store.get(key, []))

    @portable
    def put(self, key, value):
        if value:
            self._store[key] = list(value)
        else:
            self._store.pop(key, None)
