# make test  - create .venv if needed, install the project, run the test suite (what CI runs)
# make demo  - the same set-up, then the main job on the simulated backend
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

demo: $(STAMP)
	$(BIN)/control run experiments/hello_modules.py steps=5 \
		--device-db tests/data/device_db_core.py --sim --vcd results/demo/hello_modules.vcd
	$(BIN)/control link experiments/hello_modules.py \
		--device-db tests/data/device_db_core.py --sim

clean:
	rm -rf $(VENV) results .pytest_cache
