package bridge_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// sigFar is Signal as the fake signal-cli daemon plays it: it outlives
// the plugin and the gateway, and keeps an account's envelopes until a
// subscriber takes them.
type sigFar struct {
	d                 *fakesignal.Daemon
	account, contact  string // numbers
	contactACI, group string // the contact's ACI, the group's base64 ID
}

func (f sigFar) receive(t *testing.T, group bool, body string) {
	env := fakesignal.Envelope{SourceNumber: f.contact, SourceUUID: f.contactACI, SourceName: "Bob",
		DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text(body)}}
	if group {
		env.DataMessage.GroupInfo = &fakesignal.GroupInfo{GroupID: f.group, GroupName: "Friends", Type: "DELIVER"}
	}
	f.d.Deliver(f.account, env)
}

func (f sigFar) sent(group bool) []string {
	var out []string
	for _, r := range f.d.Requests(f.account) {
		if r.Method != "send" || r.Params["editTimestamp"] != nil {
			continue
		}
		msg, _ := r.Params["message"].(string)
		rs, _ := r.Params["recipient"].([]any)
		switch {
		case group && r.Params["groupId"] == f.group:
			out = append(out, msg)
		case !group && len(rs) == 1 && rs[0] == f.contact:
			out = append(out, msg)
		}
	}
	return out
}

// TestSignalRestartChaos: Signal (the fake signal-cli daemon) through
// the real plugin process, the gateway as a process and Prosody;
// messages both ways, one to one and in a group, while the plugin is
// killed and then the gateway. Each arrives once, in order; what Signal
// sent while they were down comes after.
//
// The messages Signal sent right after the plugin's kill were lost here
// once: the fake signal-cli wrote them, without error, into the socket
// of the killed process, whose threads still held it open, as real
// signal-cli would (it forgets an envelope once written, inbox.go).
// killPlugin now waits for the process to be reaped, so that they are
// sent while it is down and kept by signal-cli for the next subscriber.
func TestSignalRestartChaos(t *testing.T) {
	bin := buildCmd(t, "passerelle.im/passerelle/cmd/passerelle-signal", "passerelle-signal")
	sockDir, err := os.MkdirTemp("", "sig")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	d, err := fakesignal.Start(filepath.Join(sockDir, "signal.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	const (
		me, meACI   = "+15550000001", "a11ce000-0000-4000-8000-000000000001"
		bob, bobACI = "+15550000002", "b0b00000-0000-4000-8000-000000000002"
	)
	d.AddAccount(me, meACI)
	d.SetContacts(me, fakesignal.Contact{Number: bob, UUID: bobACI, Name: "Bob"})
	gid := fakesignal.NewGroupID()
	d.SetGroup(me, fakesignal.Group{ID: gid, Name: "Friends",
		Members: []fakesignal.Member{{Number: me, UUID: meACI, Admin: true}, {Number: bob, UUID: bobACI}}})
	f := sigFar{d: d, account: me, contact: bob, contactACI: bobACI, group: gid}

	s := newStack(t, stackOptions{process: true, plugin: bin,
		extra: "\n[transport.config]\nsocket = \"" + d.Path() + "\"\n"})
	alice := s.user("alice")
	s.waitGateway(alice)

	// Link by QR code: the phone scans signal-cli's URI.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r, st, err := alice.Command(ctx, domain, "login", "", "", nil)
	if err != nil || st.Type != "result" {
		t.Fatalf("login: %v %s", err, st.XML)
	}
	sid := r.Command.SessionID
	if _, _, ok := r.Field("flow"); ok {
		if r, st, err = alice.Command(ctx, domain, "login", sid, "next", map[string]string{"flow": "link"}); err != nil {
			t.Fatal(err)
		}
	}
	_, code, ok := r.Field("code")
	if st.Type != "result" || !ok || len(code) != 1 || !fakesignal.IsLinkURI(code[0]) {
		t.Fatalf("no QR code step: %s", st.XML)
	}
	if err := d.Scan(code[0], me, meACI); err != nil {
		t.Fatal(err)
	}
	if r, st, err = alice.Command(ctx, domain, "login", sid, "next", nil); err != nil || r.Command.Status != "completed" {
		t.Fatalf("login not completed: %v %s", err, st.XML)
	}
	if strings.Contains(r.Notes(), "Still connecting") {
		// How the connection went comes in a chat message.
		if _, err := alice.Next(ctx, func(s xmpptest.Stanza) bool {
			return s.Name == "message" && strings.Contains(s.Body, "logged in")
		}); err != nil {
			t.Logf("no logged-in message: %v", err)
		}
	}

	raw, _ := base64.StdEncoding.DecodeString(gid)
	c := newRestartChaos(t, s, f, alice, jidOf(t, bob), jidOf(t, hex.EncodeToString(raw)))
	// signal-cli writes each envelope to the plugin's socket and keeps
	// nothing: one the plugin had not journaled when killed is lost.
	c.atMostOnce = true
	c.resendTwice = true // no idempotency key on Signal (docs/plugins.md)
	runRestartChaos(c)
}
