package bridge_test

import (
	"crypto/sha1"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/xmpptest"
)

// TestReactionLimitN: a plugin that keeps three reactions of the user's
// on a message (Features.max_reactions 3, as Telegram with Premium) has
// its contacts and rooms say so in disco#info (XEP-0444's
// max_reactions_per_user 3), in the contact's caps too (the form is in
// the ver), and a set of four from a client that did not look reaches
// the network as its newest three, which the echo network (refusing
// more, as Telegram does) takes. Before, only single_reaction existed:
// clients were told no limit, and all four went, to be refused.
func TestReactionLimitN(t *testing.T) {
	wrapper := filepath.Join(t.TempDir(), "echo-three-reactions")
	script := "#!/bin/sh\n" + echo.MaxReactionsEnv + "=3 exec '" + echoBin + "' \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	s := newStack(t, stackOptions{plugin: wrapper})
	alice := roomUser(t, s, "alice")

	rule := regexp.MustCompile(`<field var="max_reactions_per_user"><value>(\d+)</value></field>`)
	p := nextPresence(t, alice, "echo-2@"+domain, "", nil)
	d, st := getDiscoInfo(t, alice, "echo-2@"+domain, "")
	if m := rule.FindStringSubmatch(st.XML); m == nil || m[1] != "3" || !strings.Contains(st.XML, "urn:xmpp:reactions:0:restrictions") {
		t.Errorf("contact disco#info: want max_reactions_per_user 3 in a restrictions form: %s", st.XML)
	}
	var c struct {
		C struct {
			Ver string `xml:"ver,attr"`
		} `xml:"http://jabber.org/protocol/caps c"`
	}
	if err := p.Unmarshal(&c); err != nil {
		t.Fatal(err)
	}
	if want := verWithReactionLimit(d, "3"); c.C.Ver != want {
		t.Errorf("presence caps ver %s, want %s (with the restrictions form): %s", c.C.Ver, want, p.XML)
	}
	info, err := alice.IQ(ctxT(t), `<iq type='get' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if err != nil || info.Type != "result" {
		t.Fatalf("room disco#info: %v %s", err, info.XML)
	}
	if m := rule.FindStringSubmatch(info.XML); m == nil || m[1] != "3" {
		t.Errorf("room disco#info: want max_reactions_per_user 3: %s", info.XML)
	}

	e := echoID(t, alice, "r1", "react four times")
	raw(t, alice, `<message type='chat' id='r4' to='bob@`+domain+`'><reactions xmlns='urn:xmpp:reactions:0' id='`+e+`'><reaction>👍</reaction><reaction>❤️</reaction><reaction>😂</reaction><reaction>😮</reaction></reactions></message>`)
	r := next(t, alice, "the echo's reaction or an error", func(st xmpptest.Stanza) bool {
		return st.Type == "error" || strings.Contains(st.XML, "urn:xmpp:reactions:0")
	})
	if r.Type == "error" || !strings.Contains(r.XML, "<reaction>❤️</reaction><reaction>😂</reaction><reaction>😮</reaction></reactions>") || strings.Contains(r.XML, "👍") {
		t.Fatalf("want the newest three reactions on the network (❤️ 😂 😮), got %s", r.XML)
	}
}

// verWithReactionLimit is the XEP-0115 §5.1 verification string of d
// with XEP-0444's restrictions form (step 7) saying max.
func verWithReactionLimit(d discoInfo, max string) string {
	var ids []string
	for _, id := range d.Identities {
		ids = append(ids, id.Category+"/"+id.Type+"/"+id.Lang+"/"+id.Name)
	}
	slices.Sort(ids)
	var s strings.Builder
	for _, id := range ids {
		s.WriteString(id + "<")
	}
	for _, f := range d.features() {
		s.WriteString(f + "<")
	}
	s.WriteString("urn:xmpp:reactions:0:restrictions<max_reactions_per_user<" + max + "<")
	sum := sha1.Sum([]byte(s.String()))
	return base64.StdEncoding.EncodeToString(sum[:])
}
