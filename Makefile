# Strata: the targets people expect. `make test` is what CI runs (through .ci/run).
SHELL := /bin/bash
NODE_MODULES := node_modules/.package-lock.json
SIM_BUDGET_SECONDS ?= 60

.PHONY: install build lint test test-quick test-unit test-integration sim check-monitoring bench bench-raft bench-s3 bench-erasure bench-ops run e2e clean

install: $(NODE_MODULES)

$(NODE_MODULES): package.json package-lock.json
	npm ci --engine-strict --no-audit --no-fund
	@touch $@

build: install
	npm run build --silent

lint: install
	npm run lint --silent

test-unit: install
	npx vitest run --project unit

test-integration: build
	npx vitest run --project integration

# Deterministic simulation: fixed seeds plus random ones for a bounded time.
sim: install
	npx tsx node/src/testing/sim-main.ts --budget-seconds $(SIM_BUDGET_SECONDS)

# Alert rules (promtool check + test), the Grafana dashboard and runbook links. Needs promtool (Debian: prometheus).
check-monitoring: install
	bash scripts/check-monitoring.sh

# The whole suite: lint, unit, monitoring checks, simulation, integration. Prints a summary line at the end.
# The whole suite, e2e included (cached control plane: about 20 min here; a cold Go build adds 15-18 min).
test: install
	bash scripts/test-all.sh

# The same without the e2e tier, for a fast loop (about 6 min here).
test-quick: install
	STRATA_E2E=0 bash scripts/test-all.sh

bench: bench-raft bench-s3 bench-erasure bench-ops

bench-raft: build
	bash bench/etcd/install-etcd.sh
	node --import tsx bench/raft/raft-bench.ts

bench-s3: build
	bash bench/seaweedfs/build-seaweedfs.sh
	node --import tsx bench/s3/s3-bench.ts

bench-erasure: install
	node --import tsx bench/erasure/erasure-bench.ts

# Recovery and rebalance throughput against the disk and loopback limits, GET p99 during them (bench/README.md).
bench-ops: build
	node --import tsx bench/ops/ops-bench.ts

# The embedded default: a local 3-node cluster with data under ./.strata.
run: build
	node dist/node/src/local/local-cluster.js

# The end-to-end tier (e2e/README.md): a real Kubernetes control plane built from its Go modules (cached in
# STRATA_K8S_CACHE, default .cache/k8s), helm, the node agent, the chart, the operator and the scenarios.
# Runs as root (the node agent makes network namespaces). Prints "e2e: N passed, M failed, ..." at the end.
e2e: build
	bash e2e/harness/run-e2e.sh

clean:
	rm -rf dist .cache
