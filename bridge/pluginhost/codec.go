package pluginhost

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the "proto" codec
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// utf8Codec is gRPC's protobuf codec for the plugin connection, but a
// message it cannot decode because a string field holds invalid UTF-8
// (proto3 strings must not; an encoder other than Go's may still write
// it) is decoded again with those strings repaired (repairUTF8). Without
// it, one bad event would end the Events stream, and the plugin's replay
// of it after the restart would end the next one, for ever. Messages
// that decode take gRPC's path, at no extra cost.
type utf8Codec struct {
	// repaired, if set, hears of each message decoded after a repair.
	repaired func(proto.Message)
}

// protoCodec is gRPC's own protobuf codec.
var protoCodec = encoding.GetCodecV2("proto")

// utf8DialOption makes the connection use a utf8Codec.
func utf8DialOption(repaired func(proto.Message)) grpc.DialOption {
	return grpc.WithDefaultCallOptions(grpc.ForceCodecV2(utf8Codec{repaired: repaired}))
}

// Marshal is gRPC's.
func (utf8Codec) Marshal(v any) (mem.BufferSlice, error) { return protoCodec.Marshal(v) }

// Unmarshal decodes as gRPC does, and on failure tries again with the
// strings repaired, if any needed it.
func (c utf8Codec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return protoCodec.Unmarshal(data, v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	err := proto.Unmarshal(buf.ReadOnlyData(), m)
	if err == nil {
		return nil
	}
	fixed, changed, rerr := repairUTF8(buf.ReadOnlyData(), m.ProtoReflect().Descriptor())
	if rerr != nil || !changed {
		return err
	}
	if err := proto.Unmarshal(fixed, m); err != nil {
		return err
	}
	if c.repaired != nil {
		c.repaired(m)
	}
	return nil
}

// Name is gRPC's protobuf codec's, so that the content type stays the
// plugin's.
func (utf8Codec) Name() string { return protoCodec.Name() }
