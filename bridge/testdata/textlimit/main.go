// Command textlimit is a plugin that declares a small max_text_bytes
// (Limit) and does not check it: it takes any text, and answers each
// message and correction the user sends with the contact's message
// "got: TEXT" (or "edited: TEXT"). The gateway's tests run it to check
// that the gateway refuses a text over the limit itself, before it
// reaches the plugin.
package main

import (
	"context"

	"passerelle.im/passerelle/bridge/testdata/testplugin"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Limit is the max_text_bytes the plugin declares.
const Limit = 20

func main() {
	caps := testplugin.Caps("textlimit", "Text Limit", &pb.Features{Edits: true})
	caps.MaxTextBytes = Limit
	sdk.Serve[*session](&network{testplugin.Network{Caps: caps}})
}

type network struct{ testplugin.Network }

func (n *network) LoadLogin(_ context.Context, l sdk.LoginInfo) (*session, error) {
	return &session{n.Session(l)}, nil
}

// session is testplugin's, but for the messages it takes.
type session struct{ testplugin.Session }

// SendMessage takes any text, over the limit too, and says what it got.
func (s *session) SendMessage(_ context.Context, c sdk.Call, m *pb.SendMessage) (sdk.Result, error) {
	s.Say(c.ChatID, testplugin.NewID(), &pb.MessageEvent{Text: "got: " + m.Text})
	return sdk.Result{MessageID: testplugin.NewID()}, nil
}

// EditMessage takes any text, and says what it got.
func (s *session) EditMessage(_ context.Context, c sdk.Call, e *pb.EditMessage) (sdk.Result, error) {
	s.Say(c.ChatID, testplugin.NewID(), &pb.MessageEvent{Text: "edited: " + e.Text})
	return sdk.Result{}, nil
}
