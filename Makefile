# The few targets a newcomer needs.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test stress lint bench docs clean

$(BIN)/loopcloser: pyproject.toml
	python3 -m venv $(VENV) && $(BIN)/pip install -q -e '.[test]'

demo: $(BIN)/loopcloser  ## build a sample store and show today's view
	$(BIN)/loopcloser demo

test: $(BIN)/loopcloser  ## lint, types and the whole test suite
	$(BIN)/python -m pytest

stress: $(BIN)/loopcloser  ## the long variants: hundreds of kills, thousands of loops at once
	$(BIN)/python -m pytest -m slow

lint: $(BIN)/loopcloser  ## ruff, mypy and the layer contracts (docs/architecture.md)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy && $(BIN)/lint-imports

bench: $(BIN)/loopcloser  ## timings at 1k, 10k, 100k loops beside Taskwarrior: bench/RESULTS.md
	$(BIN)/python bench/run.py

docs: $(BIN)/loopcloser  ## rewrite docs/cli.md from the commands' --help
	LOOPCLOSER_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/test_reference.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache
