# TTT Explainer. The two commands a reader needs: `make run` and `make test`.
GO      ?= go
BIN     := bin
TTT     := $(BIN)/ttt

.PHONY: run test deps vet unit fuzz bench build clean

# The main job: the site (page, scenario API, oEmbed) on 127.0.0.1:8080 with
# its database in ./data. Ctrl-C stops it gracefully.
ADDR    ?= 127.0.0.1:8080
DATA    ?= ./data
run: build
	@echo "TTT Explainer: http://$(ADDR)/ (scenarios in $(DATA))"
	$(TTT) serve -addr $(ADDR) -data $(DATA) -web web

build:
	$(GO) build -o $(TTT) ./cmd/ttt

# Everything CI runs. It installs what it needs first.
test: deps vet unit fuzz

deps:
	./scripts/deps.sh

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "not gofmt-formatted: $$unformatted"; exit 1; fi

# TTT_REQUIRE_GPU turns a missing GPU adapter from a skip into a failure.
unit:
	TTT_REQUIRE_GPU=1 $(GO) test -count=1 ./...

# A short run of each fuzz target on top of its seed corpus.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeCase$$' -fuzztime 20s ./ttt/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeJSON$$' -fuzztime 10s ./demo/

bench: build
	$(TTT) bench -form all -model linear -T 2048 -d 64 -heads 1 -b 16
	$(TTT) bench -form all -model linear -T 2048 -d 64 -heads 4 -b 16
	$(TTT) bench -form all -model mlp -T 2048 -d 64 -heads 1 -b 16
	$(TTT) bench -form all -model mlp -T 2048 -d 64 -heads 4 -b 16

clean:
	rm -rf $(BIN)
