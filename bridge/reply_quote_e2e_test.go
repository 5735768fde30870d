package bridge_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// quoteOf is the fallback quote of the echo's OldQuote by author.
func quoteOf(author string) string {
	return "> " + author + ": " + strings.ReplaceAll(echo.OldQuote, "\n", "\n> ") + "\n"
}

// checkQuoteFallback fails unless st is answer with the quote before it,
// marked as XEP-0461's fallback (XEP-0428), and no reply reference.
func checkQuoteFallback(t *testing.T, st xmpptest.Stanza, quote, answer string) {
	t.Helper()
	if st.Body != quote+answer {
		t.Fatalf("want the network's quote before the answer, %q, got %s", quote+answer, st.XML)
	}
	end := strconv.Itoa(utf8.RuneCountInString(quote))
	fb := regexp.MustCompile(`<fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body [^>]*>`).FindString(st.XML)
	if !strings.Contains(fb, ` start="0"`) || !strings.Contains(fb, ` end="`+end+`"`) {
		t.Fatalf("the quote is not marked as the reply's fallback (end %s): %s", end, st.XML)
	}
	if strings.Contains(st.XML, "<reply ") {
		t.Fatalf("a reply reference to a message the user never had: %s", st.XML)
	}
}

// TestReplyToOldMessageShowsNetworkQuote: a contact's reply to a message
// the gateway never had (from before the login) shows the quote the
// network carried with it, as a XEP-0428 fallback, credited to its
// author; before, it came as a plain message with no context. A reply
// to a message the gateway knows is unchanged: a XEP-0461 reply quoted
// from the gateway's own copy, not from the network's quote.
func TestReplyToOldMessageShowsNetworkQuote(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")

	raw(t, alice, `<message type='chat' id='o1' to='bob@`+domain+`'><body>reply-old got it</body></message>`)
	checkQuoteFallback(t, next(t, alice, "bob's reply to an old message", func(s xmpptest.Stanza) bool { return strings.HasSuffix(s.Body, "got it") }),
		quoteOf("bob"), "got it")

	raw(t, alice, `<message type='chat' id='o2' to='bob@`+domain+`'><body>reply-old-mine thanks</body></message>`)
	checkQuoteFallback(t, next(t, alice, "bob's reply to the user's old message", func(s xmpptest.Stanza) bool { return strings.HasSuffix(s.Body, "thanks") }),
		quoteOf("You"), "thanks")

	id := echoID(t, alice, "m1", "lunch at noon?")
	raw(t, alice, `<message type='chat' id='q2' to='bob@`+domain+`'><body>sure</body><reply xmlns='urn:xmpp:reply:0' to='bob@`+domain+`' id='`+id+`'/><origin-id xmlns='urn:xmpp:sid:0' id='q2'/></message>`)
	r := next(t, alice, "the reply's echo", has("urn:xmpp:reply:0"))
	if r.Body != "> sure\nsure" {
		t.Fatalf("a reply to a known message: want the gateway's own quote, got %s", r.XML)
	}
}

// TestRoomReplyToOldMessageShowsNetworkQuote: the same in a room, the
// quote's author named by their nick there: Echo One's own, or the
// user's for the user's old message.
func TestRoomReplyToOldMessageShowsNetworkQuote(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)

	groupchat(t, alice, "reply-old got it")
	checkQuoteFallback(t, roomMessage(t, alice, "Echo One", quoteOf("Echo One")+"got it"), quoteOf("Echo One"), "got it")

	groupchat(t, alice, "reply-old-mine thanks")
	checkQuoteFallback(t, roomMessage(t, alice, "Echo One", quoteOf(self)+"thanks"), quoteOf(self), "thanks")
}

// TestNetworkQuoteLong: a network quote far over any message's size (a
// hostile or broken plugin's), and an author ID as long, are cut at
// intake like the text beside them: the reply reaches the user with the
// start of the quote, and is not lost to the server's stanza limit or
// the store's bounds.
func TestNetworkQuoteLong(t *testing.T) {
	s := newStack(t, stackOptions{})
	alice := registered(t, s, "alice")
	sendChat(t, alice, "bob@"+domain, `net-event {"eventId":"q1","message":{"text":"after the quote","replyToId":"never-had","quoteText":"@@2000000@@","quoteAuthorId":"@@600000@@"}}`)
	m, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
		return st.Name == "message" && bareJID(st.From) == "bob@"+domain && strings.HasSuffix(st.Body, "after the quote")
	})
	if err != nil {
		t.Fatalf("the reply with a long quote never came: %v", err)
	}
	if !strings.HasPrefix(m.Body, "> ") || !strings.Contains(m.Body, "xxxx") || len(m.XML) > 1<<20 {
		t.Fatalf("reply of %d bytes: %.300s", len(m.XML), m.Body)
	}
}
