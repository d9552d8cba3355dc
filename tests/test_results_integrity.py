"""Nothing lost (issue 18): concurrent runs each keep their own RID and file; results that
cannot go to the results folder go to a fallback folder the error names, with exit
status 1; result files get the permissions the umask allows."""
import os
import re
import subprocess
import sys
import time

import h5py
import pytest

from control import pyon
from control.cli import main
from control.results import ResultsWriteError, read_datasets
from control.runner import run_experiment

HERE = os.path.dirname(__file__)
ROOT = os.path.dirname(HERE)
DATA = os.path.join(HERE, "data")
CORE_DDB = os.path.join(DATA, "device_db_core.py")
HELLO = os.path.join(ROOT, "experiments", "hello_modules.py")
SAVED_TO = re.compile(
    r"results could not be written to (\S+) \((.+)\); saved to (\S+) instead")


def _env(tmp_path):
    """A home and temp dir of the test's own, so a fallback never lands in the real ones."""
    env = dict(os.environ, HOME=str(tmp_path / "home"), TMPDIR=str(tmp_path / "tmp"),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("XDG_DATA_HOME", None)
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return env


def _start_hello(steps, results, env):
    return subprocess.Popen(
        [sys.executable, "-m", "control.cli", "run", HELLO, "steps={}".format(steps),
         "--device-db", CORE_DDB, "--sim", "--results", str(results)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _h5_files(folder):
    return sorted(os.path.join(d, f) for d, _, files in os.walk(folder)
                  for f in files if f.endswith(".h5"))


def _expid(path):
    with h5py.File(path, "r") as f:
        return pyon.decode(f["expid"][()].decode())


def _rid(path):
    with h5py.File(path, "r") as f:
        return int(f["rid"][()])


def _block_hour_folders(results):
    """A file where this hour's folder (and the next minutes', across an hour boundary)
    should be: makedirs fails, for root too."""
    blocked = []
    for t in (time.time(), time.time() + 120):
        lt = time.localtime(t)
        day = results / time.strftime("%Y-%m-%d", lt)
        day.mkdir(parents=True, exist_ok=True)
        hour = day / time.strftime("%H", lt)
        hour.write_text("in the way\n")
        blocked.append(hour)
    return blocked


def test_sixteen_concurrent_runs_keep_sixteen_files(tmp_path):
    results = tmp_path / "results"
    env = _env(tmp_path)
    procs = {steps: _start_hello(steps, results, env) for steps in range(1, 17)}
    outcomes = {steps: (p.wait(timeout=120), p.stderr.read()) for steps, p in procs.items()}
    for p in procs.values():
        p.stdout.close()
        p.stderr.close()
    assert {s: rc for s, (rc, _) in outcomes.items()} == {s: 0 for s in procs}, outcomes
    files = _h5_files(results)
    assert len(files) == 16, files
    assert sorted(_expid(f)["arguments"]["steps"] for f in files) == list(range(1, 17))
    rids = [_rid(f) for f in files]
    assert sorted(rids) == list(range(16))
    for path, rid in zip(files, rids):
        assert os.path.basename(path) == "{:09}-HelloModules.h5".format(rid)
        steps = _expid(path)["arguments"]["steps"]
        assert len(read_datasets(path)["stamps_mu"]) == steps  # its own data, too
    assert (results / "last_rid.pyon").read_text().strip() == "15"
    assert not (tmp_path / "home").exists()  # nothing fell back
    assert not [f for _, _, fs in os.walk(results) for f in fs if f.endswith(".tmp")]


def test_file_in_the_way_sends_the_data_where_the_message_says(tmp_path):
    results = tmp_path / "results"
    blocked = _block_hour_folders(results)
    proc = _start_hello(7, results, _env(tmp_path))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, (out, err)
    match = SAVED_TO.search(err)
    assert match, err
    intended, reason, saved = match.groups()
    assert intended.startswith(str(results)) and "a file is in the way" in reason
    assert saved.startswith(str(tmp_path / "home" / ".local" / "share" / "ion-control"))
    assert _expid(saved)["arguments"] == {"steps": 7}
    assert read_datasets(saved)["stamps_mu"].tolist() == [2000 * i for i in range(1, 8)]
    assert all(b.read_text() == "in the way\n" for b in blocked)  # nothing clobbered
    assert _h5_files(results) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a 0555 folder anyway")
def test_read_only_results_folder_sends_the_data_where_the_message_says(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    results.chmod(0o555)
    try:
        proc = _start_hello(4, results, _env(tmp_path))
        out, err = proc.communicate(timeout=120)
    finally:
        results.chmod(0o755)
    assert proc.returncode == 1, (out, err)
    match = SAVED_TO.search(err)
    assert match, err
    assert "Permission denied" in match.group(2)
    assert _expid(match.group(3))["arguments"] == {"steps": 4}
    assert os.listdir(results) == []


def test_figures_follow_the_data_to_the_fallback(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    exp = tmp_path / "with_figure.py"
    exp.write_text(
        "from control.lang import EnvExperiment\n"
        "from control.results import figure_path\n\n"
        "class WithFigure(EnvExperiment):\n"
        "    def build(self):\n"
        "        self.setattr_device('scheduler')\n"
        "    def run(self):\n"
        "        self.set_dataset('x', 1)\n"
        "    def analyze(self):\n"
        "        with open(figure_path(self.scheduler, 'fig.png'), 'w') as f:\n"
        "            f.write('png')\n")
    results = tmp_path / "results"
    _block_hour_folders(results)
    with pytest.raises(ResultsWriteError) as info:
        run_experiment(str(exp), device_db=CORE_DDB, sim=True, results_dir=str(results))
    saved = info.value.saved
    assert saved.startswith(str(tmp_path / "data" / "ion-control" / "unsaved-results"))
    assert info.value.control_run.completed and info.value.control_run.path == saved
    assert sorted(os.listdir(os.path.dirname(saved))) == [
        "000000000-WithFigure.h5", "000000000-fig.png"]


def test_a_failed_run_that_cannot_be_saved_reports_both(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    results = tmp_path / "results"
    _block_hour_folders(results)
    assert main(["run", os.path.join(DATA, "failing.py"), "how=0", "--device-db", CORE_DDB,
                 "--sim", "--results", str(results)]) == 1
    err = capsys.readouterr().err
    assert "the laser unlocked" in err
    saved = SAVED_TO.search(err).group(3)
    assert read_datasets(saved)["before_failure"].tolist() == [1, 2, 3]
    with h5py.File(saved, "r") as f:
        assert not f["completed"][()]


def test_nowhere_to_save_says_the_data_is_lost(tmp_path, monkeypatch, capsys):
    def no_fallback(label):
        raise OSError("no space left anywhere")
    monkeypatch.setattr("control.results.fallback_folder", no_fallback)
    results = tmp_path / "results"
    _block_hour_folders(results)
    assert main(["run", HELLO, "--device-db", CORE_DDB, "--sim",
                 "--results", str(results)]) == 1
    err = capsys.readouterr().err
    assert "results could not be written to" in err and "no space left anywhere" in err
    assert "data is lost" in err


def test_output_file_that_cannot_be_written_falls_back(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    (tmp_path / "blocker").write_text("")
    assert main(["run", HELLO, "steps=2", "--device-db", CORE_DDB, "--sim",
                 "-o", str(tmp_path / "blocker" / "out.h5")]) == 1
    saved = SAVED_TO.search(capsys.readouterr().err).group(3)
    assert os.path.basename(saved) == "out.h5"
    assert read_datasets(saved)["stamps_mu"].tolist() == [2000, 4000]


def test_a_used_rid_never_overwrites_a_file(tmp_path, monkeypatch, capsys):
    """The exclusive publish guards against a writer that ignores the lock (a master on
    the same folder, a last_rid.pyon set back)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    results = tmp_path / "results"
    first = run_experiment(HELLO, arguments={"steps": 1}, device_db=CORE_DDB, sim=True,
                           results_dir=str(results))
    (results / "last_rid.pyon").write_text("-1\n")  # hands out RID 0 again
    assert main(["run", HELLO, "steps=2", "--device-db", CORE_DDB, "--sim",
                 "--results", str(results)]) == 1
    saved = SAVED_TO.search(capsys.readouterr().err).group(3)
    assert _expid(first.path)["arguments"] == {"steps": 1}
    assert _expid(saved)["arguments"] == {"steps": 2}


def test_lost_last_rid_file_continues_after_the_highest_rid(tmp_path):
    results = tmp_path / "results"
    for _ in range(3):
        run_experiment(HELLO, device_db=CORE_DDB, sim=True, results_dir=str(results))
    (results / "last_rid.pyon").unlink()
    again = run_experiment(HELLO, device_db=CORE_DDB, sim=True, results_dir=str(results))
    assert again.rid == 3 and len(_h5_files(results)) == 4


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_result_files_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        run = run_experiment(HELLO, device_db=CORE_DDB, sim=True,
                             results_dir=str(tmp_path / "results"))
    finally:
        os.umask(old)
    assert os.stat(run.path).st_mode & 0o777 == mode
    assert os.stat(tmp_path / "results" / "last_rid.pyon").st_mode & 0o777 == mode
