# Two commands a newcomer needs: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 2
STAMP := $(VENV)/.installed
# Elsewhere, TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu" keeps torch CPU-only.
TORCH_PIP_ARGS ?=

.PHONY: run test install demo-data report bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	# CPU build of torch first, or pip pulls a multi-GB CUDA build.
	$(BIN)/python -m pip install torch==2.13.0 $(TORCH_PIP_ARGS)
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The workflow, then its report (results/report.html), then where the summary, report and videos are.
run: $(STAMP)
	$(BIN)/python -m gaitmimic.run --cores $(CORES)

test: $(STAMP)
	@echo "snakemake $$($(BIN)/snakemake --version) (the workflow tests run on it)"
	$(BIN)/python -m pytest -q

demo-data: $(STAMP)
	$(BIN)/python -m gaitmimic.demo.generate --out data/demo01

report: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --report results/report.html

clean:
	rm -rf results .snakemake
