# make test  - create .venv if needed, install the project, run the test suite (what CI runs)
# make demo  - the same set-up, then the main job (RB on both simulated traps)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: test demo venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

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

clean:
	rm -rf $(VENV) results .pytest_cache
