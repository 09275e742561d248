# TTT Explainer. The two commands a reader needs: `make run` and `make test`.
GO      ?= go
BIN     := bin
TTT     := $(BIN)/ttt

.PHONY: run test deps vet unit fuzz bench build clean

# The main job. Until the page lands it prints the ladder table and a short
# streamed run in the terminal.
run: build
	$(TTT) check
	$(TTT) stream

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
