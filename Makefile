# make test  - create .venv if needed, install the project, then lint (ruff) and type-check
#              (mypy; files and strictness in pyproject.toml), then run the test suite;
#              any finding fails it (what CI runs); tests marked `slow` are left out
# make test-slow - the same set-up, then only the tests marked `slow`: the statistical
#              checks (RB, the fits' error bars, counts against exact probabilities) that
#              take seconds each; CI runs it after `make test`
# make demo  - the same set-up, then the main job (RB on both simulated traps)
# make test-artiq - the ARTIQ lane: the tests marked `artiq` (they skip without ARTIQ) run
#              against a real ARTIQ + sipyco built by ../shared/tools/artiq-lab (ARTIQ_LAB);
#              a skip there is a failure
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: test test-slow test-artiq demo venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

# The lane's own venv sees the lab's packages (ARTIQ, sipyco, llvmlite, ...) through a .pth
# file, after its own; the project is installed in it, not in the lab. ARTIQ's and sipyco's
# commands get a copy of their launcher here, so that artiq_master's workers (which run
# sys.executable) import the project too.
ARTIQ_LAB ?= /tmp/artiq-lab
LAB_VENV  := .venv-artiq
LAB_TOOLS := artiq_master artiq_client artiq_run artiq_compile sipyco_rpctool
test-artiq:
	@test -x $(ARTIQ_LAB)/venv/bin/python || { echo "no ARTIQ lab at $(ARTIQ_LAB): build it \
	with ../shared/tools/artiq-lab (or set ARTIQ_LAB)"; exit 1; }
	test -x $(LAB_VENV)/bin/python || $(ARTIQ_LAB)/venv/bin/python -m venv $(LAB_VENV)
	$(LAB_VENV)/bin/python -c 'import sys, sysconfig, os; \
	    open(os.path.join(sysconfig.get_path("purelib"), "artiq-lab.pth"), "w").write( \
	    sys.argv[1] + "\n")' \
	    $$($(ARTIQ_LAB)/venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
	$(LAB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LAB_VENV)/bin/python -m pip install --quiet -e '.[test]'
	for tool in $(LAB_TOOLS); do \
	    sed "1s|.*|#!$(CURDIR)/$(LAB_VENV)/bin/python|" $(ARTIQ_LAB)/venv/bin/$$tool \
	        > $(LAB_VENV)/bin/$$tool && chmod +x $(LAB_VENV)/bin/$$tool || exit 1; done
	PATH=$(CURDIR)/$(LAB_VENV)/bin:$(ARTIQ_LAB)/bin:$$PATH CONTROL_REQUIRE_ARTIQ=1 \
	    $(LAB_VENV)/bin/python -m pytest -m artiq

# The main job: portable RB, 1 and 2 qubits, on both simulated traps (same script, each
# trap's own native gates), with the error the ion model is given per native gate.
demo: $(STAMP)
	$(BIN)/control rb --system yb171 --qubits 1 --lengths 1,20,50,100,200 --samples 10 \
		--shots 50 --depolarizing 0.005
	$(BIN)/control rb --system ca40 --qubits 1 --lengths 1,20,50,100,200 --samples 10 \
		--shots 50 --depolarizing 0.005
	$(BIN)/control rb --system yb171 --qubits 2 --lengths 1,5,10,20,40 --samples 10 \
		--shots 50 --depolarizing 0.002 --depolarizing-2q 0.02
	$(BIN)/control rb --system ca40 --qubits 2 --lengths 1,5,10,20,40 --samples 10 \
		--shots 50 --depolarizing 0.002 --depolarizing-2q 0.02
	@echo "control is installed in $(VENV)/bin: run it as $(VENV)/bin/control, or first" \
		"'. $(VENV)/bin/activate' to have it on PATH"

clean:
	rm -rf $(VENV) $(LAB_VENV) results .pytest_cache
