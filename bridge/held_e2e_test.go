package bridge_test

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/xmpptest"
)

// heldStack is a stack whose gateway runs as a process of its own and
// whose echo plugin is a copy, which killPluginAndHold takes away.
func heldStack(t *testing.T) (*stack, string) {
	t.Helper()
	plugin := pluginCopy(t)
	return newStack(t, stackOptions{process: true, plugin: plugin}), plugin
}

// pluginCopy is a copy of the echo plugin's binary, which a test may take
// away.
func pluginCopy(t *testing.T) string {
	t.Helper()
	plugin := filepath.Join(t.TempDir(), "echo")
	raw, err := os.ReadFile(echoBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plugin, raw, 0o700); err != nil {
		t.Fatal(err)
	}
	return plugin
}

// killWhileHeld kills the plugin, which cannot start again (its binary
// gone), so that what send sends waits; once the gateway read the first
// message (and logged that it held it, and recorded the others waiting
// behind it, or 3 s passed: without a record the message is held all
// the same, for 5 s), the gateway is killed (SIGKILL), and started
// again on the same store with the plugin back.
func killWhileHeld(t *testing.T, s *stack, plugin string, send func() []string) {
	t.Helper()
	gone := plugin + ".gone"
	if err := os.Rename(plugin, gone); err != nil {
		t.Fatal(err)
	}
	s.killPlugin()
	s.logs.waitLog(t, `msg="transport plugin stopped; restarting"`, timeout)
	ids := send()
	s.logs.waitLog(t, "id="+ids[0]+"\n", timeout)
	waitRecorded(s, `msg="message held for the plugin"`, ids[1:])
	killGateway(t, s)
	if err := os.Rename(gone, plugin); err != nil {
		t.Fatal(err)
	}
	s.start()
}

// deadPlugin puts in place of the plugin's binary one that exits at
// once (the gateway runs, its plugin never comes up); back puts the real
// one back.
func deadPlugin(t *testing.T, plugin string) (back func()) {
	t.Helper()
	gone := plugin + ".gone"
	if err := os.Rename(plugin, gone); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plugin, []byte("#!/bin/sh\nexit 1\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		if err := os.Rename(gone, plugin); err != nil {
			t.Fatal(err)
		}
	}
}

// waitRecorded waits until the gateway logged held (if not "") and that
// it recorded each of ids as waiting, or for 3 s: without the records
// the messages wait all the same (5 s), and this wait is shorter.
func waitRecorded(s *stack, held string, ids []string) {
	recorded := func() bool {
		logs := s.logs.String()
		for _, id := range ids {
			if !regexp.MustCompile(`msg="message read recorded" transport=\S+ login=\S+ id=` + regexp.QuoteMeta(id) + "\n").MatchString(logs) {
				return false
			}
		}
		return strings.Contains(logs, held)
	}
	for deadline := time.Now().Add(3 * time.Second); !recorded() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
}

// killGateway kills the gateway's process (SIGKILL) and waits for it.
func killGateway(t *testing.T, s *stack) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the gateway outlived SIGKILL for 30 s")
	}
	s.cancel = nil
}

// TestHeldMessageSurvivesGatewayKill: a message the gateway holds while
// its plugin cannot start (its binary gone) is recorded; the gateway is
// killed (SIGKILL) while it holds it, and started again on the same store
// with the plugin back: the message reaches the network and its echo
// comes, once. XEP-0114 has no acknowledgement: without the record the
// server never sends it again.
func TestHeldMessageSurvivesGatewayKill(t *testing.T) {
	s, plugin := heldStack(t)
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)

	killWhileHeld(t, s, plugin, func() []string { return []string{sendChat(t, alice, "bob@"+domain, "held")} })

	// The echo of "before" may come again, with its id: the killed
	// gateway may not have seen the server confirm it (outbox).
	st := nextMessage(t, alice, "bob@"+domain, 30*time.Second)
	for st.Body == "before" && st.Type != "error" {
		st = nextMessage(t, alice, "bob@"+domain, 30*time.Second)
	}
	if st.Type == "error" || st.Body != "held" {
		t.Fatalf("after the restart: %s, want the echo of the held message", st.XML)
	}
	// Once: the next echo is of the next message.
	sendChat(t, alice, "bob@"+domain, "after")
	if st := nextMessage(t, alice, "bob@"+domain, 30*time.Second); st.Body != "after" {
		t.Fatalf("after the held message's echo: %s, want the echo of the next one", st.XML)
	}
}

// TestHeldRoomMessageSurvivesGatewayKill is the same for messages to a
// room: one held, one waiting behind it in the room's chat. The gateway
// killed meanwhile sends them at its next start and reflects them into
// the room's archive with their ids: after joining again, the user finds
// their messages and Echo One's repeats of them, once each and in the
// order sent, in the history or live.
func TestHeldRoomMessageSurvivesGatewayKill(t *testing.T) {
	s, plugin := heldStack(t)
	alice, self := joinedBefore(t, s)

	bodies := []string{"held", "queued"}
	var ids []string
	killWhileHeld(t, s, plugin, func() []string {
		for _, b := range bodies {
			ids = append(ids, groupchat(t, alice, b))
		}
		return ids
	})
	roomAfterRestart(t, s, alice, self, bodies, ids)
}

// joinedBefore is alice in the room, joined (self is her nick), with one
// message sent, repeated and reflected.
func joinedBefore(t *testing.T, s *stack) (*xmpptest.Client, string) {
	t.Helper()
	alice := roomUser(t, s, "alice")
	self := nick(join(t, alice, "a", "").self.From)
	groupchat(t, alice, "before")
	roomMessage(t, alice, "Echo One", "before")
	roomMessage(t, alice, self, "before")
	return alice, self
}

// roomAfterRestart joins the room again once the restarted gateway knows
// it, and checks that the user's messages bodies (sent with ids) are
// there, from the history or live: reflected with their origin-ids and
// repeated by Echo One, once each and in the order sent.
func roomAfterRestart(t *testing.T, s *stack, alice *xmpptest.Client, self string, bodies, ids []string) {
	t.Helper()
	// Joined again once the gateway knows the room once more: until then
	// the self-ping says not-acceptable (not joined) only once it does.
	s.waitGateway(alice)
	ping := `<iq type='get' to='` + room + `/` + self + `'><ping xmlns='urn:xmpp:ping'/></iq>`
	for deadline := time.Now().Add(timeout); ; time.Sleep(100 * time.Millisecond) {
		st, err := alice.IQ(ctxT(t), ping)
		if err == nil && st.Err != nil && st.Err.Condition == "not-acceptable" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("self-ping after the restart: want not-acceptable, got %v %s", err, st.XML)
		}
	}
	j := join(t, alice, "a", `<history maxstanzas='50'/>`)
	ours := func(st xmpptest.Stanza) bool {
		return st.Name == "message" && bareJID(st.From) == room && slices.Contains(bodies, st.Body)
	}
	seen := map[string][]xmpptest.Stanza{} // by nick: the history's, then live
	for _, h := range j.history {
		if ours(h) {
			seen[nick(h.From)] = append(seen[nick(h.From)], h)
		}
	}
	for len(seen["Echo One"]) < len(bodies) || len(seen[self]) < len(bodies) {
		st, err := alice.Next(ctxT(t), ours)
		if err != nil {
			t.Fatalf("after the restart, so far %v: %v; pending %v", seen, err, alice.Pending())
		}
		seen[nick(st.From)] = append(seen[nick(st.From)], st)
	}
	// Once: everything up to the repeat of the next message holds no
	// other copy.
	groupchat(t, alice, "after")
	roomMessage(t, alice, "Echo One", "after")
	for _, st := range alice.Pending() {
		if ours(st) {
			seen[nick(st.From)] = append(seen[nick(st.From)], st)
		}
	}
	for who, sts := range seen {
		var got []string
		for _, st := range sts {
			got = append(got, st.Type+":"+st.Body)
		}
		var want []string
		for _, b := range bodies {
			want = append(want, "groupchat:"+b)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s's messages after the restart: %q, want %q", who, got, want)
		}
	}
	for i, refl := range seen[self] {
		if i < len(ids) && !strings.Contains(refl.XML, `<origin-id xmlns="urn:xmpp:sid:0" id="`+ids[i]+`"`) {
			t.Errorf("the reflection of %q without its origin-id %s: %s", refl.Body, ids[i], refl.XML)
		}
	}
}

// TestHeldRoomReplayOutlivesPlugin: a room message held when the gateway
// was killed is replayed at the next start once the login's rooms are
// known; the plugin dying while the replay waits for them does not end
// the wait: the next plugin lists the rooms, and the message is sent and
// reflected into the room's archive. The replay ran under the context of
// the plugin it started with: its death sent the message without its
// reflection (TestChaos, strict, under load).
func TestHeldRoomReplayOutlivesPlugin(t *testing.T) {
	s, plugin := heldStack(t)
	alice, self := joinedBefore(t, s)
	dirs, err := filepath.Glob(filepath.Join(s.dir, "data", "plugins", "echo", "logins", "alice.localhost-*"))
	if err != nil || len(dirs) != 1 {
		t.Fatalf("alice's login folder: %v %v", dirs, err)
	}
	// The echo plugin writes this note as it loads the login: a folder
	// in its place fails the load, so the next plugin cannot connect
	// alice and her rooms stay unknown.
	note := filepath.Join(dirs[0], "account.json")
	var ids []string
	killWhileHeld(t, s, plugin, func() []string {
		if err := os.Remove(note); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(note, 0o700); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, groupchat(t, alice, "held"))
		return ids
	})
	s.logs.waitLog(t, `msg="login did not connect"`, timeout)
	s.logs.waitLog(t, `msg="sending a message held when the gateway stopped"`, timeout)
	// The replay waits for alice's rooms; the plugin it started with
	// dies, and the next one loads her login.
	if err := os.Remove(note); err != nil {
		t.Fatal(err)
	}
	s.killPlugin()
	roomAfterRestart(t, s, alice, self, []string{"held"}, ids)
}

// TestQueuedMessagesSurviveGatewayKill: the messages the user sends to
// a contact behind one the gateway holds wait in the chat's queue; they
// are recorded too, and after the gateway is killed and started again
// reach the network in the order sent, after the held one, once each.
func TestQueuedMessagesSurviveGatewayKill(t *testing.T) {
	s, plugin := heldStack(t)
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)

	bodies := []string{"held", "queued 1", "queued 2", "queued 3"}
	killWhileHeld(t, s, plugin, func() []string {
		var ids []string
		for _, b := range bodies {
			ids = append(ids, sendChat(t, alice, "bob@"+domain, b))
		}
		return ids
	})

	echoesInOrder(t, alice, bodies)
}

// echoesInOrder checks that bob's echoes after a restart are of bodies,
// in that order, and that the next one is of the next message: each
// came once.
func echoesInOrder(t *testing.T, alice *xmpptest.Client, bodies []string) {
	t.Helper()
	var got []string
	for len(got) < len(bodies) {
		st := nextMessage(t, alice, "bob@"+domain, 30*time.Second)
		if st.Type == "error" {
			t.Fatalf("after the restart, with %q so far: %s", got, st.XML)
		}
		if st.Body != "before" { // its echo may come again (outbox)
			got = append(got, st.Body)
		}
	}
	if strings.Join(got, "|") != strings.Join(bodies, "|") {
		t.Fatalf("echoes after the restart: %q, want %q", got, bodies)
	}
	sendChat(t, alice, "bob@"+domain, "after")
	if st := nextMessage(t, alice, "bob@"+domain, 30*time.Second); st.Body != "after" {
		t.Fatalf("after the echoes of the messages that waited: %s, want the echo of the next one", st.XML)
	}
}

// TestMessagesBeforeCapsSurviveGatewayKill: the gateway starts while its
// plugin cannot (it exits at once): a message the user sends waits for
// the plugin's capabilities, and one behind it in its chat; both are
// recorded, and after the gateway is killed and started again with the
// plugin back, both reach the network, in order, once.
func TestMessagesBeforeCapsSurviveGatewayKill(t *testing.T) {
	s, plugin := heldStack(t)
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	s.stop()
	back := deadPlugin(t, plugin)
	s.start()
	s.waitGateway(alice)

	bodies := []string{"waiting 1", "waiting 2"}
	var ids []string
	for _, b := range bodies {
		ids = append(ids, sendChat(t, alice, "bob@"+domain, b))
	}
	s.logs.waitLog(t, "id="+ids[0]+"\n", timeout)
	waitRecorded(s, "", ids)
	killGateway(t, s)
	back()
	s.start()
	echoesInOrder(t, alice, bodies)
}

// killInFlight stops the plugin with SIGSTOP (up, so the gateway sends
// to it, but never reading), has send write one stanza (its origin-id is
// the txn send returns), waits until the gateway recorded it on its way,
// kills the gateway and the plugin (SIGKILL) and starts the gateway again.
func killInFlight(t *testing.T, s *stack, login string, send func() string) {
	t.Helper()
	pid := s.pluginPID()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitStopped(t, pid) // or under load it may still take the message
	txn := send()
	s.logs.waitLog(t, `msg="message on its way to the plugin recorded" transport=echo login=`+login+` txn=`+txn+"\n", timeout)
	killGateway(t, s)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s.start()
}

// TestSentMessageSurvivesGatewayKill: a message on its way to a plugin
// that is up is recorded as it goes; the gateway killed before the plugin
// had it sends it at its next start: its echo comes, once. Without the
// record the server, which handed it over, never sends it again, and it
// is lost with no error.
func TestSentMessageSurvivesGatewayKill(t *testing.T) {
	s, _ := heldStack(t)
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	killInFlight(t, s, "alice", func() string { return sendChat(t, alice, "bob@"+domain, "in flight") })
	echoesInOrder(t, alice, []string{"in flight"})
}

// TestSentCorrectionSurvivesGatewayKill is the same for a correction: the
// echo contact's correction of its echo comes after the restart, once.
func TestSentCorrectionSurvivesGatewayKill(t *testing.T) {
	s, _ := heldStack(t)
	alice := registered(t, s, "alice")
	e := echoID(t, alice, "o1", "helo")
	// Its echo may come before the gateway has the plugin's answer,
	// which the correction waits for: the plugin must not be stopped
	// before it gave it.
	s.logs.waitLog(t, `msg="message on its way answered by the plugin" transport=echo login=alice txn=o1`+"\n", timeout)
	killInFlight(t, s, "alice", func() string {
		raw(t, alice, `<message type='chat' id='o1fix' to='bob@`+domain+`'><body>hello</body><replace xmlns='urn:xmpp:message-correct:0' id='o1'/><origin-id xmlns='urn:xmpp:sid:0' id='o1fix'/></message>`)
		return "o1fix"
	})
	st := nextMessage(t, alice, "bob@"+domain, 30*time.Second)
	for st.Body == "helo" && st.Type != "error" { // its echo may come again (outbox)
		st = nextMessage(t, alice, "bob@"+domain, 30*time.Second)
	}
	if st.Body != "hello" || !strings.Contains(st.XML, `<replace xmlns="urn:xmpp:message-correct:0" id="`+e+`"/>`) {
		t.Fatalf("after the restart: %s, want the correction of the echo %s", st.XML, e)
	}
	echoOK(t, alice, "after", 30*time.Second)
	for _, p := range alice.Pending() {
		if strings.Contains(p.XML, "message-correct") {
			t.Errorf("the correction came twice: %s", p.XML)
		}
	}
}

// TestSentChatCommandSurvivesGatewayKill is the same for a chat command:
// "/timer" on its way to the plugin when the gateway is killed sets the
// chat's timer at the next start, once: its notice comes once.
func TestSentChatCommandSurvivesGatewayKill(t *testing.T) {
	s, _ := heldStack(t)
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	killInFlight(t, s, "alice", func() string {
		raw(t, alice, `<message type='chat' id='tm1' to='bob@`+domain+`'><body>/timer 1d</body><origin-id xmlns='urn:xmpp:sid:0' id='tm1'/></message>`)
		return "tm1"
	})
	st := nextMessage(t, alice, "bob@"+domain, 30*time.Second)
	for strings.HasPrefix(st.Body, "before") && st.Type != "error" { // its echo may come again (outbox)
		st = nextMessage(t, alice, "bob@"+domain, 30*time.Second)
	}
	if !strings.Contains(st.Body, "Disappearing messages turned on") {
		t.Fatalf("after the restart: %s, want the timer's notice", st.XML)
	}
	echoOK(t, alice, "after", 30*time.Second)
	for _, p := range alice.Pending() {
		if strings.Contains(p.Body, "Disappearing messages turned on") {
			t.Errorf("the timer was set twice: %s", p.XML)
		}
	}
}

// TestChatCommandSurvivesGatewayStop: the same when the gateway stops
// (not killed) while the command waits for the plugin: it is not
// forgotten as handled.
func TestChatCommandSurvivesGatewayStop(t *testing.T) {
	s, _ := heldStack(t)
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	pid := s.pluginPID()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitStopped(t, pid)
	raw(t, alice, `<message type='chat' id='tm2' to='bob@`+domain+`'><body>/timer 1d</body><origin-id xmlns='urn:xmpp:sid:0' id='tm2'/></message>`)
	s.logs.waitLog(t, `msg="message on its way to the plugin recorded" transport=echo login=alice txn=tm2`+"\n", timeout)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s.stop()
	s.start()
	s.waitGateway(alice)
	if n := next(t, alice, "the timer's notice", has("Disappearing messages")); !strings.Contains(n.Body, "turned on") {
		t.Fatalf("after the restart: %s, want the timer's notice", n.XML)
	}
}

// TestSentRoomMessageSurvivesGatewayKill: a room message on its way to a
// plugin that is up, the gateway killed before the plugin had it, is
// sent at the next start and reflected into the room's archive with its
// ids, and repeated by Echo One, once each.
func TestSentRoomMessageSurvivesGatewayKill(t *testing.T) {
	s, _ := heldStack(t)
	alice, self := joinedBefore(t, s)
	var id string
	killInFlight(t, s, "alice-echo", func() string {
		id = groupchat(t, alice, "in flight")
		return id
	})
	roomAfterRestart(t, s, alice, self, []string{"in flight"}, []string{id})
}

// TestSentFileSurvivesGatewayKill: a file the user sends is recorded as
// its stanza; the gateway killed before the plugin had it handles the
// stanza again at its next start, downloading the file again: the echo
// contact's copy of it comes, with the same content.
func TestSentFileSurvivesGatewayKill(t *testing.T) {
	s := newStack(t, stackOptions{process: true, plugin: pluginCopy(t), httpUpload: true})
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	data := make([]byte, 50_000)
	rand.Read(data)
	url := uploadAsUser(t, s, alice, "kept.jpg", "image/jpeg", data)
	killInFlight(t, s, "alice", func() string {
		id := alice.NewID()
		raw(t, alice, `<message type='chat' id='`+id+`' to='bob@`+domain+`'><body>`+url+`</body><x xmlns='jabber:x:oob'><url>`+url+`</url></x><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`)
		return id
	})
	s.waitGateway(alice)
	_, back, _ := receiveFile(t, alice)
	if !bytes.Equal(back, data) {
		t.Fatalf("the file after the restart: %d bytes, want the %d sent", len(back), len(data))
	}
}

// TestReadMessageSurvivesGatewayKill: a message the gateway read while
// its chat's worker was busy with an earlier stanza (a correction
// waiting for its target, on its way to a stopped plugin) is recorded
// as read; the gateway killed (SIGKILL) before its worker took it
// handles it at its next start, after the message and the correction,
// each once. Without the record the server, which handed it over, never
// sends it again: it was lost with no error.
func TestReadMessageSurvivesGatewayKill(t *testing.T) {
	s, _ := heldStack(t)
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	var ids []string
	killInFlight(t, s, "alice", func() string {
		first := sendChat(t, alice, "bob@"+domain, "first")
		s.logs.waitLog(t, `msg="message on its way to the plugin recorded" transport=echo login=alice txn=`+first+"\n", timeout)
		// Its worker waits (targetWait) for the send of first, which
		// the stopped plugin never answers; behind is a message.
		raw(t, alice, `<message type='chat' id='fix1' to='bob@`+domain+`'><body>first fixed</body><replace xmlns='urn:xmpp:message-correct:0' id='`+first+`'/><origin-id xmlns='urn:xmpp:sid:0' id='fix1'/></message>`)
		ids = []string{"fix1", sendChat(t, alice, "bob@"+domain, "behind")}
		waitRecorded(s, "", ids)
		return first
	})
	echoesInOrder(t, alice, []string{"first", "first fixed", "behind"})
}

// TestReadRoomMessageSurvivesGatewayKill is the room's case: a gateway
// started again knows the user's rooms only once its plugin lists them,
// and here the plugin cannot start (it exits at once). A message the user
// sends to the room then is read and recorded while its chat's worker
// waits to learn whether the chat is a group (findRoom); the gateway is
// killed (SIGKILL) there and started again with the plugin back: the
// message is reflected into the room's archive with its origin-id and
// repeated by Echo One, once each.
func TestReadRoomMessageSurvivesGatewayKill(t *testing.T) {
	s, plugin := heldStack(t)
	alice, self := joinedBefore(t, s)
	killGateway(t, s)
	back := deadPlugin(t, plugin)
	s.start()
	s.waitGateway(alice)
	id := groupchat(t, alice, "to a room not known yet")
	s.logs.waitLog(t, `msg="message read recorded" transport=echo login=alice-echo id=`+id+"\n", timeout)
	killGateway(t, s)
	// It was still waiting: no answer came for it (findRoom gives up
	// after targetWait, with an error).
	for _, st := range alice.Pending() {
		if st.ID == id {
			t.Fatalf("the gateway answered before it was killed: %s", st.XML)
		}
	}
	back()
	s.start()
	roomAfterRestart(t, s, alice, self, []string{"to a room not known yet"}, []string{id})
}

// TestFileDownloadSurvivesGatewayStop: a file the user sent is still
// being fetched when the gateway stops (a restart, an upgrade): its
// stanza stays recorded, and the next start fetches it again and sends
// it, once, with no error to the user. Before, the download cut short by
// the stop ended the send and removed the record: the file was lost.
func TestFileDownloadSurvivesGatewayStop(t *testing.T) {
	s, _ := fetchingStack(t)
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	data := make([]byte, 300_000)
	rand.Read(data)
	// The first fetch stalls halfway until the gateway gives up.
	base, gets, fetching := stallingFiles(t, data, 1)
	id := alice.NewID()
	url := base + "/big.bin"
	raw(t, alice, `<message type='chat' id='`+id+`' to='bob@`+domain+`'><body>`+url+`</body><x xmlns='jabber:x:oob'><url>`+url+`</url></x><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`)
	select {
	case <-fetching:
	case <-time.After(timeout):
		t.Fatal("the gateway did not fetch the file")
	}
	restartForFile(t, s, alice, data, 0)
	if n := gets.Load(); n != 2 {
		t.Errorf("the file was fetched %d times, want 2", n)
	}
}

// restartForFile stops and starts the gateway, then waits for the file
// data echoed back once, and nothing else of it (no second copy, no
// error) within wait and an echo's round trip.
func restartForFile(t *testing.T, s *stack, alice *xmpptest.Client, data []byte, wait time.Duration) {
	t.Helper()
	s.stop()
	s.start()
	s.waitGateway(alice)
	_, back, _ := receiveFile(t, alice)
	if !bytes.Equal(back, data) {
		t.Fatalf("the file after the restart: %d bytes, want the %d sent", len(back), len(data))
	}
	time.Sleep(wait)
	echoOK(t, alice, "after the file", timeout)
	for _, st := range alice.Pending() {
		if st.Type == "error" || strings.Contains(st.XML, "jabber:x:oob") {
			t.Errorf("after the file, once: %s", st.XML)
		}
	}
}

// TestSentMessageSurvivesGatewayStopHeldPlugin: a message on its way to
// a plugin that does not answer (held) when the gateway stops is sent at
// the next start, once: the stop's answer to the commands in flight
// (UNAVAILABLE, the plugin gone) does not count as the plugin's answer
// and forget the record (a review's worry about the stop's order; it
// holds, and this keeps it so).
func TestSentMessageSurvivesGatewayStopHeldPlugin(t *testing.T) {
	s, _ := heldStack(t)
	alice := registered(t, s, "alice")
	echoOK(t, alice, "before", timeout)
	s.holdPlugin()
	id := sendChat(t, alice, "bob@"+domain, "in flight at a stop")
	s.logs.waitLog(t, `msg="message on its way to the plugin recorded" transport=echo login=alice txn=`+id+"\n", timeout)
	s.stop() // the held plugin is killed with the gateway
	s.start()
	s.waitGateway(alice)
	echoesInOrder(t, alice, []string{"in flight at a stop"})
}
