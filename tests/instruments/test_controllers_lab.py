"""The ARTIQ lab lane: each trap's instrument controllers, started as a controller manager
would start them from the simulated twin's device database, answer ``sipyco_rpctool``
with the trap's limits and take the trap's operating point.

Needs sipyco and the project's console scripts (``pip install -e .`` in the lab's ARTIQ
environment); the controllers run their simulated instruments (pyvisa-sim).
"""
import ast
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.artiq
pytest.importorskip("sipyco")

from sipyco import common_args as sipyco_common_args  # noqa: E402

from drivers.instruments import _controller  # noqa: E402
from drivers.instruments.power_supply import PowerSupply  # noqa: E402

from .test_device_db_controllers import (CASES, SCRIPTS, hardware_ddb,  # noqa: E402
                                         operating_point, parse, twin_ddb)


def installed(script):
    """Path of a console script of this environment, as the lab's shell would find it."""
    path = shutil.which(script, path=os.pathsep.join(
        [os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
    assert path, "{} is not installed in this environment (pip install -e .)".format(script)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(proc, port, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if proc.poll() is not None:
                pytest.fail("controller exited with {}:\n{}".format(
                    proc.returncode, proc.stdout.read()))
            if time.monotonic() > deadline:
                pytest.fail("controller not listening on port {} after {} s".format(
                    port, timeout))
            time.sleep(0.1)


class RpcTool:
    """Runs ``sipyco_rpctool 127.0.0.1 PORT ...`` and keeps what it printed."""

    def __init__(self, port):
        self.port = port
        self.tool = installed("sipyco_rpctool")
        self.transcript = []

    def __call__(self, *words, ok=True):
        argv = [self.tool, "127.0.0.1", str(self.port)] + [str(w) for w in words]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        self.transcript.append("$ sipyco_rpctool 127.0.0.1 {} {}\n{}{}".format(
            self.port, " ".join(str(w) for w in words), done.stdout, done.stderr))
        assert (done.returncode == 0) == ok, self.transcript[-1]
        return done.stdout if ok else done.stdout + done.stderr

    def value(self, *words):
        """A call's printed (pprint) result, read back as a Python value."""
        return ast.literal_eval(self("call", *words))


@pytest.mark.parametrize("trap, name", CASES)
def test_controller_from_the_sim_twin_answers_rpctool(trap, name):
    entry = twin_ddb(trap)[name]["controller"]
    port = free_port()
    # {bind} is already ::1 in the twin (loopback only); sipyco also binds 127.0.0.1 unless
    # told --no-localhost-bind, so the tool reaches it there.
    argv = shlex.split(entry["command"].format(port=port, bind="127.0.0.1"))
    script, args = parse(entry["command"], port=port)
    proc = subprocess.Popen([installed(argv[0])] + argv[1:], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    rpc = RpcTool(port)
    try:
        wait_listening(proc, port)
        targets = rpc("list-targets").splitlines()
        assert targets[0].split() == ["Target(s):", entry["target_name"]]
        assert rpc.value("ping") is True
        # The limits it serves are the hardware entry's.
        _, hardware_args = parse(hardware_ddb(trap)[name]["command"])
        with script.DRIVER(**script.limit_kwargs(hardware_args), simulation=True) as real:
            assert rpc.value("limits") == real.limits()
        point = operating_point(trap, name)
        if script.DRIVER is PowerSupply:
            limit = args.max_current
            rpc("call", "set_output", True)
            assert rpc.value("ramp_current", point["current"]) == pytest.approx(point["current"])
            refusal = rpc("call", "set_current", limit + 1e-3, ok=False)
            assert rpc.value("get_current") == pytest.approx(point["current"])
        else:
            limit = args.max_power
            rpc("call", "set_frequency", point["frequency"])
            assert rpc.value("get_frequency") == pytest.approx(point["frequency"], abs=1.0)
            assert rpc.value("ramp_power", point["power"]) == pytest.approx(point["power"])
            refusal = rpc("call", "set_power", limit + 1e-3, ok=False)
            assert rpc.value("get_power") == pytest.approx(point["power"])
        assert "SafetyLimitError" in refusal and "nothing was sent" in refusal
        rpc("call", "terminate")
        assert proc.wait(timeout=20) == 0, proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=20)
        print("\n".join(rpc.transcript))


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_stand_in_options_are_sipycos(script):
    """The parser built without sipyco takes the same options, with the same defaults."""
    def options(common_args):
        parser = SCRIPTS[script].get_argparser(common_args)
        return {tuple(a.option_strings): (a.dest, a.default, a.type, a.nargs, a.const,
                                          type(a).__name__)
                for a in parser._actions}
    assert options(_controller.STAND_IN_COMMON_ARGS) == options(sipyco_common_args)
