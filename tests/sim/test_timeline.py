"""The simulated timeline: ARTIQ's time semantics, exactly, in machine units."""
import pytest

from control.lang import (RTIOUnderflow, at_mu, delay, delay_mu, kernel, now_mu, parallel,
                          sequential, ns, us)
from control.managers import DeviceManager
from control.sim import enable

DDB = {"core": {"type": "local", "module": "artiq.coredevice.core", "class": "Core",
                "arguments": {"host": None, "ref_period": 1e-9}}}


@pytest.fixture
def core():
    return DeviceManager(enable(DDB)).get("core")


class Base:
    @kernel
    def wait(self, t_mu):
        delay_mu(t_mu)


class Kernels(Base):
    def __init__(self, core):
        self.core = core
        self.sig = core.sim.signal("probe", "level", "int", init=0)

    @kernel
    def nested(self):
        self.core.break_realtime()
        t0 = now_mu()
        with parallel:
            delay(10 * us)
            with sequential:
                delay(3 * us)
                delay(4 * us)
            self.wait(12000)  # a kernel call is one statement of the block
            with parallel:
                delay(20 * us)
                delay(5 * us)
        after = now_mu() - t0
        with sequential:
            delay_mu(7)
        return after, now_mu() - t0

    @kernel
    def wait(self, t_mu):
        super().wait(t_mu)  # zero-argument super() still works after rewriting

    @kernel
    def rounding(self):
        t0 = now_mu()
        delay(1.5 * ns)   # rounds half away from zero: 2
        a = now_mu() - t0
        delay(-1.5 * ns)  # -2
        b = now_mu() - t0
        delay(0.4 * ns)   # 0
        return a, b, now_mu() - t0

    @kernel
    def events_in_parallel(self):
        self.core.break_realtime()
        t0 = now_mu()
        with parallel:
            with sequential:
                self.core.sim.output(self.sig, 1)
                delay_mu(100)
                self.core.sim.output(self.sig, 2)
            self.core.sim.output(self.sig, 3)
        return t0

    @kernel
    def burst(self, spacing_mu, n):
        self.core.break_realtime()
        for i in range(n):
            self.core.sim.output(self.sig, i)
            delay_mu(spacing_mu)


def test_parallel_follows_artiqs_compiler(core):
    assert Kernels(core).nested() == (20000, 20007)


def test_delay_rounds_like_the_compiler(core):
    core.tm.now = 0
    assert Kernels(core).rounding() == (2, 0, 0)


def test_seconds_to_mu_floors_like_artiq(core):
    assert core.seconds_to_mu(1e-6) == 999  # ARTIQ's floor, a known pitfall
    assert core.seconds_to_mu(2e-9) == 2
    assert core.mu_to_seconds(1000) == pytest.approx(1e-6)


def test_events_are_released_in_time_order(core):
    k = Kernels(core)
    t0 = k.events_in_parallel()
    assert core.sim.events("probe") == [(t0, "level", 1), (t0, "level", 3),
                                        (t0 + 100, "level", 2)]
    assert core.sim.peek("probe", "level", t0 + 50) == 3
    assert core.sim.peek("probe", "level", t0 - 1) == 0


def test_break_realtime_and_reset_margin(core):
    class K:
        def __init__(self, core):
            self.core = core

        @kernel
        def go(self):
            at_mu(0)
            self.core.break_realtime()
            return now_mu() - self.core.get_rtio_counter_mu()

    assert K(core).go() == 125000


def test_underflow_when_events_outrun_the_cpu(core):
    k = Kernels(core)
    with pytest.raises(RTIOUnderflow, match="probe.level"):
        k.burst(100, 2000)  # 100 ns apart: faster than the CPU submits them
    k.burst(2000, 2000)     # 2 µs apart: the CPU keeps up


def test_slack_model_can_be_switched_off():
    core = DeviceManager(enable(DDB, slack={"enabled": False})).get("core")
    Kernels(core).burst(1, 5000)
    assert core.sim.underflows == 0


def test_kernel_without_source_runs_parallel_sequentially_and_warns(core, caplog):
    namespace = {"kernel": kernel, "parallel": parallel, "delay_mu": delay_mu,
                 "now_mu": now_mu}
    exec("class K:\n"
         "    def __init__(self, core):\n"
         "        self.core = core\n"
         "    @kernel\n"
         "    def go(self):\n"
         "        t0 = now_mu()\n"
         "        with parallel:\n"
         "            delay_mu(10)\n"
         "            delay_mu(20)\n"
         "        return now_mu() - t0\n", namespace)
    assert namespace["K"](core).go() == 30
    assert "source" in caplog.text
