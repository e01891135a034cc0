# reelstack: every target bootstraps what it needs (.venv, ffmpeg, redis-server, Java and Maven, the search node).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: demo test up lint bench unit integration sysdeps venv search-node clean

demo: sysdeps venv ## run the platform's main job on the local cloud and show the result
	$(BIN)/reelstack demo

up: sysdeps venv ## bring the local cloud up and keep it running (Ctrl-C stops it)
	$(BIN)/reelstack up

test: sysdeps venv search-node lint ## lint, then every test (unit, integration, e2e)
	$(BIN)/pytest -q

unit: venv
	$(BIN)/pytest -q tests/unit

lint: venv ## ruff, mypy and cfn-lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy layers/shared/python functions infra/reelstack_tools benchmarks
	$(BIN)/cfn-lint template.yaml

bench: sysdeps venv ## measured comparisons, each printing its ratio against its baseline
	$(BIN)/python benchmarks/upload.py
	$(BIN)/python benchmarks/transcode.py
	$(BIN)/python benchmarks/likes.py
	$(BIN)/reelstack roi eval
	$(BIN)/python benchmarks/roi_sim.py

venv: $(STAMP)
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev,moderation,roi]'
	rm -f $(VENV)/.installed-* && touch $@

# The local OpenSearch node (infra/search-node/, a Maven project): built once, again when its pom or
# sources change (the stamp target/.built-<hash> is checked by the same code the local cloud runs).
# `test` builds it up front; `demo` and `up` leave it to the local cloud, which builds it on demand
# when the template declares a search domain (none yet: the demo does not pay for it).
search-node: sysdeps venv
	$(BIN)/python -m reelstack_tools.localcloud.search_build

sysdeps: ## ffmpeg, redis-server, a JDK and Maven from apt when missing
	@missing=""; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v java >/dev/null || missing="$$missing default-jdk-headless"; \
	command -v mvn >/dev/null || missing="$$missing maven"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing from apt"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

clean:
	rm -rf $(VENV) .reelstack .pytest_cache .mypy_cache .ruff_cache infra/search-node/target
