package sdk

import (
	"strings"
	"unicode"
	"unicode/utf8"

	pb "passerelle.im/passerelle/plugins/proto"
)

// ChatCommand reads a message typed in a chat as the command word
// ("/trust", "/mode"; any case), as a plugin takes some of its own
// commands from the text the user sends: its arguments ("" for the bare
// word), and ok. Another word that starts the same ("/moderate") is
// none, nor is a message of several lines, nor one escaped with a
// doubled slash ("//trust", see UnescapeChatCommand).
func ChatCommand(text, word string) (args string, ok bool) {
	text = strings.TrimSpace(text)
	if strings.ContainsAny(text, "\r\n") || len(text) < len(word) || !strings.EqualFold(text[:len(word)], word) {
		return "", false
	}
	rest := text[len(word):]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

// UnescapeChatCommand takes one slash off a message that starts (after
// spaces or tabs) with "//" and a letter, as IRC clients do: "//block"
// sends "/block" as text, which the plugin would otherwise read as its
// command. Anything else ("//", "// note", "///", a later line) is left
// as typed, as no command needs escaping there. A plugin calls it on a
// message it sends as text, after looking for its own commands if it
// reads any (the gateway's, "/timer", need the escape too); the spans
// after the slash move back with the text. It
// reports whether it took one off (the plugin then reads no other
// prefix of its own, such as IRC's "/me ", in the text).
func UnescapeChatCommand(msg *pb.SendMessage) bool {
	at := len(msg.Text) - len(strings.TrimLeft(msg.Text, " \t"))
	rest, ok := strings.CutPrefix(msg.Text[at:], "//")
	if !ok {
		return false
	}
	if r, _ := utf8.DecodeRuneInString(rest); !unicode.IsLetter(r) {
		return false
	}
	msg.Text = msg.Text[:at] + msg.Text[at+1:]
	for _, s := range msg.Spans {
		if int(s.Start) > at {
			s.Start--
		}
		if int(s.End) > at {
			s.End--
		}
	}
	return true
}
