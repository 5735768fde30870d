# passerelle: build, test and code generation.
#
#   make build    the binaries of ./cmd/... into ./bin (static)
#   make test     install system deps (prosody...), build, go vet, go test -race, demo smoke
#   make demo     build, then run ./bin/passerelle-demo
#   make bench    build, then measure the stack with ./bin/passerelle-bench (docs/performance.md)
#   make proto    regenerate plugins/proto from transport.proto (pinned generators)

GO ?= go
BIN := $(CURDIR)/bin
TOOLS := $(BIN)/tools
# The tests start real Prosody servers and build plugin binaries: slow CI
# machines need far more than go test's 10 minute default.
TEST_TIMEOUT ?= 30m

# Generator versions, pinned: the generated code must not change with the
# machine that runs make proto.
PROTOC_GEN_GO_VERSION := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
PROTO := plugins/proto/transport.proto

# The version the binaries report (passerelle version, the gateway's log
# and XEP-0092): git describe, else devel-HASH (scripts/version.sh).
# Outside a git checkout it is empty and the binaries say what their build
# information gives, "devel" under -buildvcs=false. make VERSION=v1.2.3
# sets it; a VERSION in the environment does not (a CI runner's or a
# shell's VERSION names something else).
VERSION := $(shell sh scripts/version.sh)
# Stamped into sdk.Version alone: the gateway (main.version, bridge.Version
# left empty) and every plugin read it through sdk.BuildVersion.
LDFLAGS := $(if $(VERSION),-X passerelle.im/passerelle/plugins/sdk.Version=$(VERSION))

.PHONY: all build install version-check deps deps-demo test vet fmt fmt-check bench bench-smoke bench-go demo proto clean

all: build

# The binaries are linked statically (no cgo): nothing here needs C, and
# a dynamically linked Go binary also maps libc and the loader, 1.4 MiB of
# resident memory per process (gateway and each plugin) for nothing.
#
# The tree is compiled twice in all, not three times: once without cgo
# (these binaries; go vet and the binaries the tests build reuse that
# build, being run with CGO_ENABLED=0 too) and once with -race for the
# tests. Cold, each takes minutes on a small machine: say so.
build:
	@echo "==> building passerelle (first run compiles, a few minutes)..."
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

install:
	CGO_ENABLED=0 $(GO) install -ldflags '$(LDFLAGS)' ./cmd/...

# The built gateway reports the stamped version (it said "devel" when
# built with -buildvcs=false, as GOFLAGS may set).
version-check: build
	@if [ -n "$(VERSION)" ]; then \
		for b in passerelle passerelle-echo; do \
			out="$$($(BIN)/$$b version)"; \
			case "$$out" in "$$b $(VERSION) "*) echo "==> $$out";; \
			*) echo "$$b version says \"$$out\", want $(VERSION)"; exit 1;; esac; \
		done; \
	fi

deps:
	bash scripts/install-deps.sh

test: deps build version-check
	CGO_ENABLED=0 $(GO) vet ./...
	@echo "==> go test -race (first run compiles the tree again, with -race: a few minutes)..."
	GO=$(GO) bash scripts/gotest.sh -race -count=1 -timeout $(TEST_TIMEOUT) ./...
	@echo "==> demo smoke test: the README's demo, one message, then exit"
	$(BIN)/passerelle-demo -once -dir $(BIN)/demo-smoke
	@echo "==> load tool smoke test: a few seconds of baseline, echo and room round trips"
	$(BIN)/passerelle-bench -smoke -dir $(BIN)/bench-smoke
	@echo "==> load tool smoke test: IRC, passerelle beside biboumi"
	$(BIN)/passerelle-bench -irc -smoke -dir $(BIN)/bench-irc-smoke

vet:
	CGO_ENABLED=0 $(GO) vet ./...

fmt:
	gofmt -l -w .

# Fails listing the files gofmt would change.
fmt-check:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "not gofmt-ed:"; echo "$$out"; exit 1; fi

# The load tool on the whole stack (Prosody, passerelle, the echo plugin):
# baseline and echo round trips in one run, a 1,000-login start-up, and the
# gateway's CPU and allocation profiles. Override with BENCH_FLAGS=...
BENCH_FLAGS ?= -users 10 -window 20 -duration 10s -rounds 2 -startup-logins 1000 -startup-online 500 -pprof $(BIN)/bench/pprof
bench: deps build
	$(BIN)/passerelle-bench -dir $(BIN)/bench $(BENCH_FLAGS)

# A few seconds of the load tool (what make test runs at its end): every
# path, a small start-up, MAM and a room of 50 members (-smoke).
bench-smoke: deps build
	$(BIN)/passerelle-bench -smoke -dir $(BIN)/bench-smoke
	$(BIN)/passerelle-bench -irc -smoke -dir $(BIN)/bench-irc-smoke

# Go benchmarks of the hot path's pieces, no tests.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The demo needs Prosody only, not the tests' other servers (whose
# packages start system services of their own).
deps-demo:
	bash scripts/install-deps.sh --demo

demo: deps-demo build
	$(BIN)/passerelle-demo

proto:
	bash scripts/install-deps.sh --proto
	GOBIN=$(TOOLS) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(TOOLS) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	protoc \
		--plugin=protoc-gen-go=$(TOOLS)/protoc-gen-go \
		--plugin=protoc-gen-go-grpc=$(TOOLS)/protoc-gen-go-grpc \
		--go_out=. --go_opt=paths=source_relative \
		--go-grpc_out=. --go-grpc_opt=paths=source_relative \
		$(PROTO)
	sh examples/python-echo/generate.sh

clean:
	rm -rf $(BIN)
