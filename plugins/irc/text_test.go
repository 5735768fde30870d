package irc_test

import (
	"fmt"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// What IRC clients write reaches the user as text: mIRC's bold, italic
// and monospace as spans, colours gone; a line in Latin-1 read as such;
// a NOTICE from someone as a message; a topic and a part reason without
// their codes. Before, one Latin-1 line broke the plugin's event stream
// (protobuf strings must be UTF-8), restarting the plugin and losing the
// line, and a formatting code broke the gateway's stream to the server.
func TestWhatIRCClientsWrite(t *testing.T) {
	s := startNgircd(t)
	dave := newClient(t, s, "dave")
	dave.join("#fmt")

	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	evs := p.Events()
	login := p.Login("", loginFields(s, "carol", "#fmt"))
	p.Connect(login.LoginId, login.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool {
		return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	msgIn := func(chatID, text string) *pb.MessageEvent {
		t.Helper()
		return evs.NextEvent(func(ev *pb.Event) bool {
			return ev.ChatId == chatID && ev.GetMessage().GetText() == text
		}).GetMessage()
	}
	spans := func(m *pb.MessageEvent) string {
		var out []string
		for _, sp := range m.Spans {
			out = append(out, fmt.Sprintf("%s[%s]", strings.TrimPrefix(sp.Style.String(), "STYLE_"), m.Text[sp.Start:sp.End]))
		}
		return strings.Join(out, " ")
	}

	for _, c := range []struct{ chat, line, text, spans string }{
		{"carol", "\x02bold\x02, \x1ditalic\x1d, \x11code\x11 and \x0304,01red\x03", "bold, italic, code and red", "BOLD[bold] ITALIC[italic] CODE[code]"},
		{"carol", "caf\xe9 cr\xe8me \x93br\xfbl\xe9e\x94", "café crème “brûlée”", ""},
		{"#fmt", "\x02\x1fin the room\x0f plain", "in the room plain", "BOLD[in the room]"},
	} {
		if err := dave.conn.Privmsg(c.chat, c.line); err != nil {
			t.Fatal(err)
		}
		from := c.chat
		if from == "carol" {
			from = "dave"
		}
		if m := msgIn(from, c.text); spans(m) != c.spans {
			t.Errorf("%q: spans %s, want %s", c.line, spans(m), c.spans)
		}
	}
	if err := dave.conn.Action("carol", "waves \x02hard\x02"); err != nil {
		t.Fatal(err)
	}
	if m := msgIn("dave", "/me waves hard"); spans(m) != "BOLD[hard]" {
		t.Errorf("/me: spans %s", spans(m))
	}

	// A NOTICE from someone is a message; a CTCP reply is not.
	if err := dave.conn.Notice("carol", "\x01VERSION someclient\x01"); err != nil {
		t.Fatal(err)
	}
	if err := dave.conn.Notice("carol", "a notice for carol"); err != nil {
		t.Fatal(err)
	}
	msgIn("dave", "a notice for carol")
	if err := dave.conn.Notice("#fmt", "a notice to the room"); err != nil {
		t.Fatal(err)
	}
	msgIn("#fmt", "a notice to the room")

	if err := dave.conn.Send("TOPIC", "#fmt", "\x02the\x02 \x0312topic\x03 \xe9t\xe9"); err != nil {
		t.Fatal(err)
	}
	if ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetTopic() != nil }); ev.GetTopic().Topic != "the topic été" {
		t.Errorf("topic %q", ev.GetTopic().Topic)
	}
	if err := dave.conn.Send("PART", "#fmt", "\x02bye\x02 \xe0 plus"); err != nil {
		t.Fatal(err)
	}
	ev := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMember().GetKind() == pb.MemberEvent_KIND_LEFT })
	if ev.GetMember().Reason != "bye à plus" {
		t.Errorf("part reason %q", ev.GetMember().Reason)
	}
}
