// Command badwire is a plugin that breaks the contract the way a plugin
// with its own protobuf encoder can, past what Go's encoder and the SDK's
// checks at emit let through: for every message the user sends, it emits
// an event whose text and sender name hold invalid UTF-8 (which proto3
// strings must not), then one whose ID holds a NUL (which the store
// refuses), then a good event. The gateway's tests run it to check that
// the first arrives repaired, the second is counted as rejected, and
// neither blocks the ones after it.
//
// The plugin writes markers in place of the bad bytes, and a gRPC codec
// of its own (wirecodec) swaps each marker's bytes on the wire, at the
// same length.
package main

import (
	"context"
	"time"

	"passerelle.im/passerelle/bridge/testdata/testplugin"
	"passerelle.im/passerelle/bridge/testdata/wirecodec"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Marker is what the plugin writes in strings; on the wire its third and
// fourth bytes become 0xff 0xfe, which no UTF-8 text holds. NULMarker is
// what it writes in an ID; on the wire its third byte becomes a NUL.
const (
	Marker    = "@@INVALID@@"
	NULMarker = "@@NULID@@"
)

func init() {
	wirecodec.Break(map[string]string{Marker: "@@\xff\xfe" + Marker[4:], NULMarker: "@@\x00" + NULMarker[3:]})
}

func main() {
	sdk.Serve[*session](&network{testplugin.Network{Caps: testplugin.Caps("badwire", "Bad wire", nil)}})
}

type network struct{ testplugin.Network }

func (n *network) LoadLogin(_ context.Context, l sdk.LoginInfo) (*session, error) {
	return &session{n.Session(l)}, nil
}

// session is testplugin's, but for the messages it takes.
type session struct{ testplugin.Session }

// SendMessage answers with an event of broken text and sender name, one
// of a NUL in its ID, then a good one.
func (s *session) SendMessage(_ context.Context, c sdk.Call, m *pb.SendMessage) (sdk.Result, error) {
	id := testplugin.NewID()
	s.Host.Emit(&pb.Event{LoginId: s.ID, ChatId: c.ChatID, Sender: &pb.Sender{UserId: c.ChatID, Name: Marker},
		TimestampUnixMicro: time.Now().UnixMicro(), EventId: id + ".bad",
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "bad " + Marker + " " + m.Text}}})
	s.Say(c.ChatID, id+NULMarker, &pb.MessageEvent{Text: "rejected " + m.Text})
	s.Say(c.ChatID, id+".good", &pb.MessageEvent{Text: "good " + m.Text})
	return sdk.Result{MessageID: id}, nil
}
