# reelstack: every target bootstraps what it needs (.venv, ffmpeg, redis-server, Java and Maven, the search node,
# the web app's build; Chromium for the browser tests).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: demo test up lint bench unit integration web web-test deploy-web sysdeps venv checkov-venv search-node clean

demo: sysdeps venv search-node web ## run the platform's main job on the local cloud and show the result
	$(BIN)/reelstack demo

up: sysdeps venv search-node web ## bring the local cloud up and keep it running (Ctrl-C stops it); the web app is at its API URL
	$(BIN)/reelstack up

test: sysdeps venv search-node web lint ## lint, then every test (unit, integration, e2e, the browser tests)
	$(BIN)/pytest -q

web-test: sysdeps venv search-node web ## only the browser tests (Debian's Chromium driving the web app)
	$(BIN)/pytest -q tests/e2e/web

unit: venv
	$(BIN)/pytest -q tests/unit

lint: venv checkov-venv ## ruff, mypy, cfn-lint and checkov
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy layers/shared/python functions infra/reelstack_tools infra/ranker benchmarks jobs
	$(BIN)/cfn-lint template.yaml
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml

bench: sysdeps venv search-node web ## measured comparisons, each printing its ratio against its baseline
	$(BIN)/python benchmarks/upload.py
	$(BIN)/python benchmarks/transcode.py
	$(BIN)/python benchmarks/likes.py
	$(BIN)/reelstack roi eval
	$(BIN)/python benchmarks/roi_sim.py
	$(BIN)/python benchmarks/roi_sim.py --sweep
	$(BIN)/python benchmarks/search.py
	$(BIN)/python benchmarks/profile_job.py
	$(BIN)/reelstack rank eval
	$(BIN)/python benchmarks/ranker_endpoint.py
	$(BIN)/python benchmarks/playback.py

venv: $(STAMP)
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev,moderation,roi,text,lake,spark,rank,sagemaker]'
	# smdebug-rulesconfig (a sagemaker dependency) ships a top-level `tests` package: ours must win.
	rm -rf $(VENV)/lib/python3.11/site-packages/tests
	rm -f $(VENV)/.installed-* && touch $@

# checkov (the IaC scanner) pins its own boto3 (1.35.49 in 3.3.30; we pin 1.44.5): it lives in a
# virtual environment of its own (291 MB), installed once per pinned version.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)

checkov-venv: $(CHECKOV_STAMP)
$(CHECKOV_STAMP):
	test -x $(CHECKOV_VENV)/bin/python || $(PY) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	rm -f $(CHECKOV_VENV)/.installed-* && touch $@

# The local OpenSearch node (infra/search-node/, a Maven project): built once, again when its pom or
# sources change (the stamp target/.built-<hash> is checked by the same code the local cloud runs).
# The template declares a search domain, so every local cloud runs the node: `demo`, `up`, `test` and
# `bench` build it up front (the local cloud would otherwise build it on demand at its first start).
search-node: sysdeps venv
	$(BIN)/python -m reelstack_tools.localcloud.search_build

# The web app (web/, TypeScript built by Vite): `npm ci` when the lock file changes, the build when a source
# does; both skipped when up to date. Node.js and npm come from the machine (Vite 8 needs Node 20.19+).
WEB := web
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/public -type f 2>/dev/null) \
	$(addprefix $(WEB)/,index.html package.json tsconfig.json vite.config.ts)

web: $(WEB)/dist/.built

$(WEB)/node_modules/.installed: $(WEB)/package.json $(WEB)/package-lock.json
	@command -v npm >/dev/null || { echo "make web: Node.js (20.19 or later) and npm are needed to build the web app"; exit 1; }
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(WEB)/dist/.built: $(WEB)/node_modules/.installed $(WEB_SOURCES)
	cd $(WEB) && npm run --silent build
	touch $@

# The web app to a deployed stack (after `sam build && sam deploy`), with the caller's AWS credentials: its
# files and config.json into the stack's media bucket under web/, then a CloudFront invalidation of its page.
STACK ?= reelstack-dev

deploy-web: venv web ## the built web app to the deployed stack STACK (default reelstack-dev, samconfig's)
	$(BIN)/reelstack web deploy --stack $(STACK)

# Chromium (Debian's; no test tool ever downloads a browser) only for the goals that run the browser tests.
NEEDS_BROWSER := $(filter test web-test bench,$(MAKECMDGOALS))

sysdeps: ## ffmpeg, redis-server, a JDK and Maven (and Chromium for the tests) from apt when missing
	@missing=""; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	$(if $(NEEDS_BROWSER),command -v chromium >/dev/null || missing="$$missing chromium";) \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v java >/dev/null || missing="$$missing default-jdk-headless"; \
	command -v mvn >/dev/null || missing="$$missing maven"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing from apt"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .reelstack .pytest_cache .mypy_cache .ruff_cache infra/search-node/target \
	  $(WEB)/node_modules $(WEB)/dist
