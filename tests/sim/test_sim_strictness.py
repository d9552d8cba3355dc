"""The simulator refuses what it would otherwise ignore, and charges what it models.

* A sim config key (``control_sim`` argument), a slack-model field or a fault it does not
  know raises, naming the key and what is accepted; every key that ``control.sim.enable``
  and the traps' sim configs pass is accepted.
* A kernel's call of a host function (an RPC on the core device) costs the CPU estimate
  ``SlackModel.rpc_ns`` (synchronous) or ``async_rpc_ns`` (``@rpc(flags={"async"})``);
  calls the core device makes itself (kernels, portable functions, the timeline, built-ins,
  numpy) cost no RPC.
"""
import os

import numpy as np
import pytest

from control.device_db import load_device_db
from control.lang import RTIOUnderflow, delay_mu, kernel, now_mu, portable, rpc
from control.managers import DeviceManager
from control.sim import SIM_DEVICE, Simulation, enable
from control.sim.timeline import SlackModel
from drivers import systems

DDB = {"core": {"type": "local", "module": "artiq.coredevice.core", "class": "Core",
                "arguments": {"host": None, "ref_period": 1e-9}}}


# ---- unknown keys

def test_unknown_config_key_is_refused_naming_it_and_the_accepted_ones():
    with pytest.raises(TypeError) as info:
        Simulation(sed=3)
    message = str(info.value)
    assert "'sed'" in message and "did you mean 'seed'" in message
    for key in ("seed", "vcd", "slack", "model", "ref_period", "history_limit", "faults",
                "datasets"):
        assert key in message


def test_misspelt_key_in_a_device_db_sim_entry_fails_the_build():
    ddb = dict(DDB)
    ddb[SIM_DEVICE] = {"type": "local", "module": "control.sim.simulation",
                       "class": "Simulation", "arguments": {"histroy_limit": 10}}
    dmgr = DeviceManager(enable(ddb))
    with pytest.raises(Exception, match="'histroy_limit'.*history_limit"):
        dmgr.get("core")


def test_unknown_slack_field_and_fault_are_refused():
    with pytest.raises(TypeError, match="'event_us'.*event_ns"):
        Simulation(slack={"event_us": 1.0})
    with pytest.raises(TypeError, match="'ttl0'.*'stuck_onn'.*stuck_on"):
        Simulation(faults={"ttl0": {"stuck_onn": True}})


def test_every_key_enable_passes_is_accepted(tmp_path):
    ddb = enable(DDB, seed=4, vcd=str(tmp_path / "w.vcd"), slack={"event_ns": 600.0},
                 model=None, history_limit=1000, ref_period=1e-9, datasets={"a": 1},
                 faults={"ttl0": {"disconnected": True, "stuck": False, "stuck_on": False}})
    sim = DeviceManager(ddb).get(SIM_DEVICE)
    assert (sim.seed, sim.timeline.event_mu) == (4, 600)
    sim.close()


@pytest.mark.parametrize("system", systems.names())
def test_the_traps_sim_configs_are_accepted(system):
    path = os.path.join(os.path.dirname(systems.device_db_path(system)), "device_db_sim.py")
    dmgr = DeviceManager(load_device_db(path))
    assert dmgr.get(SIM_DEVICE).model is not None
    sim_config = systems.sim_config(system, seed=2, vcd=None)
    assert DeviceManager(enable(load_device_db(systems.device_db_path(system)),
                                **sim_config)).get(SIM_DEVICE).seed == 2


# ---- RPC costs

def _host_function(x):
    return x + 1


@portable
def _portable_function(x):
    return x + 1


class Calls:
    def __init__(self, core):
        self.core = core
        self.seen = []
        self.sig = core.sim.signal("probe", "level", "int", init=0)

    def host(self, value):            # undecorated: an RPC, synchronous
        self.seen.append(value)
        return value

    @rpc(flags={"async"})
    def note(self, value):            # an asynchronous RPC
        self.seen.append(value)

    @kernel
    def inner(self):
        pass

    @kernel
    def cost_of(self, what):
        """The CPU time (mu) that ``what`` takes, at the same cursor."""
        self.core.break_realtime()
        before = self.core.get_rtio_counter_mu()
        if what == "sync":
            self.host(1)
        elif what == "async":
            self.note(2)
        elif what == "function":
            _host_function(3)
        elif what == "print":
            print("from a kernel")
        elif what == "kernel":
            self.inner()
        elif what == "portable":
            _portable_function(4)
        elif what == "compiled":
            delay_mu(0)
            now_mu()
            int(len([1, 2]))
            np.int64(5)
            np.sqrt(4.0)
        return self.core.get_rtio_counter_mu() - before

    @kernel
    def event_after_rpcs(self, n):
        self.core.break_realtime()  # 125 µs of slack
        for i in range(n):
            self.host(i)
        self.core.sim.output(self.sig, 1)


@pytest.fixture
def calls():
    return Calls(DeviceManager(enable(DDB)).get("core"))


def test_rpc_costs_are_charged_to_the_cpu(calls, capsys):
    slack = SlackModel()
    tm = calls.core.tm
    assert calls.cost_of("sync") == slack.rpc_ns == 40000
    assert calls.cost_of("async") == slack.async_rpc_ns == 4000
    assert calls.cost_of("function") == slack.rpc_ns
    assert calls.cost_of("print") == slack.rpc_ns
    assert "from a kernel" in capsys.readouterr().out
    assert calls.seen == [1, 2]  # the host functions ran, with their arguments
    assert tm.rpcs == 4


def test_what_the_core_device_does_itself_costs_no_rpc(calls):
    tm = calls.core.tm
    assert calls.cost_of("kernel") == tm.call_mu  # a kernel call: its own cost
    assert calls.cost_of("portable") == 0
    assert calls.cost_of("compiled") == 0
    assert tm.rpcs == 0


def test_rpcs_use_up_slack_until_an_event_underflows(calls):
    calls.event_after_rpcs(3)  # 120 µs of RPCs: the event still makes it
    with pytest.raises(RTIOUnderflow, match="probe.level"):
        calls.event_after_rpcs(4)  # 160 µs: late


def test_switching_the_slack_model_off_drops_rpc_costs():
    core = DeviceManager(enable(DDB, slack={"enabled": False})).get("core")
    calls = Calls(core)
    assert calls.cost_of("sync") == 0
    calls.event_after_rpcs(100)
