"""``control calibrate`` on a simulated trap: lab settings, then the graph, then the
dataset DB file; a refused fit writes nothing and exits 1."""
import pytest

from control import pyon
from control.cli import main


def read(path):
    with open(path) as f:
        return pyon.decode(f.read())


@pytest.mark.parametrize("system", ["yb171", "ca40"])
def test_calibrate_writes_settings_and_detection_then_refuses_a_dead_pmt(tmp_path, capsys,
                                                                         system):
    db = str(tmp_path / "datasets.pyon")
    assert main(["calibrate", "--system", system, "--dataset-db", db, "--node", "detection",
                 "--offset", "bright_rate_scale=0.9", "-q"]) == 0
    out = capsys.readouterr().out
    values = read(db)
    assert "setting  {}.detection.window".format(system) in out  # a lab setting, said
    threshold = values[system + ".detection.threshold"]
    provenance = values[system + ".detection.threshold.provenance"]
    assert provenance["node"] == "detection" and provenance["previous"] is None
    assert isinstance(threshold, int) and threshold > 0
    assert "calgraph.detection" in values
    assert "qubit_frequencies" not in out  # only what --node asked for

    # Again: fresh, nothing measured, nothing written.
    assert main(["calibrate", "--system", system, "--dataset-db", db, "--node", "detection",
                 "-q"]) == 0
    assert "fresh" in capsys.readouterr().out
    assert read(db) == values

    # A disconnected PMT: the forced recalibration is refused and the DB is unchanged.
    assert main(["calibrate", "--system", system, "--dataset-db", db, "--node", "detection",
                 "--force", "--fault", "pmt0=disconnected", "-q"]) == 1
    out = capsys.readouterr().out
    assert "no photons" in out and "PMT disconnected" in out
    assert read(db) == values


def test_calibrate_refuses_a_bad_option(tmp_path, capsys):
    db = str(tmp_path / "d.pyon")
    assert main(["calibrate", "--system", "ca40", "--dataset-db", db, "--offset",
                 "no_such_truth=1"]) == 2
    assert "no_such_truth" in capsys.readouterr().err
