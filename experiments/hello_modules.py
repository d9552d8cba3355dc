"""A first look at the module system on the simulator: a toy system with three declared
modules, of which the experiment uses one.

    control run experiments/hello_modules.py --device-db tests/data/device_db_core.py --sim
    control link experiments/hello_modules.py --device-db tests/data/device_db_core.py --sim

The kernel steps a timeline with a calibrated tick inside ``parallel`` blocks and stores
the timestamps it saw; ``control link`` shows that only the clock module was built.
"""
import numpy as np

from control.lang import (EnvExperiment, NumberValue, TArray, TInt64, delay, delay_mu, kernel,
                          now_mu, parallel, us)
from control.modules import Module, System, module


class Clock(Module):
    """Keeps a tick length, calibrated in seconds and used in machine units."""

    def init(self):
        self.setattr_calibration("tick", 2 * us, to_mu=True, min=0.0)

    @kernel
    def step(self):
        delay_mu(self.tick)


class Shutter(Module):
    """Declared but unused: never built, never linked."""


class ToySystem(System):
    system_name = "toy"
    clock = module(Clock)
    shutter = module(Shutter)
    spare_clock = module(Clock)


class HelloModules(EnvExperiment):
    """Module system tour

    Steps the toy system's clock and records the timeline."""

    def build(self):
        self.setattr_argument("steps", NumberValue(5, precision=0, step=1, min=1, max=1000),
                              tooltip="ticks of the toy clock to record")
        self.setattr_device("core")
        self.toy = ToySystem(self)
        self.clock = self.toy.clock

    def prepare(self):
        super().prepare()
        self.stamps = np.zeros(self.steps, dtype=np.int64)

    @kernel
    def run(self):
        self.core.break_realtime()
        t0 = now_mu()
        for i in range(self.steps):
            with parallel:
                self.clock.step()
                delay(1 * us)
            self.stamps[i] = now_mu() - t0
        self.store(self.stamps)

    def store(self, stamps: TArray(TInt64)):  # type: ignore[valid-type]
        self.set_dataset("stamps_mu", np.array(stamps), broadcast=True)
        self.set_dataset("tick_mu", int(self.clock.tick))
