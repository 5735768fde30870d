package bridge_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// minimalPkg is a plugin whose session implements no optional interface
// of the SDK (it claims some features anyway, which the SDK masks).
const minimalPkg = "passerelle.im/passerelle/plugins/plugintest/testdata/minimal"

var minimal struct {
	once sync.Once
	bin  string
	err  error
}

// minimalBin builds the minimal plugin once for the test process.
func minimalBin(t *testing.T) string {
	t.Helper()
	minimal.once.Do(func() {
		// Beside the echo plugin, in the folder TestMain removes.
		minimal.bin = filepath.Join(filepath.Dir(echoBin), "minimal")
		build := exec.Command("go", "build", "-o", minimal.bin, minimalPkg)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			minimal.err = fmt.Errorf("building %s: %w\n%s", minimalPkg, err, out)
		}
	})
	if minimal.err != nil {
		t.Fatal(minimal.err)
	}
	return minimal.bin
}

// A plugin that declares nothing optional, run by the real gateway
// against a real Prosody: text goes both ways, and every optional action
// a client tries (a correction, a reaction, a retraction, a file, adding
// a contact) is answered feature-not-implemented; chat states and
// markers, which are ephemeral, are dropped without an error. The
// gateway advertises none of those features.
func TestMinimalPluginRefusesOptionalActions(t *testing.T) {
	s := newStack(t, stackOptions{plugin: minimalBin(t)})
	alice := registered(t, s, "alice")
	ctx := ctxT(t)
	bob := "bob@" + domain

	info, err := alice.IQ(ctx, `<iq type='get' to='`+domain+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"urn:xmpp:message-correct:0", "urn:xmpp:reactions:0", "urn:xmpp:message-retract:1", "jabber:x:oob", "http://jabber.org/protocol/chatstates"} {
		if strings.Contains(info.XML, ns) {
			t.Errorf("disco#info advertises %s, which the plugin does not implement: %s", ns, info.XML)
		}
	}

	// Text goes out and the echo comes back.
	first := sendChat(t, alice, bob, "hello minimal")
	st := nextMessage(t, alice, bob, timeout)
	if st.Type != "chat" || st.Body != "hello minimal" {
		t.Fatalf("echo: %s", st.XML)
	}

	refused := func(what, stanza string) {
		t.Helper()
		raw(t, alice, stanza)
		st := nextMessage(t, alice, bob, timeout)
		if st.Type != "error" || st.Err == nil || st.Err.Condition != "feature-not-implemented" {
			t.Errorf("%s: want feature-not-implemented, got %s", what, st.XML)
		}
	}
	id := func() string { return alice.NewID() }
	refused("correction", `<message type='chat' id='`+id()+`' to='`+bob+`'><body>fixed</body><replace xmlns='urn:xmpp:message-correct:0' id='`+first+`'/></message>`)
	refused("reaction", `<message type='chat' id='`+id()+`' to='`+bob+`'><reactions xmlns='urn:xmpp:reactions:0' id='`+first+`'><reaction>👍</reaction></reactions></message>`)
	refused("retraction", `<message type='chat' id='`+id()+`' to='`+bob+`'><retract xmlns='urn:xmpp:message-retract:1' id='`+first+`'/><body>retracted</body></message>`)
	refused("file", `<message type='chat' id='`+id()+`' to='`+bob+`'><body>http://127.0.0.1:9/f.txt</body><x xmlns='jabber:x:oob'><url>http://127.0.0.1:9/f.txt</url></x></message>`)
	refused("a timer", `<message type='chat' id='`+id()+`' to='`+bob+`'><body>/timer 1d</body></message>`)
	refused("a vote", `<message type='chat' id='`+id()+`' to='`+bob+`'><body>/vote 1</body><reply xmlns='urn:xmpp:reply:0' to='`+bob+`' id='`+first+`'/></message>`)
	refused("a pin", `<message type='chat' id='`+id()+`' to='`+bob+`'><body>/pin</body><reply xmlns='urn:xmpp:reply:0' to='`+bob+`' id='`+first+`'/></message>`)
	refused("a poll", `<message type='chat' id='`+id()+`' to='`+bob+`'><body>/poll Lunch? Pizza / Sushi</body></message>`)

	// Chat states and markers reach nobody and raise no error: the next
	// message from bob is the echo of the next text.
	raw(t, alice, `<message type='chat' to='`+bob+`'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	raw(t, alice, `<message type='chat' to='`+bob+`'><displayed xmlns='urn:xmpp:chat-markers:0' id='`+first+`'/></message>`)
	sendChat(t, alice, bob, "still here")
	if st := nextMessage(t, alice, bob, timeout); st.Type != "chat" || st.Body != "still here" {
		t.Fatalf("after a chat state and a marker: %s", st.XML)
	}

	// Adding a contact by identifier (XEP-0100) needs ResolveIdentifier.
	r, err := alice.IQ(ctx, `<iq type='set' to='`+domain+`'><query xmlns='jabber:iq:gateway'><prompt>carol</prompt></query></iq>`)
	if err != nil {
		t.Fatal(err)
	}
	if r.Err == nil || r.Err.Condition != "feature-not-implemented" {
		t.Errorf("jabber:iq:gateway: want feature-not-implemented, got %s", r.XML)
	}
}
