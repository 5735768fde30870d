package pluginhost

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/structpb"

	pb "passerelle.im/passerelle/plugins/proto"
)

// marker is written in strings; breakUTF8 turns it into invalid UTF-8
// on the wire, at the same length, so that lengths stay right.
const marker = "@@INVALID@@"

// repaired is what a marker reads as once repaired: one U+FFFD for the
// run of two bad bytes.
const repaired = "@@\uFFFDVALID@@"

// breakUTF8 marshals m and breaks every marker in the bytes.
func breakUTF8(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(marker)) {
		t.Fatal("no marker in the message")
	}
	return bytes.ReplaceAll(b, []byte(marker), []byte("@@\xff\xfeVALID@@"))
}

// fixMarkers is m with every marker string repaired, as expected.
func fixMarkers(t *testing.T, m proto.Message) proto.Message {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	want := m.ProtoReflect().New().Interface()
	// The markers and their repairs differ in length: rebuild by value.
	if err := proto.Unmarshal(b, want); err != nil {
		t.Fatal(err)
	}
	replaceStrings(want.ProtoReflect())
	return want
}

// replaceStrings swaps marker for repaired in every string of m.
func replaceStrings(m protoreflect.Message) {
	fix := func(fd protoreflect.FieldDescriptor, v protoreflect.Value) protoreflect.Value {
		if fd.Kind() == protoreflect.StringKind {
			return protoreflect.ValueOfString(strings.ReplaceAll(v.String(), marker, repaired))
		}
		if fd.Kind() == protoreflect.MessageKind {
			replaceStrings(v.Message())
		}
		return v
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			l := v.List()
			for i := range l.Len() {
				l.Set(i, fix(fd, l.Get(i)))
			}
		case fd.IsMap():
			mp := v.Map()
			type kv struct {
				k protoreflect.MapKey
				v protoreflect.Value
			}
			var all []kv
			mp.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
				all = append(all, kv{k, v})
				return true
			})
			for _, e := range all {
				mp.Clear(e.k)
				k := e.k
				if fd.MapKey().Kind() == protoreflect.StringKind {
					k = protoreflect.ValueOfString(strings.ReplaceAll(e.k.String(), marker, repaired)).MapKey()
				}
				mp.Set(k, fix(fd.MapValue(), e.v))
			}
		default:
			m.Set(fd, fix(fd, v))
		}
		return true
	})
}

// TestRepairUTF8: messages Go's decoder refuses for a bad string decode
// once repaired, with U+FFFD in place of the bad bytes and every other
// field as it was: strings in nested messages, repeated strings and
// messages, map keys and values, next to packed numbers and bytes.
func TestRepairUTF8(t *testing.T) {
	for name, m := range map[string]proto.Message{
		"nested": &pb.Event{Seq: 7, LoginId: "l", ChatId: "c", Sender: &pb.Sender{UserId: "u", Name: marker},
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "hi " + marker + " there",
				Attachments: []*pb.Attachment{{Name: "ok"}, {Name: marker, MimeType: "text/plain"}}}}},
		"repeated strings":  &pb.Chat{ChatId: "c", PinnedIds: []string{"a", marker, "b", marker}},
		"repeated messages": &pb.ChatListResponse{Chats: []*pb.Chat{{ChatId: "good"}, {ChatId: "x", Name: marker}, {ChatId: marker}}},
		"map of strings": &pb.SubmitLoginInputRequest{ProcessId: "p", Fields: map[string]string{
			"k": marker, marker: "v", "other": "fine"}},
		"map of messages": &structpb.Struct{Fields: map[string]*structpb.Value{
			"s":    structpb.NewStringValue(marker),
			"l":    structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{structpb.NewNumberValue(1), structpb.NewStringValue(marker)}}),
			marker: structpb.NewBoolValue(true),
		}},
		"packed numbers": &descriptorpb.SourceCodeInfo{Location: []*descriptorpb.SourceCodeInfo_Location{
			{Path: []int32{4, 0, 2, 300000}, Span: []int32{1, 2, 3}, LeadingComments: proto.String(marker),
				LeadingDetachedComments: []string{"x", marker}}}},
	} {
		t.Run(name, func(t *testing.T) {
			bad := breakUTF8(t, m)
			got := m.ProtoReflect().New().Interface()
			// proto2 (descriptorpb) does not check its strings.
			if m.ProtoReflect().Descriptor().Syntax() == protoreflect.Proto3 {
				if err := proto.Unmarshal(bad, got); err == nil {
					t.Fatal("the broken message decodes as it is: the test proves nothing")
				}
			}
			fixed, changed, err := repairUTF8(bad, m.ProtoReflect().Descriptor())
			if err != nil || !changed {
				t.Fatalf("repair: changed %v, %v", changed, err)
			}
			if err := proto.Unmarshal(fixed, got); err != nil {
				t.Fatalf("repaired message does not decode: %v", err)
			}
			if want := fixMarkers(t, m); !proto.Equal(got, want) {
				t.Fatalf("repaired\n%v\nwant\n%v", got, want)
			}
		})
	}
}

// TestRepairUTF8Valid: a valid message is left as it is.
func TestRepairUTF8Valid(t *testing.T) {
	m := &pb.Event{LoginId: "l", Sender: &pb.Sender{Name: "Zoë 🎉"},
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "ok"}}}
	b, _ := proto.Marshal(m)
	fixed, changed, err := repairUTF8(b, m.ProtoReflect().Descriptor())
	if err != nil || changed || !bytes.Equal(fixed, b) {
		t.Fatalf("valid message: changed %v, %v", changed, err)
	}
}

// TestRepairUTF8Garbage: bytes that are not protobuf are an error, never
// a panic, whether cut anywhere or made up.
func TestRepairUTF8Garbage(t *testing.T) {
	desc := (&pb.Event{}).ProtoReflect().Descriptor()
	bad := breakUTF8(t, &pb.Event{LoginId: marker, Sender: &pb.Sender{Name: marker},
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: marker}}})
	for i := range len(bad) {
		repairUTF8(bad[:i], desc) // must not panic; some cuts fall between fields
	}
	for name, b := range map[string][]byte{
		"length past the end":    {0x12, 0x05, 'a'},
		"unended varint":         {0xff},
		"field number 0":         {0x02, 0x00},
		"nested length past end": {0x2a, 0x03, 0x1a, 0x09, 'x'},
		"end group alone":        {0x0c},
	} {
		if _, _, err := repairUTF8(b, desc); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestRepairUTF8Depth: garbage nested without end is refused, not
// followed down the stack.
func TestRepairUTF8Depth(t *testing.T) {
	// ListValue{values: [Value{list_value: ListValue{...}}]}, deeper
	// than maxRepairDepth.
	var b []byte
	for range maxRepairDepth/2 + 10 {
		v := protowire.AppendTag(nil, 6, protowire.BytesType)
		v = protowire.AppendBytes(v, b)
		b = protowire.AppendTag(nil, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, v)
	}
	_, _, err := repairUTF8(b, (&structpb.ListValue{}).ProtoReflect().Descriptor())
	if !errors.Is(err, errRepairDepth) {
		t.Fatalf("want errRepairDepth, got %v", err)
	}
}

// FuzzRepairUTF8: whatever the bytes, the repair does not panic; what it
// returns has no invalid UTF-8 left in its strings, is stable, and a
// message Go already decodes is left as it is.
func FuzzRepairUTF8(f *testing.F) {
	f.Add(breakUTF8(f, &pb.Event{LoginId: marker, Sender: &pb.Sender{Name: marker},
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: marker, Attachments: []*pb.Attachment{{Name: marker}}}}}))
	f.Add(breakUTF8(f, &pb.Event{Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: marker,
		Spans: []*pb.Span{{Start: 1, End: 2}}}}}))
	f.Add([]byte{0x12, 0x05, 'a'})
	desc := (&pb.Event{}).ProtoReflect().Descriptor()
	f.Fuzz(func(t *testing.T, b []byte) {
		fixed, changed, err := repairUTF8(b, desc)
		if err != nil {
			return
		}
		if !changed && !bytes.Equal(fixed, b) {
			t.Fatal("unchanged, but other bytes")
		}
		if proto.Unmarshal(b, &pb.Event{}) == nil && changed {
			t.Fatal("a message Go decodes was changed")
		}
		if err := proto.Unmarshal(fixed, &pb.Event{}); err != nil && strings.Contains(err.Error(), "UTF-8") {
			t.Fatalf("still invalid UTF-8 after the repair: %v", err)
		}
		again, changed, err := repairUTF8(fixed, desc)
		if err != nil || changed || !bytes.Equal(again, fixed) {
			t.Fatalf("a second repair: changed %v, %v", changed, err)
		}
	})
}
