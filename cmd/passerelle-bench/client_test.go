package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// A stream as Prosody writes it, read one byte at a time so that every
// element is split across reads.
func TestFramerSplitsElements(t *testing.T) {
	stream := `<?xml version='1.0'?><stream:stream xmlns='jabber:client' id='x' version='1.0'>` +
		`<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>` + "\n " +
		`<message from='a@localhost/r' to='b@localhost/r' type='chat' id='p1-0'><body>pb1:0:0:1:5:xx &gt; y</body></message>` +
		`<presence from='echo.localhost' to='b@localhost'/>` +
		`<iq type='result' id='q"1' x='a>b'><query xmlns='q'><item name="it's"/></query></iq>` +
		`</stream:stream>`
	f := framer{r: iotest.OneByteReader(strings.NewReader(stream)), buf: make([]byte, 0, 16)}
	if err := f.header(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		el, err := f.next()
		if err == errStreamEnd {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(el))
	}
	if len(got) != 4 || !strings.HasPrefix(got[0], "<stream:features") || !strings.HasSuffix(got[1], "</message>") ||
		got[2] != `<presence from='echo.localhost' to='b@localhost'/>` || !strings.HasSuffix(got[3], "</iq>") {
		t.Fatalf("elements:\n%s", strings.Join(got, "\n"))
	}
	msg := []byte(got[1])
	if attr(msg, "from") != "a@localhost/r" || attr(msg, "id") != "p1-0" || attr(msg, "type") != "chat" || attr(msg, "xmlns") != "" {
		t.Errorf("attributes of %s", msg)
	}
	if attr([]byte(got[3]), "id") != `q"1` || attr([]byte(got[3]), "x") != "a>b" {
		t.Errorf("quoted attributes of %s", got[3])
	}
	phase, measured, sent, ok := parseBody(bodyOf(msg))
	if !ok || phase != 1 || !measured || sent != 5 {
		t.Errorf("parseBody = %d %v %v %v", phase, measured, sent, ok)
	}
	if _, err := f.next(); err != errStreamEnd && err != io.EOF {
		t.Errorf("after the end: %v", err)
	}
}

func TestBodyRoundTrip(t *testing.T) {
	b := makeBody(7, 3, 42, true, 100)
	if len(b) != 100 {
		t.Fatalf("body of %d bytes, want 100", len(b))
	}
	phase, measured, sent, ok := parseBody([]byte(b))
	if !ok || phase != 7 || !measured || sent <= 0 || sent > time.Since(epoch) {
		t.Fatalf("parseBody(%q) = %d %v %v %v", b, phase, measured, sent, ok)
	}
}

// The component path's gateway shape must be what the gateway writes, or
// it measures something else: to the bare JID, one ID in both places.
func TestGatewayAnswer(t *testing.T) {
	var b bytes.Buffer
	el := []byte(`<message from='u1@localhost/bench' to='c0@raw.localhost' type='chat' id='p1-3'><body>hi</body></message>`)
	gatewayAnswer(&b, el, []byte("hi"), 7)
	want := `<message from="c0@raw.localhost" to="u1@localhost" type="chat" id="r00000007"><body>hi</body>` +
		`<origin-id xmlns="urn:xmpp:sid:0" id="r00000007"/><markable xmlns="urn:xmpp:chat-markers:0"/></message>`
	if b.String() != want {
		t.Fatalf("got  %s\nwant %s", b.String(), want)
	}
}

// The component answers in the gateway's shape only to the shaped path's
// JIDs, so that the component and shaped paths of one run differ in the
// answers' shape and nothing else.
func TestComponentEchoerShapes(t *testing.T) {
	srv, peer := net.Pipe()
	defer peer.Close()
	c := &client{conn: srv, bw: bufio.NewWriter(srv), fr: framer{r: srv, buf: make([]byte, 0, 4096)}}
	go func() { _ = componentEchoer(c) }()
	fr := framer{r: peer, buf: make([]byte, 0, 4096)}
	for _, tc := range []struct{ to, want string }{
		{"c1@raw.localhost", `<message type='chat' from='c1@raw.localhost' to='u1@localhost/bench'><body>one</body></message>`},
		{shapedPrefix + "1@raw.localhost", `<message from="` + shapedPrefix + `1@raw.localhost" to="u1@localhost" type="chat" id="r00000001"><body>two</body>` +
			`<origin-id xmlns="urn:xmpp:sid:0" id="r00000001"/><markable xmlns="urn:xmpp:chat-markers:0"/></message>`},
	} {
		body := map[bool]string{true: "two", false: "one"}[strings.HasPrefix(tc.to, shapedPrefix)]
		msg := `<message from='u1@localhost/bench' to='` + tc.to + `' type='chat' id='x'><body>` + body + `</body></message>`
		if _, err := peer.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		got, err := fr.next()
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("to %s:\ngot  %s\nwant %s", tc.to, got, tc.want)
		}
	}
}

// echo / shaped is taken within each round and window, then the median.
func TestPrintCeiling(t *testing.T) {
	res := func(path string, window, n int) *phaseResult {
		return &phaseResult{spec: phaseSpec{path: path, window: window}, n: n, elapsed: time.Second}
	}
	results := [][]*phaseResult{
		{res("baseline", 1, 100), res("shaped", 1, 50), res("echo", 1, 40)},
		{res("baseline", 20, 100), res("shaped", 20, 80), res("echo", 20, 40)},
		{res("baseline", 1, 100), res("shaped", 1, 100), res("echo", 1, 70)},
		{res("baseline", 20, 100), res("shaped", 20, 50), res("echo", 20, 45)},
		{res("baseline", 1, 100), res("shaped", 1, 10), res("echo", 1, 9)},
		{res("baseline", 20, 100), res("shaped", 20, 0), res("echo", 20, 45)}, // nothing to compare with
	}
	var b bytes.Buffer
	printCeiling(&b, results)
	want := "window 1: median 0.80 (rounds 0.80, 0.70, 0.90); window 20: median 0.70 (rounds 0.50, 0.90)"
	if !strings.Contains(b.String(), want) {
		t.Fatalf("got %q\nwant it to contain %q", b.String(), want)
	}
	b.Reset()
	printCeiling(&b, [][]*phaseResult{{res("baseline", 1, 100), res("echo", 1, 40)}})
	if b.Len() != 0 {
		t.Fatalf("printed %q with no shaped path", b.String())
	}
}
