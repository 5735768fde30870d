package fakesignal

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The fake answers as signal-cli-jsonrpc(5) documents: subscription IDs,
// envelopes wrapped in a subscription answer with the account, the
// account parameter required, JSON-RPC's own errors.
func TestProtocolShapes(t *testing.T) {
	d, err := Start(filepath.Join(t.TempDir(), "s.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.AddAccount("+33123456789", "11111111-1111-4111-8111-111111111111")
	ask, r := dial(t, d)
	if m := ask(`{"jsonrpc":"2.0"}`); m["error"].(map[string]any)["code"] != float64(-32600) {
		t.Errorf("no method: %v", m)
	}
	if m := ask(`{"jsonrpc":"2.0","method":"listGroups","id":"a"}`); m["error"].(map[string]any)["code"] != float64(-32602) || m["id"] != "a" {
		t.Errorf("no account: %v", m)
	}
	if m := ask(`{"jsonrpc":"2.0","method":"startLink","id":5}`); m["id"] != float64(5) || !IsLinkURI(m["result"].(map[string]any)["deviceLinkUri"].(string)) {
		t.Errorf("startLink: %v", m)
	}
	m := ask(`{"jsonrpc":"2.0","method":"subscribeReceive","id":"id","params":{"account":"+33123456789"}}`)
	sub, ok := m["result"].(float64)
	if !ok {
		t.Fatalf("subscribeReceive: %v", m)
	}
	d.Deliver("+33123456789", Envelope{SourceNumber: "+440123456789", SourceUUID: "uuid", SourceDevice: 1,
		DataMessage: &DataMessage{Message: Text("foobar")}})
	if !r.Scan() {
		t.Fatal(r.Err())
	}
	var note struct {
		Method string `json:"method"`
		ID     any    `json:"id"`
		Params struct {
			Subscription float64 `json:"subscription"`
			Result       struct {
				Account  string `json:"account"`
				Envelope struct {
					SourceNumber string `json:"sourceNumber"`
					Timestamp    int64  `json:"timestamp"`
					DataMessage  struct {
						Message          string `json:"message"`
						ExpiresInSeconds *int   `json:"expiresInSeconds"`
					} `json:"dataMessage"`
				} `json:"envelope"`
			} `json:"result"`
		} `json:"params"`
	}
	if err := json.Unmarshal(r.Bytes(), &note); err != nil {
		t.Fatal(err)
	}
	if note.Method != "receive" || note.ID != nil || note.Params.Subscription != sub || note.Params.Result.Account != "+33123456789" ||
		note.Params.Result.Envelope.SourceNumber != "+440123456789" || note.Params.Result.Envelope.Timestamp == 0 ||
		note.Params.Result.Envelope.DataMessage.Message != "foobar" || note.Params.Result.Envelope.DataMessage.ExpiresInSeconds == nil {
		t.Fatalf("receive notification: %s", r.Bytes())
	}
}

// updateGroup without a groupId creates a group and answers as
// signal-cli's UpdateGroupCommand does: groupId, timestamp and results;
// a number not on Signal refuses it all ("The user ... is not
// registered.", -1).
func TestCreateGroupShape(t *testing.T) {
	d, err := Start(filepath.Join(t.TempDir(), "s.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const me, bob, nobody = "+33123456789", "+33600000002", "+33600000009"
	d.AddAccount(me, "11111111-1111-4111-8111-111111111111")
	d.Fail(nobody, "UNREGISTERED_FAILURE")
	ask, _ := dial(t, d)
	m := ask(`{"jsonrpc":"2.0","method":"updateGroup","id":1,"params":{"account":"+33123456789","name":"G","members":["+33600000002","+33600000009"]}}`)
	if e, _ := m["error"].(map[string]any); e["code"] != float64(-1) || e["message"] != "The user +33600000009 is not registered." {
		t.Fatalf("a member not on Signal: %v", m)
	}
	m = ask(`{"jsonrpc":"2.0","method":"updateGroup","id":2,"params":{"account":"+33123456789","name":"G","members":["+33600000002"]}}`)
	res, _ := m["result"].(map[string]any)
	gid, _ := res["groupId"].(string)
	results, _ := res["results"].([]any)
	if gid == "" || res["timestamp"] == nil || len(results) != 1 || results[0].(map[string]any)["type"] != "SUCCESS" {
		t.Fatalf("create: %v", m)
	}
	g, ok := d.GetGroup(me, gid)
	if !ok || g.Name != "G" || len(g.Members) != 2 || !g.Members[0].Admin || g.Members[0].Number != me || g.Members[1].Number != bob {
		t.Fatalf("group: %+v", g)
	}
}

// dial connects to the daemon as a client does; ask writes one JSON-RPC
// line and returns the answer's line, decoded; r reads what else comes
// (notifications).
func dial(t *testing.T, d *Daemon) (ask func(line string) map[string]any, r *bufio.Scanner) {
	t.Helper()
	c, err := net.Dial("unix", d.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r = bufio.NewScanner(c)
	return func(line string) map[string]any {
		t.Helper()
		if _, err := c.Write([]byte(line + "\n")); err != nil {
			t.Fatal(err)
		}
		if !r.Scan() {
			t.Fatalf("no answer to %s: %v", line, r.Err())
		}
		var m map[string]any
		if err := json.Unmarshal(r.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}, r
}

// sendPollCreate answers as signal-cli 0.14.2's SendPollCreateCommand:
// 2 to 10 options, none empty nor past 100 UTF-16 code units (-1, its
// user errors); the options as "options" or "option"; a send's
// timestamp and results; recorded with noMulti.
func TestSendPollCreateShape(t *testing.T) {
	d, send := sendDaemon(t)
	poll := func(id int, rest string) map[string]any { return send(id, "sendPollCreate", ","+rest) }
	for i, c := range []struct{ rest, says string }{
		{`"question":"Q","options":["A"]`, "Poll needs at least two options"},
		{`"question":"Q","options":["1","2","3","4","5","6","7","8","9","10","11"]`, "Poll cannot have more than 10 options"},
		{`"question":"Q","options":["A",""]`, "Poll options must not be empty"},
		{`"question":"Q","options":["A","` + strings.Repeat("x", 99) + `😀"]`, "exceeds the maximum length of 100 characters"},
	} {
		if e, _ := poll(i, c.rest)["error"].(map[string]any); e["code"] != float64(-1) || !strings.Contains(fmt.Sprint(e["message"]), c.says) {
			t.Errorf("%s: %v, want -1 %q", c.rest, e, c.says)
		}
	}
	if e, _ := poll(9, `"options":["A","B"]`)["error"].(map[string]any); e["code"] != float64(-32602) {
		t.Errorf("no question: %v", e)
	}
	for i, rest := range []string{`"question":"Q","options":["A","B"],"noMulti":true`, `"question":"Q","option":["A","B"]`} {
		res, _ := poll(10+i, rest)["result"].(map[string]any)
		if results, _ := res["results"].([]any); res["timestamp"] == nil || len(results) != 1 {
			t.Fatalf("%s: %v", rest, res)
		}
	}
	reqs := d.Requests(me)
	if len(reqs) != 2 || reqs[0].Params["noMulti"] != true || reqs[1].Params["noMulti"] != nil || reqs[0].Timestamp == 0 {
		t.Fatalf("requests recorded: %+v", reqs)
	}
}

// me is the account the send tests' daemon has.
const me = "+33123456789"

// sendDaemon starts a daemon with the account me and returns it and
// send, which asks for method from me to one recipient with the
// parameters rest (each after a comma) as request id.
func sendDaemon(t *testing.T) (d *Daemon, send func(id int, method, rest string) map[string]any) {
	t.Helper()
	d, err := Start(filepath.Join(t.TempDir(), "s.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	d.AddAccount(me, "11111111-1111-4111-8111-111111111111")
	ask, _ := dial(t, d)
	return d, func(id int, method, rest string) map[string]any {
		return ask(fmt.Sprintf(`{"jsonrpc":"2.0","method":"%s","id":%d,"params":{"account":"%s","recipient":["+33600000002"]%s}}`, method, id, me, rest))
	}
}

// sendPinMessage and sendUnpinMessage answer as signal-cli 0.14.0's
// commands: the target's author and timestamp required, a pin's
// pinDuration too (JSON-RPC applies no argparse default; the real one
// fails unboxing a missing one), an unpin's not; a send's timestamp and
// results, recorded.
func TestSendPinShape(t *testing.T) {
	d, pin := sendDaemon(t)
	for i, c := range []struct {
		method, rest string
		code         float64
	}{
		{"sendPinMessage", `,"targetTimestamp":5`, -32602},
		{"sendPinMessage", `,"targetAuthor":"+33600000002"`, -32602},
		{"sendPinMessage", `,"targetAuthor":"+33600000002","targetTimestamp":5`, -32603},
		{"sendUnpinMessage", `,"targetAuthor":"+33600000002"`, -32602},
	} {
		if e, _ := pin(i, c.method, c.rest)["error"].(map[string]any); e["code"] != c.code {
			t.Errorf("%s %s: %v, want %v", c.method, c.rest, e, c.code)
		}
	}
	for i, c := range []struct{ method, rest string }{
		{"sendPinMessage", `,"targetAuthor":"+33600000002","targetTimestamp":5,"pinDuration":-1`},
		{"sendUnpinMessage", `,"targetAuthor":"+33600000002","targetTimestamp":5`},
	} {
		res, _ := pin(10+i, c.method, c.rest)["result"].(map[string]any)
		if results, _ := res["results"].([]any); res["timestamp"] == nil || len(results) != 1 {
			t.Fatalf("%s %s: %v", c.method, c.rest, res)
		}
	}
	if reqs := d.Requests(me); len(reqs) != 2 || reqs[0].Method != "sendPinMessage" || reqs[1].Method != "sendUnpinMessage" || reqs[0].Timestamp == 0 {
		t.Fatalf("requests recorded: %+v", reqs)
	}
}

// sendPollTerminate answers as signal-cli 0.13.23's
// SendPollTerminateCommand: pollTimestamp required; a send's timestamp
// and results, recorded. Unlike the real one, it refuses (-1) a
// timestamp that is no poll of the account's: one it sent, or the
// phone's, delivered as a sync message.
func TestSendPollTerminateShape(t *testing.T) {
	d, call := sendDaemon(t)
	res, _ := call(1, "sendPollCreate", `,"question":"Q","options":["A","B"]`)["result"].(map[string]any)
	mine, _ := res["timestamp"].(float64)
	phone := d.Now()
	d.Deliver(me, Envelope{SourceNumber: me, Timestamp: phone, SyncMessage: &SyncMessage{SentMessage: &SentMessage{
		DestinationNumber: "+33600000002", DataMessage: DataMessage{Timestamp: phone, PollCreate: map[string]any{"question": "P"}}}}})
	theirs := d.Now()
	d.Deliver(me, Envelope{SourceNumber: "+33600000002", Timestamp: theirs, DataMessage: &DataMessage{Timestamp: theirs, PollCreate: map[string]any{"question": "T"}}})
	for i, c := range []struct {
		rest string
		code float64
	}{
		{``, -32602},
		{fmt.Sprintf(`,"pollTimestamp":%d`, theirs), -1},
		{fmt.Sprintf(`,"pollTimestamp":%d`, int64(mine)-1), -1},
	} {
		if e, _ := call(10+i, "sendPollTerminate", c.rest)["error"].(map[string]any); e["code"] != c.code {
			t.Errorf("sendPollTerminate %s: %v, want %v", c.rest, e, c.code)
		}
	}
	for i, ts := range []int64{int64(mine), phone} {
		res, _ := call(20+i, "sendPollTerminate", fmt.Sprintf(`,"pollTimestamp":%d`, ts))["result"].(map[string]any)
		if results, _ := res["results"].([]any); res["timestamp"] == nil || len(results) != 1 {
			t.Fatalf("sendPollTerminate of %d: %v", ts, res)
		}
	}
	if reqs := d.Requests(me); len(reqs) != 3 || reqs[1].Method != "sendPollTerminate" || reqs[2].Params["pollTimestamp"] != float64(phone) {
		t.Fatalf("requests recorded: %+v", reqs)
	}
}

// A contact's new key (Fail IDENTITY_FAILURE) is listed, untrusted, once
// signal-cli saved it: a send met it (IdentityKeyStore.isTrustedIdentity,
// SENDING), or a message of theirs it could not read had it fetch their
// profile (RetrieveProfileAction), which carries it. With that fetch
// failing, listIdentities lists the key before, trusted, until a send;
// trust then trusts that one, their sends still refused.
func TestListIdentitiesNewKeyOnceSent(t *testing.T) {
	d, err := Start(filepath.Join(t.TempDir(), "s.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const account, bob = "+33123456789", "+33600000002"
	d.AddAccount(account, "11111111-1111-4111-8111-111111111111")
	ask, _ := dial(t, d)
	listed := func() (fingerprint, trust string) {
		t.Helper()
		m := ask(`{"jsonrpc":"2.0","method":"listIdentities","id":1,"params":{"account":"` + account + `","number":"` + bob + `"}}`)
		ids, _ := m["result"].([]any)
		if len(ids) != 1 {
			t.Fatalf("listIdentities: %v, want one key", m)
		}
		id := ids[0].(map[string]any)
		return id["fingerprint"].(string), id["trustLevel"].(string)
	}
	was, trust := listed()
	if trust != "TRUSTED_UNVERIFIED" {
		t.Fatalf("bob's first key: %s", trust)
	}
	d.Fail(bob, "IDENTITY_FAILURE")
	d.ProfileFetchFails(bob, true)
	d.DeliverUntrusted(account, Envelope{SourceNumber: bob})
	if key, trust := listed(); key != was || trust != "TRUSTED_UNVERIFIED" {
		t.Fatalf("no send to bob since his new key, his profile not fetched: %s %s, want the key before, trusted", key, trust)
	}
	send := func(id string) map[string]any {
		return ask(`{"jsonrpc":"2.0","method":"send","id":` + id + `,"params":{"account":"` + account + `","recipient":["` + bob + `"],"message":"hi"}}`)
	}
	if m := ask(`{"jsonrpc":"2.0","method":"trust","id":5,"params":{"account":"` + account + `","recipient":"` + bob + `","trustAllKnownKeys":true}}`); m["error"] != nil {
		t.Fatalf("trust of the key before: %v, want it answered as done", m)
	}
	if m := send("6"); m["error"] == nil {
		t.Fatalf("a send to bob's new key after the key before was trusted: %v, want it refused", m)
	}
	if key, trust := listed(); key == was || trust != "UNTRUSTED" {
		t.Fatalf("after a send met bob's new key: %s %s, want it, untrusted", key, trust)
	}

	// His next key, learnt from a message of his through his profile.
	d.Fail(bob, "IDENTITY_FAILURE")
	d.ProfileFetchFails(bob, false)
	before, _ := listed()
	d.DeliverUntrusted(account, Envelope{SourceNumber: bob})
	if key, trust := listed(); key == before || trust != "UNTRUSTED" {
		t.Fatalf("after a message of bob's new key, his profile fetched: %s %s, want it, untrusted", key, trust)
	}
	if m := ask(`{"jsonrpc":"2.0","method":"trust","id":7,"params":{"account":"` + account + `","recipient":"` + bob + `","trustAllKnownKeys":true}}`); m["error"] != nil {
		t.Fatalf("trust of the new key: %v", m)
	}
	if m := send("8"); m["error"] != nil {
		t.Fatalf("a send to bob once his new key is trusted: %v", m)
	}
}
