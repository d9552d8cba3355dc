"""Every experiment's kernels compile with ARTIQ's own compiler for both traps' hardware
device databases (RISC-V, no hardware). Skips without ARTIQ.

``artiq_compile`` refuses kernels that call RPCs (ours send results asynchronously), so
this runs ``artiq_run`` on a copy of each device database whose core has ``host: None``:
ARTIQ compiles the kernel, dumps the ELF (``ARTIQ_DUMP_ELF``) and runs nothing. A compile
error shows as ``error:`` in the output and no ELF (``artiq_run`` itself may still exit 0).
"""
import os
import shutil
import subprocess
import sys

import pytest

pytest.importorskip("artiq")

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
    from artiq.master.databases import DatasetDB
    folder = tmp_path_factory.mktemp("artiq")
    for system in systems.names():
        (folder / "ddb_{}.py".format(system)).write_text(
            "import runpy\n"
            "device_db = runpy.run_path({!r})['device_db']\n"
            "device_db['core']['arguments']['host'] = None\n".format(
                systems.device_db_path(system)))
        db = DatasetDB(str(folder / "datasets_{}.mdb".format(system)))
        for key, value in systems.sim_config(system)["datasets"].items():
            db.set(key, value, persist=True)
        db.save()
        db.close_db()
    return folder, artiq_run


@pytest.mark.parametrize("system", systems.names())
@pytest.mark.parametrize("job", sorted(JOBS))
def test_kernels_compile_for_the_crate(lab, system, job):
    folder, artiq_run = lab
    file, *arguments = JOBS[job]
    prefix = str(folder / "{}_{}".format(job, system))
    env = dict(os.environ, ARTIQ_DUMP_ELF=prefix,
               PYTHONPATH=os.pathsep.join([ROOT] + sys.path))
    out = subprocess.run(
        [artiq_run, "--device-db", str(folder / "ddb_{}.py".format(system)),
         "--dataset-db", str(folder / "datasets_{}.mdb".format(system)),
         os.path.join(ROOT, "experiments", file), 'system="{}"'.format(system)] + arguments,
        cwd=str(folder), env=env, capture_output=True, text=True, timeout=600)
    text = out.stdout + out.stderr
    assert "error:" not in text, text[-3000:]
    assert os.path.exists(prefix + ".elf"), text[-3000:]
