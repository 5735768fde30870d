package pluginhost

import (
	"testing"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestUTF8Codec: the plugin connection's codec decodes a message with a
// bad string, repaired, and says so; a good one as gRPC would, silently;
// garbage stays an error.
func TestUTF8Codec(t *testing.T) {
	var heard []proto.Message
	c := utf8Codec{repaired: func(m proto.Message) { heard = append(heard, m) }}

	var ev pb.Event
	bad := breakUTF8(t, &pb.Event{Seq: 3, Sender: &pb.Sender{Name: marker},
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: marker}}})
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(bad)}, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Seq != 3 || ev.GetSender().GetName() != repaired || ev.GetMessage().GetText() != repaired || len(heard) != 1 {
		t.Fatalf("repaired event %v, heard %d", &ev, len(heard))
	}

	good, _ := proto.Marshal(&pb.Event{Seq: 4, Sender: &pb.Sender{Name: "Zoë"}})
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(good)}, &ev); err != nil || ev.Seq != 4 || ev.GetSender().GetName() != "Zoë" {
		t.Fatalf("good event: %v %v", &ev, err)
	}
	if len(heard) != 1 {
		t.Fatal("a good message was reported repaired")
	}

	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer([]byte{0x12, 0x05, 'a'})}, &ev); err == nil {
		t.Fatal("garbage decoded")
	}
	if len(heard) != 1 {
		t.Fatal("garbage was reported repaired")
	}

	out, err := c.Marshal(&pb.Event{Seq: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(out.Materialize(), &ev); err != nil || ev.Seq != 5 {
		t.Fatalf("marshal: %v %v", &ev, err)
	}
}
