package plugintest

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	pb "passerelle.im/passerelle/plugins/proto"
)

// Act builds every action of the contract's Command, and the
// conformance checks have an entry for every feature that names an
// action of a group or the user (a new action without one is checked by
// no one).
func TestActCoversEveryAction(t *testing.T) {
	cmd := (&pb.Command{}).ProtoReflect()
	oneof := cmd.Descriptor().Oneofs().ByName("action")
	if oneof == nil {
		t.Fatal("pb.Command has no oneof action")
	}
	fields := oneof.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Kind() != protoreflect.MessageKind {
			continue
		}
		action := cmd.NewField(fd).Message().Interface()
		c := Act("l", "c", "t", action)
		if c.Action == nil {
			t.Errorf("Act(%T) builds no action", action)
			continue
		}
		if got := c.ProtoReflect().WhichOneof(oneof); got == nil || got.Name() != fd.Name() {
			t.Errorf("Act(%T) sets %v, want %s", action, got, fd.Name())
		}
	}
	for _, name := range []string{"chat_search", "group_unban", "create_chat", "profile_avatar", "poll_close"} {
		found := false
		for _, f := range features {
			found = found || f.name == name
		}
		if !found {
			t.Errorf("no conformance entry for %s", name)
		}
	}
}
