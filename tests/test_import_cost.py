"""Experiments are imported at every submission and repository scan (the master's worker
runs the file afresh): they must not load scipy until a fit or a count needs it, and the
constants written out instead of computed at import must be scipy's values."""
import os
import subprocess
import sys

import pytest
from scipy.stats import chi2

from kernels import rb_analysis

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPERIMENTS = sorted(f for f in os.listdir(os.path.join(ROOT, "experiments"))
                     if f.endswith(".py") and not f.startswith("_"))


def test_the_written_out_chi2_levels_are_scipys():
    assert rb_analysis.CHI2_RESOLVED == pytest.approx(chi2.ppf(0.95, 1), rel=1e-15)
    assert rb_analysis.CHI2_BOUND == pytest.approx(chi2.ppf(0.90, 1), rel=1e-15)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_importing_an_experiment_does_not_load_scipy(name):
    probe = ("import runpy, sys; runpy.run_path({!r}); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))").format(
                 os.path.join(ROOT, "experiments", name))
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip().splitlines()[-1]
    assert out == "[]", "{} loads scipy at import: {}".format(name, out)


def test_a_fit_still_finds_scipy():
    # the lazy imports are reached: an RB fit runs in a fresh interpreter
    probe = ("from kernels.rb_analysis import fit_rb; import numpy as np; "
             "m = np.repeat([1, 10, 50, 100], 5); y = 0.5 * 0.99 ** m + 0.5; "
             "r = fit_rb(m, y, 1, n_bootstrap=5, shots=1000); print(round(r.p, 4))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "0.99"
