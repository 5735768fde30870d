package bridge_test

import (
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"passerelle.im/passerelle/internal/xmpptest"
)

// TestDeepComponentFiles: a transport two labels under its server's
// domain (echo.im.localhost on a Prosody of localhost) finds the
// server's upload service, on the server's domain learned from its
// XEP-0356 grants or set as xmpp.server_domain: the user's file reaches
// the network (fetched from the upload service's host, which the gateway
// trusts once it found the service) and the network's file comes back
// uploaded to the user's server. Before, the gateway looked the service
// up on the component's domain less its first label (im.localhost),
// fixed at the start, found none, and refused the user's file as from a
// loopback address.
func TestDeepComponentFiles(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    stackOptions
	}{
		{"learned from the privileges", stackOptions{privileged: true}},
		{"configured", stackOptions{serverDomain: "localhost"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			o.domain, o.httpUpload = "echo.im.localhost", true
			o.serverModules, o.serverConfig = holdRemote(t)
			s := newStack(t, o)
			alice := s.user("alice")
			s.waitGateway(alice)
			if r, err := alice.IQ(ctxT(t), `<iq type='set' to='`+s.domain+`'><query xmlns='jabber:iq:register'><username>alice</username></query></iq>`); err != nil || r.Type != "result" {
				t.Fatalf("register: %v %s", err, r.XML)
			}
			data := make([]byte, 50_000)
			rand.Read(data)
			url := uploadAsUser(t, s, alice, "holiday.jpg", "image/jpeg", data)
			bob := "bob@" + s.domain
			raw(t, alice, `<message type='chat' to='`+bob+`'><body>`+url+`</body><x xmlns='jabber:x:oob'><url>`+url+`</url></x></message>`)
			m, err := alice.Next(ctxT(t), func(st xmpptest.Stanza) bool {
				return st.Name == "message" && bareJID(st.From) == bob && (st.Type == "error" || strings.Contains(st.XML, "jabber:x:oob"))
			})
			if err != nil {
				t.Fatalf("no file back from bob: %v", err)
			}
			var oob struct {
				URL string `xml:"x>url"`
			}
			if err := xml.Unmarshal([]byte(m.XML), &oob); err != nil || m.Type == "error" || oob.URL == "" || oob.URL == url {
				t.Fatalf("want the file back as a new upload, got %s", m.XML)
			}
			if !strings.HasPrefix(oob.URL, "http://"+s.srv.HTTPAddr()+"/") {
				t.Errorf("the file is not on the user's server: %s", oob.URL)
			}
			resp, err := http.Get(oob.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			back, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || !bytes.Equal(back, data) {
				t.Fatalf("GET %s: %s, %d bytes, same: %v", oob.URL, resp.Status, len(back), bytes.Equal(back, data))
			}
			// Nothing went server-to-server: not the ping after the
			// handshake either, which went to the guess im.localhost on
			// a first connection.
			if log := s.srv.LogTail(); strings.Contains(log, heldRemote) {
				t.Errorf("a stanza went server-to-server:\n%s", log)
			}
		})
	}
}

// heldRemote is what hold_remote logs of each stanza it holds.
const heldRemote = "held for a remote domain"

// holdRemote returns Prosody's modules and global config for a module
// that takes every stanza bound for a domain the server does not host
// and never answers it, logging heldRemote: s2s to a server that does
// not answer (mod_s2s may take longer than any timeout of the
// gateway's to resolve and connect).
func holdRemote(t *testing.T) ([]string, string) {
	dir := t.TempDir()
	const mod = `module:set_global();
local function hold(event)
	module:log("info", "` + heldRemote + `: %s", tostring(event.stanza));
	return true;
end
local function add(host)
	if prosody.hosts[host] then prosody.hosts[host].events.add_handler("route/remote", hold, 1000); end
end
for host in pairs(prosody.hosts) do add(host); end
module:hook_global("host-activated", add);
`
	if err := os.WriteFile(filepath.Join(dir, "mod_hold_remote.lua"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"hold_remote"}, fmt.Sprintf("plugin_paths = { %q }", dir)
}
