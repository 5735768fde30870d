package bridge_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/gatewaytest"
	"passerelle.im/passerelle/internal/xmpptest"
	"passerelle.im/passerelle/puppet"
)

// farSide is a real transport's network as its far-side fake plays it,
// for restartChaos: what a contact and a group member send the user, and
// what the plugin sent them.
type farSide interface {
	// receive has the contact send the user body one-to-one, or the
	// group's member send it into the group.
	receive(t *testing.T, group bool, body string)
	// sent is the bodies the plugin sent the contact, or into the group,
	// in the order the network took them.
	sent(group bool) []string
}

// restartChaos is a burst of messages both ways, one-to-one and in a
// group's room, through a real transport's plugin under a gateway run as
// a process of its own, while the plugin is killed (SIGKILL; the gateway
// starts it again) and then the gateway is killed (SIGKILL) and started
// again on the same state folder. Messages the network sends while the
// plugin or the gateway is down come after they are back (the fakes
// keep them for the next login, as the networks do).
type restartChaos struct {
	t             *testing.T
	s             *stack
	net           farSide
	alice         *xmpptest.Client
	contact, room string // JIDs

	n       int
	in      [2][]string // bodies the network sent: [0] one-to-one, [1] the group
	out     [2][]string // bodies alice sent
	outID   map[string]string
	errs    map[string]xmpptest.Stanza // by body: an error for an outgoing message
	arrived map[string]int             // incoming bodies as they arrived live, counted
	// unsure: alice's messages written before the gateway was killed,
	// by id: one the gateway never recorded as read may have died in
	// its socket (see check).
	unsure map[string]string
	lastID string      // alice's last message's id
	order  [2][]string // first live arrivals, in order
	// atMostOnce: the far side hands a message over with no
	// acknowledgement from the plugin, so one the plugin was killed with
	// before it journaled it is gone: wafake's Agent acks before it
	// applies (real WhatsApp delivers again); signal-cli writes an
	// envelope to its JSON-RPC client and forgets it (--receive-mode
	// manual: it acknowledged it to Signal's server already).
	atMostOnce bool
	beforeKill map[string]bool // the network's messages and alice's sent before a plugin kill; alice's before a gateway kill too (the plugin dies with it)
	// resendTwice: the network has no ID the client picks, so a send
	// resent after a plugin killed once the network took it goes twice
	// (Signal, IRC; docs/plugins.md): counted apart and logged.
	resendTwice bool
	arrivals    map[string][]arrival // by body: each live arrival
	kills       int                  // gateway kills so far
	sentKills   map[string]int       // by body of the network's: gateway kills before it was sent
}

func newRestartChaos(t *testing.T, s *stack, net farSide, alice *xmpptest.Client, contact, room string) *restartChaos {
	return &restartChaos{t: t, s: s, net: net, alice: alice, contact: contact, room: room,
		outID: map[string]string{}, arrivals: map[string][]arrival{}, beforeKill: map[string]bool{}, unsure: map[string]string{}, errs: map[string]xmpptest.Stanza{}, arrived: map[string]int{}, sentKills: map[string]int{}}
}

func groupIdx(group bool) int {
	if group {
		return 1
	}
	return 0
}

// join sends alice's presence to the room (the gateway's new process
// knows no joined resource), without history: the archive is checked.
func (c *restartChaos) join() {
	c.t.Helper()
	if err := c.alice.SendRaw(ctxT(c.t), `<presence to='`+c.room+`/alice'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`); err != nil {
		c.t.Fatal(err)
	}
}

// waitJoined waits for the room's self-presence after join.
func (c *restartChaos) waitJoined() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := c.alice.Next(ctx, func(s xmpptest.Stanza) bool {
		return s.Name == "presence" && bareJID(s.From) == c.room && (strings.Contains(s.XML, `code="110"`) || s.Type == "error")
	})
	if err != nil || st.Type == "error" {
		c.t.Fatalf("join %s: %v %s", c.room, err, st.XML)
	}
}

// fromNet has the network send the next message, one-to-one or into the
// group.
func (c *restartChaos) fromNet(group bool, tag string) {
	c.n++
	kind := "direct"
	if group {
		kind = "group"
	}
	body := fmt.Sprintf("in %s %d %s", kind, c.n, tag)
	c.in[groupIdx(group)] = append(c.in[groupIdx(group)], body)
	c.sentKills[body] = c.kills
	c.net.receive(c.t, group, body)
}

// fromUser has alice send the next message, one-to-one or into the room.
func (c *restartChaos) fromUser(group bool, tag string) {
	c.t.Helper()
	c.n++
	kind, typ, to := "direct", "chat", c.contact
	if group {
		kind, typ, to = "group", "groupchat", c.room
	}
	body := fmt.Sprintf("out %s %d %s", kind, c.n, tag)
	id := fmt.Sprintf("chaos-out-%d", c.n)
	c.out[groupIdx(group)] = append(c.out[groupIdx(group)], body)
	c.outID[id] = body
	c.lastID = id
	if err := c.alice.SendRaw(ctxT(c.t), `<message type='`+typ+`' id='`+id+`' to='`+to+`'><body>`+body+`</body><origin-id xmlns='urn:xmpp:sid:0' id='`+id+`'/></message>`); err != nil {
		c.t.Fatal(err)
	}
}

// burst sends n messages each way in each chat, interleaved.
func (c *restartChaos) burst(n int, tag string) {
	for range n {
		c.fromNet(false, tag)
		c.fromUser(false, tag)
		c.fromNet(true, tag)
		c.fromUser(true, tag)
	}
}

// take records what came to alice so far: live messages from the
// contact and the room, and errors for her messages.
func (c *restartChaos) take() {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		st, err := c.alice.Next(ctx, xmpptest.IsMessage)
		cancel()
		if err != nil {
			return
		}
		if st.Type == "error" {
			if body, ok := c.outID[st.ID]; ok {
				c.errs[body] = st
				c.t.Logf("error for %q: %s", body, st.XML)
			}
			continue
		}
		from := bareJID(st.From)
		if st.Body == "" || (from != c.contact && from != c.room) {
			continue
		}
		if from == c.room && !strings.HasPrefix(st.Body, "in ") {
			continue // the reflection of alice's own: checked in the archive
		}
		c.arrived[st.Body]++
		a := arrival{kills: c.kills, id: st.ID, xml: st.XML}
		if m := originIDRe.FindStringSubmatch(st.XML); m != nil {
			a.origin = m[1]
		}
		c.arrivals[st.Body] = append(c.arrivals[st.Body], a)
		if c.arrived[st.Body] == 1 {
			i := groupIdx(from == c.room)
			c.order[i] = append(c.order[i], st.Body)
		}
	}
}

// killPlugin kills the plugin process; the gateway starts it again.
func (c *restartChaos) killPlugin() {
	c.t.Helper()
	pid := c.s.pluginPID()
	for _, b := range slices.Concat(c.in[0], c.in[1], c.out[0], c.out[1]) {
		c.beforeKill[b] = true
	}
	c.take()
	c.t.Logf("fault: plugin %d SIGKILL", pid)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		c.t.Fatalf("kill plugin: %v", err)
	}
	// Gone, not only signalled: what the network sends next is sent
	// while it is down, not into the socket of a process still dying.
	// Reaped (its /proc entry gone), not only past livePlugin: a killed
	// process's cmdline empties as its main thread drops its memory,
	// while its other threads still hold its sockets open for some
	// milliseconds, and the fake signal-cli's writes into them succeed.
	for deadline := time.Now().Add(10 * time.Second); procExists(pid); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			c.t.Fatalf("plugin %d outlived SIGKILL for 10 s", pid)
		}
	}
}

// procExists reports whether process pid exists, a zombie not yet
// reaped included.
func procExists(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}

// killGateway kills the gateway process (its plugin follows it) once it
// has read alice's last message, has the network send while it is down,
// and starts it again on the same state folder.
func (c *restartChaos) killGateway(whileDown func()) {
	c.t.Helper()
	c.s.logs.waitLog(c.t, "id="+c.lastID+"\n", 30*time.Second)
	for id, body := range c.outID {
		c.unsure[id] = body
	}
	// The plugin dies with the gateway: a send in flight is resent, as
	// after a plugin kill.
	for _, b := range slices.Concat(c.out[0], c.out[1]) {
		c.beforeKill[b] = true
	}
	c.take()
	c.kills++
	c.t.Log("fault: gateway SIGKILL")
	if err := c.s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		c.t.Fatalf("kill gateway: %v", err)
	}
	select {
	case <-c.s.done:
	case <-time.After(30 * time.Second):
		c.t.Fatal("the gateway outlived SIGKILL for 30 s")
	}
	c.s.cancel = nil
	whileDown()
	c.s.start()
	c.s.waitGateway(c.alice)
}

// archive is the bodies in the room's archive (the gateway's, XEP-0313),
// oldest first.
func (c *restartChaos) archive() []string {
	c.t.Helper()
	res, ok := gatewaytest.RoomArchive(c.t, c.alice, c.room)
	if !ok {
		c.t.Fatalf("%s's archive refused", c.room)
	}
	var bodies []string
	for _, st := range res {
		if m := archiveBodyRe.FindStringSubmatch(st.XML); m != nil {
			bodies = append(bodies, m[1])
		}
	}
	return bodies
}

var archiveBodyRe = regexp.MustCompile(`<body>([^<]*)</body>`)

// settle waits until every message has arrived: those from the network
// at alice (one-to-one live; the group's in the room's archive, as
// alice was not in the room all along), alice's on the network, unless
// they got an error.
func (c *restartChaos) settle(within time.Duration) {
	c.t.Helper()
	start := time.Now()
	deadline := start.Add(within)
	for {
		c.take()
		missing := c.missing()
		if len(missing) == 0 {
			c.t.Logf("settled in %v", time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			c.t.Errorf("never arrived within %v: %q", within, missing)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (c *restartChaos) missing() []string {
	var missing []string
	for _, b := range c.in[0] {
		if c.arrived[b] == 0 && !c.fakeLost(b) {
			missing = append(missing, b)
		}
	}
	var arch []string
	if len(c.in[1]) > 0 {
		arch = c.archive()
	}
	for _, b := range c.in[1] {
		if !slices.Contains(arch, b) && !c.fakeLost(b) {
			missing = append(missing, b)
		}
	}
	for g := range 2 {
		sent := c.net.sent(g == 1)
		for _, b := range c.out[g] {
			if _, failed := c.errs[b]; !failed && !c.lost(b) && !slices.Contains(sent, b) {
				missing = append(missing, b)
			}
		}
	}
	return missing
}

// lost reports whether alice's message may have died with a gateway
// killed before it recorded it as read: the server wrote it to the
// component's socket (XEP-0114 has no acknowledgement, the client's
// stream no XEP-0198), and nothing tells the client.
func (c *restartChaos) lost(body string) bool {
	for id, b := range c.unsure {
		if b == body {
			return !regexp.MustCompile(`msg="message read recorded".* id=` + regexp.QuoteMeta(id) + `\n`).MatchString(c.s.logs.String())
		}
	}
	return false
}

// arrival is one live arrival of a message from the network.
type arrival struct {
	kills           int // gateway kills before it
	id, origin, xml string
}

var originIDRe = regexp.MustCompile(`<origin-id [^>]*\bid="([^"]*)"`)

// redelivered reports whether the repeats of a message from the network
// are the gateway's at-least-once delivery across its kill: it sent the
// stanza, and was killed before the server confirmed it (XEP-0114 gives
// no earlier acknowledgement), so its next start sends it again from
// its outbox, under the same id and origin-id, which a client drops as
// a repeat (as TestChaos allows). Each gateway kill after the network
// sent it may add one such repeat. The kills an arrival counts are those
// when alice read it, not when the gateway wrote it: a stanza written
// just before a kill may be read after it (CI saw both copies counted
// after the same kill). Anything else is a doubled message.
func (c *restartChaos) redelivered(body string) bool {
	as := c.arrivals[body]
	if len(as) < 2 || len(as)-1 > c.kills-c.sentKills[body] {
		return false
	}
	for _, a := range as {
		if a.id == "" || a.origin == "" || a.id != as[0].id || a.origin != as[0].origin {
			return false
		}
	}
	c.t.Logf("sent again after a gateway kill, under the same id and origin-id %q: %q", as[0].id, body)
	return true
}

// netDropper is a far side whose network drops what it sends a user
// who is not connected (IRC keeps nothing for her): drops reports
// whether body was sent while her connection was gone.
type netDropper interface{ drops(body string) bool }

// fakeLost reports whether a message of the network's that never came
// may have been lost by an at-most-once fake: sent before a plugin kill,
// or while the user was not connected to a network that keeps nothing
// (netDropper), and not in the plugin's event journal (it never emitted
// it).
func (c *restartChaos) fakeLost(body string) bool {
	d, drops := c.net.(netDropper)
	if (!c.atMostOnce || !c.beforeKill[body]) && (!drops || !d.drops(body)) {
		return false
	}
	journal, err := os.ReadFile(filepath.Join(c.s.dir, "data", "plugins", "echo", "passerelle-events.v2.journal"))
	if err != nil {
		c.t.Fatalf("the plugin's journal: %v", err)
	}
	return !bytes.Contains(journal, []byte(body))
}

// check asserts each message arrived exactly once, in the order sent.
func (c *restartChaos) check() {
	c.t.Helper()
	time.Sleep(2 * time.Second) // a straggler, sent twice, has its time to come
	c.take()
	t := c.t
	count := func(xs []string, b string) int {
		n := 0
		for _, x := range xs {
			if x == b {
				n++
			}
		}
		return n
	}
	// From the network, one-to-one: live, once each, in order.
	for _, b := range c.in[0] {
		if n := c.arrived[b]; n == 0 && c.fakeLost(b) {
			if d, ok := c.net.(netDropper); ok && d.drops(b) {
				t.Logf("dropped by the network: %q, sent while the user was not connected, never journaled by the plugin", b)
				continue
			}
			t.Logf("lost with the killed plugin: %q, handed over with no acknowledgement, never journaled by the plugin", b)
		} else if n == 0 {
			journal, _ := os.ReadFile(filepath.Join(c.s.dir, "data", "plugins", "echo", "passerelle-events.v2.journal"))
			t.Errorf("%q never reached alice (in the plugin's event journal: %v)", b, bytes.Contains(journal, []byte(b)))
		} else if n != 1 && !c.redelivered(b) {
			t.Errorf("%q reached alice %d times, want once: %+v", b, n, c.arrivals[b])
		}
	}
	want := slices.DeleteFunc(slices.Clone(c.in[0]), func(b string) bool { return c.arrived[b] == 0 })
	if !slices.Equal(c.order[0], want) {
		t.Errorf("one-to-one from the network: arrived in the order %q, sent %q", c.order[0], want)
	}
	// The group's: once each in the room's archive, in order; live at
	// most once (alice was out of the room while the gateway was down).
	arch := c.archive()
	var archIn, archOut []string
	for _, b := range arch {
		if strings.HasPrefix(b, "in group ") {
			archIn = append(archIn, b)
		} else if strings.HasPrefix(b, "out group ") {
			archOut = append(archOut, b)
		}
	}
	want = slices.DeleteFunc(slices.Clone(c.in[1]), func(b string) bool { return !slices.Contains(archIn, b) && c.fakeLost(b) })
	for _, b := range c.in[1] {
		if !slices.Contains(want, b) {
			t.Logf("lost with the killed plugin or by the network: %q, never journaled by the plugin", b)
		}
	}
	if !slices.Equal(archIn, want) {
		t.Errorf("the room's archive holds the group's messages %q, want %q once each in that order", archIn, want)
	}
	for _, b := range c.in[1] {
		if n := c.arrived[b]; n > 1 && !c.redelivered(b) {
			t.Errorf("%q reached alice live in the room %d times", b, n)
		}
	}
	// Alice's, on the network: once each, in order, unless they got an
	// error; then not at all, unless the error said the plugin died not
	// knowing whether it went (then at most once).
	for g := range 2 {
		sent := c.net.sent(g == 1)
		var want []string
		for _, b := range c.out[g] {
			n := count(sent, b)
			e, failed := c.errs[b]
			switch {
			case !failed && n == 0 && c.lost(b):
				t.Logf("unknown fate: %q was written before the gateway was killed, which never recorded it as read", b)
			case !failed && n == 2 && c.resendTwice && c.beforeKill[b]:
				t.Logf("sent twice: %q, resent after the plugin kill (the network has no idempotency key)", b)
			case !failed && n != 1:
				t.Errorf("%q reached the network %d times, want once", b, n)
			case failed && n > 1:
				t.Errorf("%q reached the network %d times after an error", b, n)
			case failed && n == 1 && !strings.Contains(e.XML, "may or may not"):
				t.Errorf("%q reached the network after an error that said it did not: %s", b, e.XML)
			}
			if n > 0 {
				want = append(want, b)
			}
		}
		var got []string
		for _, b := range sent {
			if strings.HasPrefix(b, "out ") && !slices.Contains(got, b) {
				got = append(got, b)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("alice's messages reached the network in the order %q, sent %q", got, want)
		}
	}
	// The reflections of alice's group messages: once each in the
	// archive.
	for _, b := range c.out[1] {
		if n := count(archOut, b); n > 1 {
			t.Errorf("%q is in the room's archive %d times", b, n)
		}
	}
	t.Logf("%d messages from the network (%d one-to-one, %d in the group), %d from alice (%d with an error)",
		len(c.in[0])+len(c.in[1]), len(c.in[0]), len(c.in[1]), len(c.out[0])+len(c.out[1]), len(c.errs))
}

// buildCmd builds a command of this module without cgo, as make build
// does, next to the echo plugin, and returns its path.
func buildCmd(t *testing.T, pkg, name string) string {
	t.Helper()
	bin := filepath.Join(filepath.Dir(echoBin), name)
	build := exec.Command("go", "build", "-o", bin, pkg)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// jidOf is the JID the gateway gives a network ID (puppet.JID).
func jidOf(t *testing.T, networkID string) string {
	t.Helper()
	j, err := puppet.JID(networkID, domain)
	if err != nil {
		t.Fatalf("no JID for %q: %v", networkID, err)
	}
	return j.String()
}

// runRestartChaos runs the schedule: a warm-up, (a) the plugin killed in
// the middle of a burst, the network and alice going on while it is
// down, (b) the gateway killed in the middle of a burst, the network
// sending while it is down (alice's messages would bounce at the
// server); then the check.
func runRestartChaos(c *restartChaos) {
	c.t.Helper()
	c.join()
	c.waitJoined()
	c.burst(1, "warm-up")
	c.settle(30 * time.Second)

	// (a) The plugin killed in the middle of a burst; the network and alice
	// go on sending while it is down.
	c.burst(3, "before plugin kill")
	c.killPlugin()
	c.burst(3, "plugin down")
	c.settle(45 * time.Second)

	// (b) The gateway killed in the middle of a burst; the network sends
	// while it is down (alice's messages would bounce at the server).
	c.burst(3, "before gateway kill")
	c.killGateway(func() {
		for range 3 {
			c.fromNet(false, "gateway down")
			c.fromNet(true, "gateway down")
		}
	})
	c.join()
	c.waitJoined()
	c.burst(2, "gateway back")
	c.settle(45 * time.Second)
	c.check()
}
