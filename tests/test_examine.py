"""What the master's repository scan sees: every experiment builds with its arguments None
and its devices placeholders, and declares every argument with a default, a group and a
tooltip; ``control list`` prints that, and names the files the master would skip."""
import ast
import json
import os

from control.cli import main
from control.examine import argument_rows, examine_path, listed_name

HERE = os.path.dirname(__file__)
ROOT = os.path.dirname(HERE)
EXPERIMENTS = os.path.join(ROOT, "experiments")
BROKEN = os.path.join(HERE, "data", "needs_arguments_in_build.py")


def _experiment_classes_in_source():
    """Class names in experiments/*.py that subclass EnvExperiment, read from the source
    (so a new experiment is expected without anyone editing this test)."""
    found = set()
    for name in os.listdir(EXPERIMENTS):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(EXPERIMENTS, name)) as f:
            tree = ast.parse(f.read())
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_") and any(
                    getattr(b, "id", None) == "EnvExperiment" for b in node.bases):
                found.add(node.name)
    return found


def test_every_experiment_survives_the_repository_scan():
    examined = examine_path(EXPERIMENTS)
    errors = {f.file: "{}: {}".format(type(f.error).__name__, f.error)
              for f in examined if f.error is not None}
    assert not errors
    listed = {e.class_name for f in examined for e in f.experiments}
    assert listed == _experiment_classes_in_source()
    assert {"RB", "Rabi", "Ramsey", "Readout", "Circuit", "HelloModules"} <= listed


def test_every_argument_has_a_default_a_group_and_a_tooltip():
    for f in examine_path(EXPERIMENTS):
        for e in f.experiments:
            assert e.arguments, e.class_name
            for key, (desc, group, tooltip) in e.arguments.items():
                assert "default" in desc, (e.class_name, key)
                assert tooltip, (e.class_name, key)
                if e.class_name != "HelloModules":  # the toy has one argument
                    assert group, (e.class_name, key)


def test_trap_experiments_offer_every_trap():
    from drivers import systems
    for f in examine_path(EXPERIMENTS):
        for e in f.experiments:
            if "system" in e.arguments:
                desc = e.arguments["system"][0]
                assert desc["ty"] == "EnumerationValue"
                assert sorted(desc["choices"]) == systems.names()


def test_a_build_that_needs_its_arguments_is_reported_as_skipped(capsys):
    [examined] = examine_path(BROKEN)
    assert isinstance(examined.error, TypeError) and examined.experiments == []
    assert main(["list", BROKEN]) == 1
    out, err = capsys.readouterr()
    assert "SKIPPED" in out and "needs_arguments_in_build.py" in err


def test_control_list_prints_names_arguments_units_and_ranges(capsys):
    assert main(["list", EXPERIMENTS]) == 0
    out = capsys.readouterr().out
    assert "Randomized benchmarking (rb.py, RB)" in out
    rabi = out[out.index("Rabi flopping"):]
    durations = next(line for line in rabi.splitlines() if line.split()[0] == "durations")
    # the Scannable in the unit the dashboard shows (us), with its global range
    assert durations.split()[:5] == ["durations", "Scannable", "RangeScan(0,", "40,", "21)"]
    assert " us " in durations and "[0, 10000]" in durations and durations.endswith("Scan")


def test_control_list_json_holds_the_processors_descriptions(capsys):
    assert main(["list", os.path.join(EXPERIMENTS, "rb.py"), "--json"]) == 0
    [entry] = json.loads(capsys.readouterr().out)
    [rb] = entry["experiments"]
    assert rb["name"] == "Randomized benchmarking"
    lengths = rb["arguments"]["lengths"]
    assert lengths["description"] == {"ty": "PYONValue", "default": "[1,20,50,100,200]"}
    assert lengths["group"] == "RB"


def test_listed_name_is_the_docstrings_first_line_without_a_full_stop():
    class Documented:
        """Line one.

        More."""

    class Bare:
        pass
    Bare.__doc__ = None
    assert listed_name(Documented) == "Line one"
    assert listed_name(Bare) == "Bare"


def test_argument_rows_show_numbers_in_their_unit():
    [f] = examine_path(os.path.join(EXPERIMENTS, "ramsey.py"))
    rows = {r[0]: r for r in argument_rows(f.experiments[0])}
    assert rows["artificial_detuning"][1:5] == ("NumberValue", "50", "kHz", "[0, 10000]")
    assert rows["system"][4] == "{ca40, yb171}"


def test_missing_path_is_an_input_error(capsys):
    assert main(["list", "no/such/folder"]) == 2
    assert "no such file or folder" in capsys.readouterr().err
