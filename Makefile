# passerelle: build, test and code generation.
#
#   make build    compile everything; binaries of ./cmd/... into ./bin
#   make test     install system deps (prosody...), go vet, go test -race, demo smoke
#   make demo     build, then run ./bin/passerelle-demo
#   make proto    regenerate plugins/proto from transport.proto (pinned generators)

GO ?= go
BIN := $(CURDIR)/bin
TOOLS := $(BIN)/tools
# The tests start real Prosody servers and build plugin binaries: slow CI
# machines need far more than go test's 10 minute default.
TEST_TIMEOUT ?= 20m

# Generator versions, pinned: the generated code must not change with the
# machine that runs make proto.
PROTOC_GEN_GO_VERSION := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
PROTO := plugins/proto/transport.proto

.PHONY: all build install deps test vet fmt fmt-check bench demo proto clean

all: build

build:
	$(GO) build ./...
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/...

install:
	$(GO) install ./...

deps:
	bash scripts/install-deps.sh

test: deps build
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...
	@echo "==> demo smoke test: the README's demo, one message, then exit"
	$(BIN)/passerelle-demo -once -dir $(BIN)/demo-smoke

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w .

# Fails listing the files gofmt would change.
fmt-check:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "not gofmt-ed:"; echo "$$out"; exit 1; fi

# Placeholder until the benchmarks settle: every benchmark, no tests.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

demo: deps build
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

clean:
	rm -rf $(BIN)
