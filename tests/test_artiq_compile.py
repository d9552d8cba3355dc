"""Every experiment's kernels compile with ARTIQ's own compiler for both traps' hardware
device databases (RISC-V, no hardware). Skips without ARTIQ.

``artiq_compile`` refuses kernels that call RPCs (ours send results asynchronously), so
this runs ``artiq_run`` on a copy of each device database whose core has ``host: None``:
ARTIQ compiles the kernel, dumps the ELF (``ARTIQ_DUMP_ELF``) and runs nothing. A compile
error shows as ``error:`` (or ``fatal:``) in the output and no ELF (``artiq_run`` itself
still exits 0). The host part of the run that follows (``analyze`` on no data) may fail:
only the compile is checked.

The calibration programs (``kernels.calibration``: the fragments ``experiments/
calibrate.py``'s nodes play, each ``run()`` a compile of its own on a crate) are compiled
the same way by a harness experiment (``CALIBRATION_HARNESS``, written beside the device
databases) that is ``Calibrate`` itself with one more argument: it builds the trap as a
calibration does (``Measurement.ops()``: the trap built afresh with
``System.calibration_overrides``, once per program) and plays each program, built as its
node builds it, one after the other in one ``artiq_run`` as a calibration run does, each
compile dumped to an ELF of its own. The harness marks each program's part of the output,
so each program's diagnostics are checked on their own.
"""
import os
import re
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


def _compile(folder, artiq_run, device_db, dataset_db, file, arguments, name,
             class_name=None):
    """``artiq_run`` one experiment (``file``: under ``experiments/``, or a path) on a
    host-less core; assert that its kernel compiled to an ELF for the core's CPU. Returns
    the ELF's path and what ``artiq_run`` printed."""
    prefix = str(folder / name)
    if os.path.exists(prefix + ".elf"):
        os.remove(prefix + ".elf")
    env = dict(os.environ, ARTIQ_DUMP_ELF=prefix,
               PYTHONPATH=os.pathsep.join([ROOT] + sys.path))
    command = [artiq_run, "--device-db", str(device_db), "--dataset-db", str(dataset_db)]
    if class_name is not None:
        command += ["-c", class_name]
    out = subprocess.run(
        command + [os.path.join(ROOT, "experiments", file)] + arguments,
        cwd=str(folder), env=env, capture_output=True, text=True, timeout=600)
    text = out.stdout + out.stderr
    # ARTIQ's diagnostics: "error:" for type errors, "fatal:" for what it cannot parse
    # (an f-string, say); artiq_run prints them and returns, writing no ELF.
    _check_compiled(text, prefix + ".elf", device_db)
    return prefix + ".elf", text


def _check_compiled(text, elf, device_db):
    """No diagnostic in ``text`` (what ``artiq_run`` printed of one compile), and ``elf``
    exists, an ELF for the CPU of the core in ``device_db``."""
    assert "error:" not in text and "fatal:" not in text, text[-3000:]
    assert os.path.exists(elf), text[-3000:]
    machine = _elf_machine(elf)
    target = _core_target(device_db)
    assert machine == ELF_MACHINES.get(target, machine), (
        "{} is for ELF machine {}, the core's target {} is {}".format(
            elf, machine, target, ELF_MACHINES.get(target)))


#: ELF ``e_machine`` of each ARTIQ core target.
ELF_MACHINES = {"rv32g": 243, "rv32ima": 243, "cortexa9": 40}


def _elf_machine(path):
    """The ``e_machine`` of a 32-bit little-endian ELF file (an assertion if it is not
    one)."""
    with open(path, "rb") as f:
        header = f.read(20)
    assert header[:4] == b"\x7fELF" and header[4] == 1 and header[5] == 1, (
        "{} is not a 32-bit little-endian ELF: {!r}".format(path, header))
    return int.from_bytes(header[18:20], "little")


def _core_target(device_db):
    """The core's ``target`` in a device database file (None if it names none)."""
    import runpy
    ddb = runpy.run_path(str(device_db))["device_db"]
    return ddb["core"].get("arguments", {}).get("target")


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


# --- the calibration programs ---------------------------------------------------------

#: The harness: ``Calibrate`` with a ``programs`` argument (names, comma-separated); its
#: ``run`` builds the trap as the calibration nodes do (``Measurement.ops``, with an
#: override where the node scans a calibration) and plays each program, with the points
#: its node gives it, dumping each compile to ``$ARTIQ_DUMP_ELF_<program>.elf``. Its
#: lines ``== compiling NAME``, ``== played NAME`` and ``== failed NAME`` (on stderr, where
#: ARTIQ prints its diagnostics) frame each program's output. ``broken`` is a kernel
#: ARTIQ's compiler must refuse (a string where ``rphi`` takes an angle).
CALIBRATION_HARNESS = '''"""Calibration programs compiled by ARTIQ (tests/test_artiq_compile)."""
import os
import sys
import traceback

import numpy as np

from control.constants import PI
from control.lang import StringValue, TInt32, kernel
from experiments.calibrate import Calibrate
from kernels.calibration.programs import MsGates, RamseyPhases, RotationPulses
from kernels.detection import ReadoutHistogram
from kernels.ramsey import Ramsey

SHOTS = 2


def rotation_pulses(env, m):
    # PiTime's check: 21 and 23 pi/2 pulses
    return RotationPulses(env, m.ops(), shots=SHOTS, qubit=0, angles=[PI / 2, PI / 2],
                          repeats=[21, 23])


def rotation_pulses_detuned(env, m):
    # QubitFrequencies' spectroscopy: a pi pulse on a trap built at a scanned frequency
    refs = m.roles["qubit_frequency"]
    ops = m.ops({refs[-1]: float(m.value(refs[-1])) + 1e3})
    return RotationPulses(env, ops, shots=SHOTS, qubit=len(refs) - 1, angles=[PI])


def ramsey_phases(env, m):
    # QubitFrequencies' check: a Ramsey pair at +-pi/2 after one and five pi times
    ops = m.ops()
    t_pi = ops.native_gates().duration("rphi", PI)
    return RamseyPhases(env, ops, shots=SHOTS, qubit=0,
                        waits=[t_pi, t_pi, 5 * t_pi, 5 * t_pi],
                        phases=[PI / 2, -PI / 2, PI / 2, -PI / 2])


def ms_gates(env, m):
    # MsGateTime's calibration: 1..10 gates
    return MsGates(env, m.ops(), shots=SHOTS, repeats=np.arange(1, 11))


def ms_gates_detuned(env, m):
    # MsDetuning's scan: one gate on a trap built at a scanned detuning
    ref = m.roles["ms.detuning"]
    return MsGates(env, m.ops({ref: float(m.value(ref)) + 1e3}), shots=SHOTS, repeats=[1])


def readout_histogram(env, m):
    # DetectionThreshold
    return ReadoutHistogram(env, m.ops(), shots=SHOTS)


def ramsey(env, m):
    # QubitFrequencies' Ramsey
    program = Ramsey(env, m.ops(), qubit=0, artificial_detuning=20e3, shots=SHOTS,
                     dataset=None)
    program.set_waits(np.linspace(0.0, 200e-6, 15))
    return program


class BrokenPulses(RotationPulses):
    @kernel
    def sequence(self, point: TInt32):
        self.ops.rphi("not an angle", 0.0, self.qubit)


def broken(env, m):
    return BrokenPulses(env, m.ops(), shots=SHOTS, qubit=0, angles=[PI])


PROGRAMS = {f.__name__: f for f in (rotation_pulses, rotation_pulses_detuned,
                                    ramsey_phases, ms_gates, ms_gates_detuned,
                                    readout_histogram, ramsey, broken)}


def mark(text):
    print("==", text, file=sys.stderr, flush=True)


class CompileCalibrationPrograms(Calibrate):
    """Compile calibration programs"""

    def build(self):
        super().build()
        self.setattr_argument("programs", StringValue(",".join(PROGRAMS)))

    def run(self):
        self.make_maintainer()  # self.measurement: how the nodes build the trap
        prefix = os.environ["ARTIQ_DUMP_ELF"]
        for name in self.programs.split(","):
            mark("compiling " + name)
            os.environ["ARTIQ_DUMP_ELF"] = prefix + "_" + name
            try:
                self.measurement.play(PROGRAMS[name](self, self.measurement))
            except Exception as exc:  # ARTIQ printed a compile error as it found it
                if type(exc).__name__ != "CompileError":
                    traceback.print_exc()
                mark("failed " + name)
            else:
                mark("played " + name)
'''

#: What the nodes of ``kernels/calibration/nodes.py`` play, as harness programs.
CALIBRATION_PROGRAMS = ["rotation_pulses", "rotation_pulses_detuned", "ramsey_phases",
                        "ms_gates", "ms_gates_detuned", "readout_histogram", "ramsey"]


def _compile_programs(lab, system, programs, name):
    """``artiq_run`` of the harness on ``system``'s host-less crate, playing ``programs``;
    ``{program: (its part of the output, its ELF path)}``."""
    folder, artiq_run = lab
    harness = folder / "compile_calibration_programs.py"
    harness.write_text(CALIBRATION_HARNESS)
    prefix = str(folder / name)
    env = dict(os.environ, ARTIQ_DUMP_ELF=prefix,
               PYTHONPATH=os.pathsep.join([ROOT] + sys.path))
    out = subprocess.run(
        [artiq_run, "--device-db", str(folder / "ddb_{}.py".format(system)),
         "--dataset-db", str(folder / "datasets_{}.mdb".format(system)),
         "-c", "CompileCalibrationPrograms", str(harness), 'system="{}"'.format(system),
         'programs="{}"'.format(",".join(programs))],
        cwd=str(folder), env=env, capture_output=True, text=True, timeout=600)
    parts = re.split(r"^== compiling (\w+)\n", out.stderr, flags=re.M)
    found = {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}
    assert list(found) == list(programs), (
        "the harness compiled {}, not {}:\n{}{}".format(
            list(found), list(programs), out.stdout[-3000:], out.stderr[-3000:]))
    return {p: (text, "{}_{}.elf".format(prefix, p)) for p, text in found.items()}


@pytest.fixture(scope="module")
def calibration_programs(lab):
    """``system -> {program: (output, ELF path)}``: every calibration program compiled
    for each trap's crate, one ``artiq_run`` a trap (as one calibration run compiles
    them)."""
    return {system: _compile_programs(lab, system, CALIBRATION_PROGRAMS,
                                      "calibration_" + system)
            for system in systems.names()}


@pytest.mark.parametrize("system", systems.names())
@pytest.mark.parametrize("program", CALIBRATION_PROGRAMS)
def test_calibration_programs_compile_for_the_crate(lab, calibration_programs, system,
                                                    program):
    text, elf = calibration_programs[system][program]
    _check_compiled(text, elf, lab[0] / "ddb_{}.py".format(system))
    # the kernel compiled and "ran": the program was built as its node builds it
    assert "== played " + program in text, text[-3000:]


def test_a_kernel_that_does_not_compile_fails_the_check(lab):
    """The check above sees a compile error, though ``artiq_run`` exits 0 on one; a
    program compiled after it in the same run still compiles."""
    system = systems.names()[0]
    ddb = lab[0] / "ddb_{}.py".format(system)
    found = _compile_programs(lab, system, ["broken", "rotation_pulses"], "broken")
    text, elf = found["broken"]
    with pytest.raises(AssertionError) as failure:
        _check_compiled(text, elf, ddb)
    assert "error:" in str(failure.value) and "== failed broken" in text, text
    assert not os.path.exists(elf)
    _check_compiled(*found["rotation_pulses"], ddb)
