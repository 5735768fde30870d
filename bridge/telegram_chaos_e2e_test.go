package bridge_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// tgFar is Telegram as tgfake plays it: a real MTProto server in the
// test's process, which keeps each user's box and hands a client that
// comes back what it missed (updates.getDifference).
type tgFar struct {
	srv         *tgfake.Server
	user, other int64 // the user logged in and her contact, a member of the group
	group       int64
}

func (f tgFar) receive(t *testing.T, group bool, body string) {
	var to tg.PeerClass = &tg.PeerUser{UserID: f.user}
	if group {
		to = &tg.PeerChat{ChatID: f.group}
	}
	f.srv.Send(f.other, to, body)
}

func (f tgFar) sent(group bool) []string {
	prefix := "out direct "
	if group {
		prefix = "out group "
	}
	var out []string
	for _, m := range f.srv.Messages(f.other) {
		if strings.HasPrefix(m.Message, prefix) {
			out = append(out, m.Message)
		}
	}
	return out
}

// tgPluginConfig is the [transport.config] body, in TOML, for srv.
func tgPluginConfig(t *testing.T, srv *tgfake.Server) string {
	t.Helper()
	sc := srv.ServerConfig()
	q := func(s string) string {
		b, err := json.Marshal(s) // a JSON string is a TOML basic string
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var dcs, keys []string
	for id, addr := range sc["dcs"].(map[string]string) {
		dcs = append(dcs, q(id)+" = "+q(addr))
	}
	for _, k := range sc["public_keys"].([]string) {
		keys = append(keys, q(k))
	}
	return fmt.Sprintf("api_id = 17\napi_hash = \"0123456789abcdef\"\nserver = { dc = %d, dcs = { %s }, public_keys = [ %s ] }",
		sc["dc"], strings.Join(dcs, ", "), strings.Join(keys, ", "))
}

// TestTelegramRestartChaos: Telegram (tgfake) through the real plugin
// process, the gateway as a process and Prosody; messages both ways, one
// to one and in a group, while the plugin is killed and then the
// gateway. Each arrives once, in order; what Telegram sent while they
// were down comes after.
func TestTelegramRestartChaos(t *testing.T) {
	bin := buildCmd(t, "passerelle.im/passerelle/cmd/passerelle-telegram", "passerelle-telegram")
	srv, err := tgfake.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	dora := tgfake.User{ID: 2001, FirstName: "Dora", Phone: "33700000001", NoCode: true}
	eve := tgfake.User{ID: 2002, FirstName: "Eve", Phone: "33700000002", Code: "22222"}
	srv.AddUser(dora)
	srv.AddUser(eve)
	srv.AddContact(dora.ID, eve.ID)
	srv.AddGroup(tgfake.Group{ID: 88, Title: "Explorers", Members: []int64{dora.ID, eve.ID}, Creator: dora.ID})
	f := tgFar{srv: srv, user: dora.ID, other: eve.ID, group: 88}

	s := newStack(t, stackOptions{process: true, plugin: bin,
		extra: "\n[transport.config]\n" + tgPluginConfig(t, srv) + "\n"})
	alice := s.user("alice")
	s.waitGateway(alice)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r, st, err := alice.Command(ctx, domain, "login", "", "", nil)
	if err != nil || st.Type != "result" {
		t.Fatalf("login: %v %s", err, st.XML)
	}
	for _, step := range []map[string]string{{"flow": "phone"}, {"phone": "+" + dora.Phone}} {
		if r, st, err = alice.Command(ctx, domain, "login", r.Command.SessionID, "next", step); err != nil || st.Type != "result" {
			t.Fatalf("login step %v: %v %s", step, err, st.XML)
		}
	}
	if r.Command.Status != "completed" {
		t.Fatalf("login did not complete: %s", r.XML)
	}

	c := newRestartChaos(t, s, f, alice, jidOf(t, "2002"), jidOf(t, "-88"))
	runRestartChaos(c)
}
