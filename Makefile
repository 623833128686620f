# Mooring — see README.md. Every target installs what it needs (npm ci on a fresh clone).
SHELL := /bin/bash
NODE_DEPS := node_modules/.package-lock.json

.PHONY: build compile test unit lint format conformance bench demo cluster-up cluster-down clean

$(NODE_DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: $(NODE_DEPS)
	npx tsc -p tsconfig.build.json
	@chmod +x dist/cli/main.js

compile: $(NODE_DEPS)
	npx tsc -p tsconfig.json

# Unit tests plus integration tests on a real kube-apiserver + etcd (built once per machine).
test: compile build
	node .build/test/run.js $(T)

unit: compile
	node .build/test/run.js --unit $(T)

lint: $(NODE_DEPS)
	npx biome check .
	npx tsc -p tsconfig.json --noEmit

format: $(NODE_DEPS)
	npx biome check --write .

conformance: compile
	bash ../shared/kustomize-corpus/check.sh

bench: compile build
	@for b in .build/bench/*.js; do [ -e "$$b" ] && node "$$b"; done; true

cluster-up: compile
	node .build/test/cluster/cli.js up .cluster

cluster-down: compile
	node .build/test/cluster/cli.js down .cluster

demo: compile build
	node .build/test/demo.js

clean:
	rm -rf dist .build
