"""Every experiment's kernels compile with ARTIQ's own compiler for both traps' hardware
device databases (RISC-V, no hardware). Skips without ARTIQ.

``artiq_compile`` refuses kernels that call RPCs (ours send results asynchronously), so
this runs ``artiq_run`` on a copy of each device database whose core has ``host: None``:
ARTIQ compiles the kernel, dumps the ELF (``ARTIQ_DUMP_ELF``) and runs nothing. A compile
error shows as ``error:`` (or ``fatal:``) in the output and no ELF (``artiq_run`` itself
still exits 0). The host part of the run that follows (``analyze`` on no data) may fail:
only the compile is checked.
"""
import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.artiq
pytest.importorskip("artiq")

import artiqlab  # noqa: E402  (tests/artiqlab.py)
from drivers import systems  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JOBS = {
    "rabi": ["rabi.py", "shots=2"],
    "ramsey": ["ramsey.py", "shots=2"],
    "readout": ["readout.py", "shots=2"],
    "rb1q": ["rb.py", "n_qubits=1", 'lengths="[1, 2, 3, 4]"', "samples=1", "shots=1"],
    "rb2q": ["rb.py", "n_qubits=2", 'lengths="[1, 2, 3, 4]"', "samples=1", "shots=1"],
    "circuit": ["circuit.py", "shots=2"],
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    artiq_run = shutil.which("artiq_run")
    if artiq_run is None:
        pytest.skip("artiq_run is not on PATH")
    folder = tmp_path_factory.mktemp("artiq")
    for system in systems.names():
        (folder / "ddb_{}.py".format(system)).write_text(
            "import runpy\n"
            "device_db = runpy.run_path({!r})['device_db']\n"
            "device_db['core']['arguments']['host'] = None\n".format(
                systems.device_db_path(system)))
        # the calibrations as a lab writes them: `control calibrations --from sim`
        artiqlab.write_calibrations(system, folder / "datasets_{}.mdb".format(system))
    return folder, artiq_run


def _compile(folder, artiq_run, device_db, dataset_db, file, arguments, name):
    """``artiq_run`` one experiment on a host-less core; assert that its kernel compiled."""
    prefix = str(folder / name)
    env = dict(os.environ, ARTIQ_DUMP_ELF=prefix,
               PYTHONPATH=os.pathsep.join([ROOT] + sys.path))
    out = subprocess.run(
        [artiq_run, "--device-db", str(device_db), "--dataset-db", str(dataset_db),
         os.path.join(ROOT, "experiments", file)] + arguments,
        cwd=str(folder), env=env, capture_output=True, text=True, timeout=600)
    text = out.stdout + out.stderr
    # ARTIQ's diagnostics: "error:" for type errors, "fatal:" for what it cannot parse
    # (an f-string, say); artiq_run prints them and returns, writing no ELF.
    assert "error:" not in text and "fatal:" not in text, text[-3000:]
    assert os.path.exists(prefix + ".elf"), text[-3000:]


@pytest.mark.parametrize("system", systems.names())
@pytest.mark.parametrize("job", sorted(JOBS))
def test_kernels_compile_for_the_crate(lab, system, job):
    if job == "circuit":
        pytest.importorskip("qiskit")  # the experiment parses its circuit in build()
    folder, artiq_run = lab
    file, *arguments = JOBS[job]
    _compile(folder, artiq_run, folder / "ddb_{}.py".format(system),
             folder / "datasets_{}.mdb".format(system), file,
             ['system="{}"'.format(system)] + arguments, "{}_{}".format(job, system))


def test_hello_modules_compiles(lab):
    """The toy system of ``hello_modules.py`` on a crate with only a (host-less) core."""
    folder, artiq_run = lab
    _compile(folder, artiq_run, os.path.join(ROOT, "tests", "data", "device_db_core.py"),
             folder / "datasets_core.mdb", "hello_modules.py", ["steps=3"], "hello_modules")
