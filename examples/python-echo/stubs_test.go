package pythonecho_test

import (
	"os/exec"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"

	transportpb "passerelle.im/passerelle/plugins/proto"
)

// The committed Python stubs are generated from the same transport.proto
// as the Go code: a contract change without generate.sh fails here.
func TestStubsMatchContract(t *testing.T) {
	needPython(t)
	cmd := exec.Command(python, "-c", "import sys; sys.dont_write_bytecode = True; import transport_pb2; sys.stdout.buffer.write(transport_pb2.DESCRIPTOR.serialized_pb)")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("read transport_pb2's descriptor: %v", err)
	}
	got := &descriptorpb.FileDescriptorProto{}
	if err := proto.Unmarshal(out, got); err != nil {
		t.Fatalf("transport_pb2's descriptor: %v", err)
	}
	want := protodesc.ToFileDescriptorProto(transportpb.File_plugins_proto_transport_proto)
	normalize(got)
	normalize(want)
	if !proto.Equal(got, want) {
		t.Fatal("transport_pb2.py is not generated from plugins/proto/transport.proto as it is: run examples/python-echo/generate.sh")
	}
}

// normalize clears what differs between generators and not between
// contracts: the file's path (the include folder given to protoc) and the
// derived JSON names, which only some generators record.
func normalize(fd *descriptorpb.FileDescriptorProto) {
	fd.Name = nil
	var msg func(m *descriptorpb.DescriptorProto)
	msg = func(m *descriptorpb.DescriptorProto) {
		for _, f := range m.Field {
			f.JsonName = nil
		}
		for _, n := range m.NestedType {
			msg(n)
		}
	}
	for _, m := range fd.MessageType {
		msg(m)
	}
}
