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
    figures = run("rb_generation.py", "--sequences", "2", "--length", "20", "--repeat", "1")
    assert figures


def test_rb_scaling():
    figures = run("rb_scaling.py", "--counts", "1,2", "--length", "10")
    assert figures


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
