"""The aqctl_* controllers: device-database entries, the clear exit without
sipyco, and (where sipyco is installed) a real RPC round trip."""
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from drivers.instruments import CONTROLLERS, controller_entries
from drivers.instruments import aqctl_ascii_synth, aqctl_power_supply, aqctl_rf_generator
from drivers.instruments.visa_base import sim_file

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = {"rf_generator": aqctl_rf_generator, "power_supply": aqctl_power_supply,
           "ascii_synth": aqctl_ascii_synth}


def test_controller_entries_follow_the_device_db_format():
    entries = controller_entries()
    assert set(entries) == set(CONTROLLERS) == set(MODULES)
    ports = [e["port"] for e in entries.values()]
    assert len(set(ports)) == len(ports) and all(3270 <= p <= 3279 for p in ports)
    for name, entry in entries.items():
        assert entry["type"] == "controller" and entry["host"] == "::1"
        assert entry["port"] == MODULES[name].DEFAULT_PORT
        assert entry["target_name"] == MODULES[name].TARGET
        assert entry["command"] == "aqctl_{} -p {{port}} --bind {{bind}} --simulation".format(name)
    # ARTIQ's controller manager fills in {port} and {bind}.
    assert entries["rf_generator"]["command"].format(port=3270, bind="::1") == \
        "aqctl_rf_generator -p 3270 --bind ::1 --simulation"


def test_controller_entries_for_real_instruments_need_a_resource():
    entry = controller_entries(
        ["power_supply"], host="10.0.0.2", simulation=False,
        arguments={"power_supply": "--resource TCPIP0::10.0.0.6::inst0::INSTR --max-current 3"})
    assert entry == {"power_supply": {
        "type": "controller", "host": "10.0.0.2", "port": 3271, "target_name": "power_supply",
        "command": "aqctl_power_supply -p {port} --bind {bind} "
                   "--resource TCPIP0::10.0.0.6::inst0::INSTR --max-current 3"}}
    with pytest.raises(ValueError, match="'rf_generator': give its --resource"):
        controller_entries(["rf_generator"], simulation=False)
    with pytest.raises(ValueError, match="unknown or unselected controller.*oven"):
        controller_entries(["oven"])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_controller_without_sipyco_exits_with_a_clear_message(monkeypatch, name):
    for module in ("sipyco", "sipyco.common_args", "sipyco.pc_rpc"):
        monkeypatch.setitem(sys.modules, module, None)  # makes the import fail
    with pytest.raises(SystemExit) as info:
        MODULES[name].main(["--simulation"])
    message = str(info.value.code)
    assert "aqctl_" + name in message
    assert "sipyco is required for the controller; install ARTIQ/sipyco through " \
           "ARTIQ's channels" in message


def test_drivers_never_import_sipyco():
    code = ("import sys; import drivers.instruments.rf_generator, "
            "drivers.instruments.power_supply, drivers.instruments.ascii_synth, "
            "drivers.instruments.aqctl_rf_generator; "
            "assert 'sipyco' not in sys.modules, 'sipyco imported'")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env=pythonpath_env())


def pythonpath_env():
    """The environment, with the project first on PYTHONPATH (kept for the lab env)."""
    paths = [ROOT] + [p for p in [os.environ.get("PYTHONPATH")] if p]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.artiq  # needs sipyco, which comes with ARTIQ
@pytest.mark.parametrize("name, resource", [
    ("rf_generator", "TCPIP0::192.168.1.20::inst0::INSTR"),
    ("power_supply", "TCPIP0::192.168.1.21::inst0::INSTR"),
    ("ascii_synth", "ASRL1::INSTR"),
])
def test_controller_serves_the_driver_over_rpc(tmp_path, name, resource):
    pytest.importorskip("sipyco")
    from sipyco.pc_rpc import Client

    yaml = tmp_path / (name + ".yaml")
    shutil.copy(sim_file(name + ".yaml"), yaml)
    port = free_port()
    env = pythonpath_env()
    proc = subprocess.Popen(
        [sys.executable, "-m", "drivers.instruments.aqctl_" + name,
         "--backend", "{}@sim".format(yaml), "--resource", resource,
         "--no-localhost-bind", "--bind", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        client = None
        deadline = time.monotonic() + 20
        while client is None:
            try:
                client = Client("127.0.0.1", port, MODULES[name].TARGET)
            except ConnectionRefusedError:
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.monotonic() < deadline, "controller did not start"
                time.sleep(0.1)
        try:
            assert client.ping() is True
            if name == "power_supply":
                client.set_voltage(1.5)
                assert client.get_voltage() == pytest.approx(1.5)
                client.ramp_current(0.5)
                assert client.status()["current_a"] == pytest.approx(0.5)
                with pytest.raises(Exception, match="SafetyLimitError.*current 9 A refused"):
                    client.set_current(9.0)
                assert client.get_current() == pytest.approx(0.5)
            else:
                client.set_frequency(1.25e9)
                assert client.get_frequency() == pytest.approx(1.25e9)
                with pytest.raises(Exception, match="SafetyLimitError.*power 10 dBm refused"):
                    client.set_power(10.0)
                assert client.limits()["max_power_dbm"] == 0.0
            client.terminate()
        finally:
            client.close_rpc()
        assert proc.wait(timeout=10) == 0, proc.stdout.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
