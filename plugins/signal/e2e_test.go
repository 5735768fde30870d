package signal_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// TestEndToEnd runs the plugin under the real gateway and a real Prosody
// against the fake daemon: a user links by QR code, sees their contacts,
// chats both ways, sends and receives a file, talks in a group, and the
// daemon crashes in the middle with nothing lost.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Prosody")
	}
	bin, err := gatewaytest.Build(t.TempDir(), pluginPkg)
	if err != nil {
		t.Fatal(err)
	}
	d, gid := startFake(t)
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: bin, Name: "signal",
		PluginConfig: `socket = "` + d.Path() + `"`, Privileged: true, HTTPUpload: true})
	user := g.User("alice")
	g.WaitReady(user)

	// Link by QR code: the login command shows signal-cli's URI; once
	// the phone scanned it, Next completes the login.
	if r := loginByQR(t, g, user, d); !strings.Contains(r.Notes(), "logged in") {
		t.Fatalf("login not completed: %s", r.XML)
	}

	// Contacts: in the roster by their numbers, with their names.
	bobJID, carolJID := g.JID(bob), g.JID(carol)
	g.WaitRoster(user, "got bob and carol", func(m map[string]gatewaytest.RosterItem) bool {
		return m[bobJID].Name == "Bob" && m[carolJID].JID != ""
	})

	// Messages both ways.
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob",
		DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("hello from Signal")}})
	if m := g.NextMessage(user, bobJID); m.Body != "hello from Signal" {
		t.Fatalf("incoming: %s", m.XML)
	}
	g.SendChat(user, bobJID, "hello from XMPP")
	waitSent(t, d, bob, "hello from XMPP")

	// A file from Signal arrives uploaded to the user's server.
	photo := bytes.Repeat([]byte("JPEG"), 5000)
	d.AddAttachment(alice, "photo1.jpg", photo)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{
		Attachments: []fakesignal.Attachment{{ContentType: "image/jpeg", Filename: "cat.jpg", ID: "photo1.jpg", Size: int64(len(photo))}}}})
	m := g.Next(user, "file from bob", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == bobJID && strings.Contains(s.XML, "jabber:x:oob")
	})
	if got := fetchOOB(t, m); !bytes.Equal(got, photo) {
		t.Fatalf("the file from Signal differs: %d bytes", len(got))
	}
	// A file from XMPP reaches signal-cli whole.
	notes := []byte("the notes of the meeting\n")
	ctx, cancel := context.WithTimeout(context.Background(), gatewaytest.Timeout)
	defer cancel()
	slot, err := user.Upload(ctx, g.Server.UploadDomain(), "notes.txt", "text/plain", notes)
	if err != nil {
		t.Fatal(err)
	}
	if err := user.SendRaw(ctx, `<message type='chat' to='`+bobJID+`'><body>`+slot.GetURL+`</body><x xmlns='jabber:x:oob'><url>`+slot.GetURL+`</url></x></message>`); err != nil {
		t.Fatal(err)
	}
	waitFile(t, d, "notes.txt", notes)

	// The group, as a room: bob writes there, the user answers.
	room := g.JID(hexGroup(gid))
	if err := user.SendRaw(ctx, `<presence to='`+room+`/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`); err != nil {
		t.Fatal(err)
	}
	subject := g.Next(user, "room subject", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && gatewaytest.Bare(s.From) == room && strings.Contains(s.XML, "<subject")
	})
	if !strings.Contains(subject.XML, "old friends") {
		t.Errorf("subject: %s", subject.XML)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, SourceName: "Bob", DataMessage: &fakesignal.DataMessage{
		Message: fakesignal.Text("hello group"), GroupInfo: &fakesignal.GroupInfo{GroupID: gid, GroupName: groupName, Type: "DELIVER"}}})
	g.Next(user, "group message", func(s xmpptest.Stanza) bool {
		return s.Name == "message" && s.Type == "groupchat" && gatewaytest.Bare(s.From) == room && s.Body == "hello group"
	})
	if err := user.SendRaw(ctx, `<message type='groupchat' to='`+room+`' id='g1'><body>hello friends</body><origin-id xmlns='urn:xmpp:sid:0' id='g1'/></message>`); err != nil {
		t.Fatal(err)
	}
	waitGroupSent(t, d, gid, "hello friends")

	// Dave writes with his number hidden, then shares it: his contact
	// moves to the number, one contact still.
	daveByACI, daveByNum := g.JID(daveACI), g.JID(daveNum)
	d.Deliver(alice, fakesignal.Envelope{SourceUUID: daveACI, SourceName: "Dave", DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("number hidden")}})
	if m := g.NextMessage(user, daveByACI); m.Body != "number hidden" {
		t.Fatalf("from dave's ACI: %s", m.XML)
	}
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: daveNum, SourceUUID: daveACI, SourceName: "Dave", DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("number shared")}})
	if m := g.NextMessage(user, daveByNum); m.Body != "number shared" {
		t.Fatalf("from dave's number: %s", m.XML)
	}
	g.SendChat(user, daveByNum, "hi dave")
	waitSent(t, d, daveNum, "hi dave")
	if r := g.Roster(user); r[daveByACI].JID != "" && r[daveByNum].JID != "" {
		t.Errorf("dave twice in the roster: %v", r)
	}

	// signal-cli crashes: a message for the user waits on Signal's side,
	// the user's message waits in the plugin; both go once it is back.
	d.Crash()
	time.Sleep(300 * time.Millisecond)
	d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text("during the crash")}})
	g.SendChat(user, bobJID, "sent during the crash")
	time.Sleep(500 * time.Millisecond)
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	if m := g.NextMessage(user, bobJID); m.Body != "during the crash" {
		t.Fatalf("after the crash: %s", m.XML)
	}
	waitSent(t, d, bob, "sent during the crash")
}

func fetchOOB(t *testing.T, m xmpptest.Stanza) []byte {
	t.Helper()
	var oob struct {
		URL string `xml:"x>url"`
	}
	if err := xml.Unmarshal([]byte(m.XML), &oob); err != nil || oob.URL == "" {
		t.Fatalf("no OOB URL: %v %s", err, m.XML)
	}
	resp, err := http.Get(oob.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

func waitSent(t *testing.T, d *fakesignal.Daemon, to, text string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !slices.Contains(sentTexts(d, to), text); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("signal-cli never got %q for %s; it got %q", text, to, sentTexts(d, to))
		}
	}
}

func waitGroupSent(t *testing.T, d *fakesignal.Daemon, gid, text string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		for _, r := range d.Requests(alice) {
			if r.Method == "send" && r.Params["groupId"] == gid && r.Params["message"] == text {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("signal-cli never got %q in the group", text)
		}
	}
}

func waitFile(t *testing.T, d *fakesignal.Daemon, name string, data []byte) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		for _, r := range d.Requests(alice) {
			for path, b := range r.Files {
				if strings.HasSuffix(path, "/"+name) && bytes.Equal(b, data) {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("signal-cli never got the file %s", name)
		}
	}
}

// startLoggedIn starts the gateway, Prosody and the plugin against the
// fake daemon, with alice logged in.
func startLoggedIn(t *testing.T) (*gatewaytest.Gateway, *xmpptest.Client, *fakesignal.Daemon) {
	t.Helper()
	bin, err := gatewaytest.Build(t.TempDir(), pluginPkg)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := startFake(t)
	g := gatewaytest.Start(t, gatewaytest.Options{Plugin: bin, Name: "signal",
		PluginConfig: `socket = "` + d.Path() + `"`, Privileged: true})
	user := g.User("alice")
	g.WaitReady(user)
	if r := loginByQR(t, g, user, d); !strings.Contains(r.Notes(), "logged in") {
		t.Fatalf("login not completed: %s", r.XML)
	}
	return g, user, d
}
