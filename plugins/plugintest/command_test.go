package plugintest

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestCommand runs the conformance checks against any plugin the
// environment names, so that the author of a plugin in another language
// can run them without writing Go (docs/plugins.md):
//
//	PLUGINTEST_COMMAND="/usr/bin/python3 /path/to/plugin.py" \
//	PLUGINTEST_LOGIN='{"username": "alice"}' PLUGINTEST_CONTACT=echo \
//	go test passerelle.im/passerelle/plugins/plugintest -run 'TestCommand$' -v
//
// PLUGINTEST_LOGIN is the login form's answers, or, for a login of
// several steps (Config.Login), a list of steps: each a form's "fields"
// (and optionally "wrong" answers, which must be asked again), or
// {"wait": true} for a display step that moves on by itself:
//
//	PLUGINTEST_LOGIN='[{"fields": {"username": "alice+code"}},
//	  {"wrong": {"code": "1234"}, "fields": {"code": "0000"}}]'
//
// PLUGINTEST_FLOW (the login flow's ID; the first by default),
// PLUGINTEST_GROUP, PLUGINTEST_CONFIG (JSON) and
// PLUGINTEST_CONNECT_TIMEOUT (Config.ConnectTimeout, a Go duration:
// "1m") are optional. The network
// must answer each message sent to the contact with the same text, as an
// echo does; one that does not needs a Go test with Config.Incoming.
// Without PLUGINTEST_COMMAND the test is skipped.
func TestCommand(t *testing.T) {
	argv := strings.Fields(os.Getenv("PLUGINTEST_COMMAND"))
	if len(argv) == 0 {
		t.Skip("set PLUGINTEST_COMMAND (and PLUGINTEST_LOGIN, PLUGINTEST_CONTACT) to check a plugin")
	}
	fields, steps, err := parseLogin(os.Getenv("PLUGINTEST_LOGIN"))
	if err != nil {
		t.Fatal(err)
	}
	var config []byte
	if c := os.Getenv("PLUGINTEST_CONFIG"); c != "" {
		if !json.Valid([]byte(c)) {
			t.Fatalf("PLUGINTEST_CONFIG is not JSON: %s", c)
		}
		config = []byte(c)
	}
	var connect time.Duration
	if c := os.Getenv("PLUGINTEST_CONNECT_TIMEOUT"); c != "" {
		if connect, err = time.ParseDuration(c); err != nil || connect <= 0 {
			t.Fatalf("PLUGINTEST_CONNECT_TIMEOUT is not a duration (30s, 2m): %q", c)
		}
	}
	Run(t, Config{Binary: argv[0], Args: argv[1:], ConfigJSON: config, FlowID: os.Getenv("PLUGINTEST_FLOW"), LoginFields: fields, Login: steps,
		Contact: os.Getenv("PLUGINTEST_CONTACT"), Group: os.Getenv("PLUGINTEST_GROUP"), ConnectTimeout: connect})
}

// parseLogin reads PLUGINTEST_LOGIN: a JSON object is one form's answers,
// a list the steps of a longer login.
func parseLogin(s string) (map[string]string, []LoginStep, error) {
	var fields map[string]string
	if err := json.Unmarshal([]byte(s), &fields); err == nil {
		return fields, nil, nil
	}
	var list []struct {
		Fields map[string]string `json:"fields"`
		Wrong  map[string]string `json:"wrong"`
		Wait   bool              `json:"wait"`
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil || len(list) == 0 {
		return nil, nil, fmt.Errorf(`PLUGINTEST_LOGIN must be the login form's input as a JSON object ({"username": "alice"}), or a list of steps ([{"fields": {...}, "wrong": {...}}, {"wait": true}]): %q: %v`, s, err)
	}
	steps := make([]LoginStep, len(list))
	for i, x := range list {
		switch {
		case x.Wait && (x.Fields != nil || x.Wrong != nil):
			return nil, nil, fmt.Errorf("PLUGINTEST_LOGIN step %d: a step either waits or answers a form", i+1)
		case x.Wait:
			steps[i].Act = func(testing.TB, *pb.LoginStep) map[string]string { return nil }
		case x.Fields == nil:
			return nil, nil, fmt.Errorf(`PLUGINTEST_LOGIN step %d: no "fields" and no "wait"`, i+1)
		}
		steps[i].Fields, steps[i].Wrong = x.Fields, x.Wrong
	}
	return nil, steps, nil
}

func TestParseLogin(t *testing.T) {
	fields, steps, err := parseLogin(`{"username": "alice"}`)
	if err != nil || fields["username"] != "alice" || steps != nil {
		t.Fatalf("one form: %v %v %v", fields, steps, err)
	}
	fields, steps, err = parseLogin(`[{"fields": {"username": "alice+qr"}}, {"wait": true}]`)
	if err != nil || fields != nil || len(steps) != 2 || steps[0].Fields["username"] != "alice+qr" || steps[1].Act == nil || steps[1].Fields != nil {
		t.Fatalf("two steps: %v %v %v", fields, steps, err)
	}
	if _, steps, err = parseLogin(`[{"fields": {"username": "a"}}, {"wrong": {"code": "1"}, "fields": {"code": "0"}}]`); err != nil || steps[1].Wrong["code"] != "1" {
		t.Fatalf("a wrong answer: %v %v", steps, err)
	}
	for _, bad := range []string{``, `[]`, `"alice"`, `[{"wait": true, "fields": {"a": "b"}}]`, `[{"wrong": {"a": "b"}}]`, `[{"field": {"a": "b"}}]`} {
		if _, _, err := parseLogin(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		} else if !strings.Contains(err.Error(), "PLUGINTEST_LOGIN") {
			t.Errorf("%s: %v does not name PLUGINTEST_LOGIN", bad, err)
		}
	}
}
