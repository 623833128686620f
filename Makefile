# Mooring — see README.md. Every target installs what it needs (npm ci on a fresh clone).
SHELL := /bin/bash
NODE_DEPS := node_modules/.package-lock.json

.PHONY: prereqs build compile test unit lint format conformance conformance-ratchet bench demo cluster-up cluster-down clean

# Debian packages every target below needs (a single dpkg-query when nothing is missing).
prereqs:
	@bash scripts/prereqs.sh

$(NODE_DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: $(NODE_DEPS)
	npx tsc -p tsconfig.build.json
	node scripts/build-ui.mjs
	@chmod +x dist/cli/main.js

# From scratch: a test file renamed or deleted must not leave its old compiled copy to run.
compile: $(NODE_DEPS)
	rm -rf .build
	npx tsc -p tsconfig.json

# Unit tests plus integration tests on a real kube-apiserver + etcd (built once per machine).
test: prereqs compile build
	node .build/test/run.js $(T)

unit: prereqs compile
	node .build/test/run.js --unit $(T)

lint: $(NODE_DEPS)
	npx biome check .
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p src/ui/web/tsconfig.json

format: $(NODE_DEPS)
	npx biome check --write .

CORPUS ?= ../shared/kustomize-corpus
REALWORLD ?= ../shared/kustomize-realworld

# kustomize engine against kustomize v5.5's own test cases and 102 real-world repositories
# (see docs/kustomize.md); output compared byte for byte with kubectl kustomize v5.5.
conformance: prereqs build
	@for c in $(CORPUS) $(REALWORLD); do \
	  if [ ! -d $$c ]; then echo "no corpus at $$c; skipping"; continue; fi; \
	  echo "== $$c"; bash $$c/check.sh -j 2 "node dist/cli/main.js build"; \
	done

# CI: fail when fewer cases pass than recorded (conformance.txt: kustomize's own cases,
# conformance-realworld.txt: real-world repositories). Raise them as the engine improves.
conformance-ratchet: prereqs build
	@bash scripts/ratchet.sh $(CORPUS) conformance.txt
	@bash scripts/ratchet.sh $(REALWORLD) conformance-realworld.txt

# Every benchmark under bench/ (each starts what it needs; some take minutes). One: make bench B=scale
bench: prereqs compile build
	@for b in .build/bench/$(or $(B),*)/*.js; do echo "== $$b"; node "$$b" || exit 1; done

cluster-up: prereqs compile
	node .build/test/cluster/cli.js up .cluster

cluster-down: compile
	node .build/test/cluster/cli.js down .cluster

# DEMO_EXIT=1: run the demo to its synced state, then stop everything and exit 0 (CI runs this).
demo: prereqs compile build
	MOORING_DEMO_ONCE=$(if $(DEMO_EXIT),1,) node .build/test/demo.js

clean:
	rm -rf dist .build
