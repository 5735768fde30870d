package irc_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A self-hosted ngircd whose certificate no authority the gateway trusts
// signed, as biboumi's "SHA-1 fingerprint of the TLS certificate to
// trust": the login state of a login without a pin names the
// certificate's SHA-256 fingerprint; a login with it in the form's
// certificate fingerprint field (colons or not, any case) connects,
// without the gateway's admin adding ca_file, and messages cross; a
// login pinning another certificate is refused, saying both, and sends
// nothing. Before, there was no such field: only ca_file, the admin's,
// let a user reach such a server.
func TestTLSFingerprint(t *testing.T) {
	ca := newTestCA(t) // not the transport's ca_file
	cert, certFile, keyFile := ca.issue("localhost", "127.0.0.1")
	sum := sha256.Sum256(cert.Certificate[0])
	pin := strings.ToUpper(hex.EncodeToString(sum[:]))
	var colons []string
	for i := 0; i < len(pin); i += 2 {
		colons = append(colons, pin[i:i+2])
	}
	s := startNgircdTLS(t, certFile, keyFile)
	bob := newClient(t, s, "bob")

	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(`{"reconnect_min":"200ms","reconnect_max":"400ms"}`))
	evs := p.Events()
	form := func(nick, fingerprint string) map[string]string {
		return map[string]string{"server": "localhost", "port": strconv.Itoa(s.tlsPort), "tls": "on", "nick": nick, "fingerprint": fingerprint}
	}
	untrusted := p.Login("", form("tom", ""))
	p.Connect(untrusted.LoginId, untrusted.SavedState)
	if st := loginState(evs); st.State != pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT || !strings.Contains(st.Message, strings.Join(colons, ":")) {
		t.Errorf("login state %v, want the certificate not trusted, its SHA-256 fingerprint named", st)
	}
	ctx, cancel := p.CallContext()
	defer cancel()
	if _, err := p.Client().Disconnect(ctx, &pb.LoginRef{LoginId: untrusted.LoginId}); err != nil {
		t.Fatal(err)
	}

	login := p.Login("", form("tess", " "+strings.ToLower(strings.Join(colons, ":"))+" "))
	p.Connect(login.LoginId, login.SavedState)
	evs.NextEvent(func(ev *pb.Event) bool {
		return ev.LoginId == login.LoginId && ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
	})
	if err := bob.conn.Privmsg("tess", "pinned?"); err != nil {
		t.Fatal(err)
	}
	evs.NextEvent(func(ev *pb.Event) bool { return ev.ChatId == "bob" && ev.GetMessage().GetText() == "pinned?" })
	if res := p.Commands().Send(plugintest.SendText(login.LoginId, "bob", "", "yes")); res.Error != nil {
		t.Fatalf("send: %v", res.Error)
	}
	bob.await("PRIVMSG", "yes")

	other := sha256.Sum256([]byte("another certificate"))
	wrong := p.Login("", form("tina", hex.EncodeToString(other[:])))
	p.Connect(wrong.LoginId, wrong.SavedState)
	st := evs.NextEvent(func(ev *pb.Event) bool {
		return ev.LoginId == wrong.LoginId && ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_TRANSIENT_DISCONNECT
	}).GetLoginState()
	if !strings.Contains(st.Message, strings.Join(colons, ":")) || !strings.Contains(st.Message, "not the one") {
		t.Errorf("login state %v, want the certificate refused, not the one pinned, its fingerprint named", st)
	}
	if strings.Contains(s.log(), "tina") {
		t.Errorf("tina reached ngircd:\n%s", s.log())
	}
}

// The form takes a SHA-256 fingerprint, with TLS on, and refuses what
// is none, saying why: a SHA-1 one (biboumi's) is not taken.
func TestTLSFingerprintForm(t *testing.T) {
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", nil)
	ctx, cancel := p.CallContext()
	defer cancel()
	sha256Hex := strings.Repeat("ab", 32)
	for _, tc := range []struct{ tls, fingerprint, says string }{
		{"on", strings.Repeat("ab", 20), "SHA-1"},
		{"on", "xyz", "64 hexadecimal"},
		{"on", sha256Hex + "00", "64 hexadecimal"},
		{"off", sha256Hex, "TLS"},
	} {
		step, err := p.Client().StartLogin(ctx, &pb.StartLoginRequest{UserJid: plugintest.UserJID})
		if err != nil {
			t.Fatal(err)
		}
		f := map[string]string{"server": "irc.example.org", "nick": "tess", "tls": tc.tls, "fingerprint": tc.fingerprint}
		if step, err = p.Client().SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: f}); err != nil {
			t.Fatal(err)
		}
		if step.GetForm() == nil || !strings.Contains(step.Error, tc.says) {
			t.Errorf("fingerprint %q, TLS %s: %v, want the form again saying %s", tc.fingerprint, tc.tls, step, tc.says)
		}
	}
}
