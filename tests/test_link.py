"""``control link``: RB links and reaches only the modules it calls."""
import os

import pytest

from control import pyon
from control.runner import link_experiment
from drivers import systems

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

RB_MODULES = {"ops", "cooling", "pumping", "detection", "detection.counter0",
              "detection.counter1", "drive", "ms", "ms.red", "ms.blue", "repump"}


def link(system, n_qubits):
    return link_experiment(os.path.join(ROOT, "experiments", "rb.py"), "RB",
                           {"system": system, "n_qubits": n_qubits,
                            "lengths": pyon.encode([1, 2, 3, 4])},
                           systems.device_db_path(system), sim=True,
                           sim_options=systems.sim_config(system),
                           dataset_db=systems.sim_config(system)["datasets"])


@pytest.mark.parametrize("system", systems.names())
def test_rb_links_only_what_it_calls(system):
    report = link(system, 2)
    (sysrep,) = report["systems"]
    prefix = system + "."
    linked = {m["module"][len(prefix):] for m in sysrep["modules"] if m["module"] != system}
    drive_children = {m for m in linked if m.startswith("drive.")}
    assert linked - drive_children == RB_MODULES
    assert set(sysrep["not_linked"]) == {prefix + m for m in
                                         ("trap_rf", "oven", "mw_source")
                                         if m in systems.system_class(system)
                                         .declared_modules()}
    (kernel,) = report["kernels"]
    # ca40 has no native rz: its kernel's play has no rz branch, so ops.rz is not reached
    native_rz = system == "yb171"
    assert kernel["kernel"] == ("RBKernel2.run" if native_rz else "RBKernel2RzAsPulses.run")
    assert ("IonTrapOperations.rz" in kernel["functions"]) == native_rz
    reached = {m[len(prefix):] for m in kernel["modules"]}
    assert reached == RB_MODULES | drive_children
    assert not any(d in kernel["devices"] for d in ("trap_rf", "oven", "mw_synth"))
    assert "{}.ops".format(system) in kernel["invariants"]
    assert "IonTrapOperations.rxx" in kernel["functions"]


def test_one_qubit_rb_kernel_does_not_reach_rxx():
    (kernel,) = link("yb171", 1)["kernels"]
    assert kernel["kernel"] == "RBKernel1.run"
    assert "IonTrapOperations.rxx" not in kernel["functions"]
    assert "IonTrapOperations.rphi" in kernel["functions"]
