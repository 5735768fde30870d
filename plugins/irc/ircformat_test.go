package irc_test

import (
	"strings"
	"testing"

	"github.com/ergochat/irc-go/ircmsg"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// formattedSend is a send of text with spans.
func formattedSend(login, chat, text string, spans ...*pb.Span) *pb.Command {
	return plugintest.Act(login, chat, "", &pb.SendMessage{Text: text, Spans: spans})
}

func span(start, end uint32, style pb.Span_Style) *pb.Span {
	return &pb.Span{Start: start, End: end, Style: style}
}

// The user's formatting (the gateway's spans of XEP-0393 styling: the
// plugin says it takes formatting) reaches IRC as typed, inside mIRC's
// codes, which IRC clients show: bold, italic, strike, monospace
// ("^B*bold*^B": the directives stay, not all meant as styling), each line of a
// message opening them again; a quote's lines start with "> ". A
// command typed in a room reads as typed: "/mode +b *!*@host", whose
// "*!*" the gateway read as a bold "!". Before, the plugin took no
// formatting: the gateway sent the body as typed, "*bold*" and all.
func TestFormattingToIRC(t *testing.T) {
	s := startNgircd(t)
	p, evs, login := loginConnected(t, nil, loginFields(s, "carol", ""))
	cmds := p.Commands()
	send := func(cmd *pb.Command) {
		t.Helper()
		if res := cmds.Send(cmd); res.Error != nil {
			t.Fatalf("send: %v", res.Error)
		}
	}
	// Carol makes the channel (its operator), then dave comes.
	send(plugintest.SendText(login.LoginId, "127.0.0.1", "", "JOIN #fmt"))
	evs.NextEvent(func(ev *pb.Event) bool { return ev.ChatId == "#fmt" && ev.GetChat() != nil })
	dave := newClient(t, s, "dave")
	dave.join("#fmt")

	send(formattedSend(login.LoginId, "#fmt", "bold, italic, gone and code",
		span(0, 4, pb.Span_STYLE_BOLD), span(6, 12, pb.Span_STYLE_ITALIC), span(14, 18, pb.Span_STYLE_STRIKE), span(23, 27, pb.Span_STYLE_CODE)))
	dave.await("PRIVMSG", "\x02*bold*\x02, \x1d_italic_\x1d, \x1e~gone~\x1e and \x11`code`\x11")

	send(formattedSend(login.LoginId, "dave", "you said\nit works\nyes all of it",
		span(0, 17, pb.Span_STYLE_QUOTE), span(18, 31, pb.Span_STYLE_ITALIC)))
	dave.await("PRIVMSG", "> you said")
	dave.await("PRIVMSG", "> it works")
	dave.await("PRIVMSG", "\x1d_yes all of it_\x1d")

	send(formattedSend(login.LoginId, "#fmt", "/me waves hard", span(10, 14, pb.Span_STYLE_BOLD)))
	dave.await("CTCP_ACTION", "waves \x02*hard*\x02")

	send(formattedSend(login.LoginId, "#fmt", "/mode +b !@evil.example", span(9, 10, pb.Span_STYLE_BOLD)))
	dave.await("MODE", "*!*@evil.example")

	// A bold paragraph too long for one IRC line: each piece is bold
	// (a code holds to its line's end only).
	long := strings.Repeat("word ", 120)
	send(formattedSend(login.LoginId, "#fmt", long, span(0, uint32(len(long)-1), pb.Span_STYLE_BOLD)))
	var words []string
	for range 2 {
		piece := lastOf(dave.await("PRIVMSG", ""))
		if !strings.HasPrefix(piece, "\x02") {
			t.Errorf("a piece of the long bold line: %q, want it bold from its start", piece)
		}
		words = append(words, strings.Fields(strings.NewReplacer("\x02", "", "*", "").Replace(piece))...)
	}
	if len(words) != 120 { // ngircd drops a line's trailing space
		t.Errorf("the long line's pieces have %d words, want 120", len(words))
	}
}

func lastOf(m ircmsg.Message) string { return m.Params[len(m.Params)-1] }

// In a channel with mode +c (UnrealIRCd's, InspIRCd's, Solanum's: no
// colours or codes) the user's formatting goes as they typed it, the
// directives in the words; once -c, as codes again. A spoiler, which
// IRC cannot hide, is refused, nothing sent.
func TestFormattingInChannelWithoutCodes(t *testing.T) {
	srv := startScripted(t, "", "")
	p, _, login := scriptedLogin(t, srv, "", "kit", "#room")
	srv.got("JOIN #room")
	srv.send(":op!o@h MODE #room +c")
	srv.sync()
	cmds := p.Commands()
	if res := cmds.Send(formattedSend(login.LoginId, "#room", "so bold", span(3, 7, pb.Span_STYLE_BOLD))); res.Error != nil {
		t.Fatalf("send: %v", res.Error)
	}
	srv.got("PRIVMSG #room :so *bold*")
	srv.send(":op!o@h MODE #room -c")
	srv.sync()
	if res := cmds.Send(formattedSend(login.LoginId, "#room", "now bold", span(4, 8, pb.Span_STYLE_BOLD))); res.Error != nil {
		t.Fatalf("send: %v", res.Error)
	}
	srv.got("PRIVMSG #room :now \x02*bold*\x02")
	from := len(srv.sent(0, ""))
	if res := cmds.Send(formattedSend(login.LoginId, "#room", "the butler did it", span(0, 17, pb.Span_STYLE_SPOILER))); res.Error.GetCode() != pb.ErrorCode_ERROR_CODE_UNSUPPORTED {
		t.Errorf("a spoiler: %v; want UNSUPPORTED", res.Error)
	}
	srv.sync()
	if got := srv.sent(from, "PRIVMSG"); len(got) != 0 {
		t.Errorf("the spoiler went: %q", got)
	}
}

// Where the server echoes the user's lines, the echo of a formatted
// line (its codes as sent) confirms the send, with the server's msgid,
// and is no message of its own; one the channel stripped of its codes
// (+S) does too.
func TestFormattedLineEchoed(t *testing.T) {
	srv := startScripted(t, "message-tags server-time echo-message", "")
	p, evs, login := scriptedLogin(t, srv, "", "kit", "#room")
	srv.got("JOIN #room")
	srv.sync()
	cmds := p.Commands()
	res := cmds.Send(formattedSend(login.LoginId, "#room", "so bold", span(3, 7, pb.Span_STYLE_BOLD)))
	if res.Error != nil || !strings.HasPrefix(res.MessageId, "srv-") {
		t.Fatalf("send: %v, ID %q; want the echo's msgid", res.Error, res.MessageId)
	}
	srv.got("PRIVMSG #room :so \x02*bold*\x02")
	srv.mu.Lock()
	srv.echoAs = "stripped *bold*"
	srv.mu.Unlock()
	res = cmds.Send(formattedSend(login.LoginId, "#room", "stripped bold", span(9, 13, pb.Span_STYLE_BOLD)))
	if res.Error != nil || !strings.HasPrefix(res.MessageId, "srv-") {
		t.Fatalf("send: %v, ID %q; want the stripped echo's msgid", res.Error, res.MessageId)
	}
	srv.send(":zoe!z@h PRIVMSG #room :marker")
	evs.NextEvent(func(ev *pb.Event) bool {
		if m := ev.GetMessage(); m != nil && ev.Sender.GetIsFromMe() {
			t.Errorf("an echo came as a message: %q", m.Text)
		}
		return ev.GetMessage().GetText() == "marker"
	})
}
