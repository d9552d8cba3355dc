"""Every benchmark runs with one command and ends with one line of JSON holding its
figures (small sizes here: the figures themselves are quoted in the README, not tested)."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(script, *args):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", script), *args],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert len(lines) > 1, "a readable table comes before the JSON"
    return json.loads(lines[-1])


def test_sim_speed():
    figures = run("sim_speed.py", "--shots", "20", "--repeat", "1")
    assert set(figures) >= {"events_per_s", "realtime_factor_vcd", "realtime_factor_novcd",
                            "peak_rss_mb"}
    assert figures["events_per_s"] > 0 and figures["realtime_factor_vcd"] > 0


def test_rb_generation():
    # one trap (ca40, Z as pulses: the longer compiled sequences), one cold interpreter
    # per side and size: each is a new process importing the generator
    figures = run("rb_generation.py", "--sequences", "2", "--length", "20", "--repeat", "2",
                  "--cold-repeat", "1", "--system", "ca40")
    assert "yb171" not in figures
    for qubits in ("1q", "2q"):
        row = figures["ca40"][qubits]
        assert 0 < row["ours_best_s"] <= row["ours_median_s"]
        assert row["ours_cold_s"] == pytest.approx(
            row["ours_cold_import_s"] + row["ours_cold_first_call_s"], abs=2e-6)
        # both sides timed alike: the reference's figures, where it is installed
        assert ("speedup_warm" in row) == (figures["reference"] is not None)


def test_rb_scaling():
    figures = run("rb_scaling.py", "--counts", "1,2", "--length", "10")
    assert figures


def test_rb_slack():
    figures = run("rb_slack.py", "--quick")
    for system in ("yb171", "ca40"):
        assert figures[system]["longest_without_underflow"] == 50  # the longest tried
        assert figures[system]["min_slack_mu"] >= 500  # the RTIO latency: all in time
        assert 0.5 < figures[system]["shot_rate_ratio_vs_flat"] <= 1.0


def test_code_sharing():
    figures = run("code_sharing.py")
    for key in ("shared_rb", "shared_hil", "rb_control", "rb_kernels", "rb_drivers"):
        assert 0.0 < figures[key] <= 1.0, key
    # the scope without the simulator and configuration is the larger one
    assert figures["shared_rb"] > figures["shared_rb_everything"]


def test_kernel_cost_runs_or_says_why_not():
    figures = run("kernel_cost.py")
    try:
        import artiq  # noqa: F401
    except ImportError:
        assert "skipped" in figures
    else:
        pytest.skip("with ARTIQ installed this compiles kernels: run it by hand")


def test_gate_time_runs_or_says_why_not():
    figures = run("gate_time.py")
    try:
        import artiq  # noqa: F401
    except ImportError:
        assert "skipped" in figures
    else:
        pytest.skip("with ARTIQ installed this compiles and emulates kernels: run it by "
                    "hand")


def test_compile_time_runs_or_says_why_not():
    try:
        import artiq  # noqa: F401
    except ImportError:
        assert "skipped" in run("compile_time.py")
    else:
        pytest.skip("with ARTIQ installed this compiles kernels: run it by hand")


@pytest.mark.slow
def test_calibration():
    figures = run("calibration.py", "--system", "ca40", "--rb-samples", "3",
                  "--rb-shots", "20")
    ca40 = figures["ca40"]
    assert set(ca40) >= {"bootstrap_shots", "maintain_shots", "recalibrate_all_shots",
                         "epc_calibrated", "epc_ideal"}
    assert ca40["maintain_shots"] < ca40["recalibrate_all_shots"] < ca40["bootstrap_shots"]
