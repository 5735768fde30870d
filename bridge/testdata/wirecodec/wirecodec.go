// Package wirecodec lets a test plugin built on the SDK break the contract
// on the wire, as a plugin with its own protobuf encoder can, past what
// Go's encoder and the SDK's checks at emit let through: Break replaces
// gRPC's proto codec in the process with one that swaps each marker in
// what it marshals for bytes of the same length (so every length prefix
// stays right).
package wirecodec

import (
	"bytes"
	"fmt"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
)

// Break registers, under the proto codec's name, a codec that replaces
// every marker (a key of swaps) in what it marshals with its value. A
// value of another length than its marker panics.
func Break(swaps map[string]string) {
	for m, b := range swaps {
		if len(m) != len(b) {
			panic(fmt.Sprintf("wirecodec: %q and %q differ in length", m, b))
		}
	}
	encoding.RegisterCodecV2(codec{encoding.GetCodecV2("proto"), swaps})
}

type codec struct {
	proto encoding.CodecV2
	swaps map[string]string
}

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	out, err := c.proto.Marshal(v)
	if err != nil {
		return nil, err
	}
	b := out.Materialize()
	out.Free()
	for m, broken := range c.swaps {
		if bytes.Contains(b, []byte(m)) {
			b = bytes.ReplaceAll(b, []byte(m), []byte(broken))
		}
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (c codec) Unmarshal(data mem.BufferSlice, v any) error { return c.proto.Unmarshal(data, v) }
func (c codec) Name() string                                { return c.proto.Name() }
