package signal

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/rpc"
)

// signal-cli's send results, in both shapes it answers a send no one
// got: a success listing the failures (before 0.10.1) and an error
// carrying them as data.response (since).
func TestSendResults(t *testing.T) {
	const body = `{"timestamp":1700000000000,"results":[
		{"recipientAddress":{"uuid":"b0b00000-0000-4000-8000-000000000002","number":"+15550000002"},"groupId":"Zw==","type":"RATE_LIMIT_FAILURE","retryAfterSeconds":30},
		{"recipientAddress":{"uuid":"ca201000-0000-4000-8000-000000000003"},"groupId":"Zw==","type":"RATE_LIMIT_FAILURE","token":"t"}]}`
	var old sendResult
	if err := json.Unmarshal([]byte(body), &old); err != nil {
		t.Fatal(err)
	}
	if old.delivered() {
		t.Fatal("a send every recipient failed counts as delivered")
	}
	e := &rpc.Error{Code: rpc.CodeRateLimit, Message: "Failed to send message due to rate limiting", Data: json.RawMessage(`{"response":` + body + `}`)}
	for what, err := range map[string]error{"success": old.undelivered("could not send"), "error": undeliveredError("could not send", e)} {
		var se *sdk.Error
		if !errors.As(err, &se) || se.Code != pb.ErrorCode_ERROR_CODE_RATE_LIMITED || !strings.Contains(se.Text, "30 s") {
			t.Errorf("%s shape: %v, want rate limited, 30 s", what, err)
		}
	}

	// Any other error, or one whose data says someone got it, is not
	// read as a send to nobody.
	for _, data := range []string{``, `null`, `{"response":{"timestamp":1,"results":[]}}`, `{"response":{"results":[{"type":"SUCCESS"},{"type":"NETWORK_FAILURE"}]}}`, `[1]`} {
		if err := undeliveredError("x", &rpc.Error{Code: -1, Message: "m", Data: json.RawMessage(data)}); err != nil {
			t.Errorf("data %q: %v", data, err)
		}
	}

	// Partly delivered: who failed, and why.
	part := sendResult{Results: []recipientResult{{Type: "SUCCESS"}, {Type: "INVALID_PRE_KEY_FAILURE"}}}
	part.Results[1].RecipientAddress.UUID = "dave"
	if !part.delivered() || strings.Join(part.failures(), ";") != "dave (invalid keys)" {
		t.Errorf("partly delivered: %v %v", part.delivered(), part.failures())
	}
}

// signal-cli's user errors (-1) that the user can act on are told with
// their meaning, not signal-cli's command-line words: the last admin
// leaving (its text names the command line's --admin), a group where
// only admins post; an untrusted identity's error (-4) says how to
// verify it. Before, they were BAD_REQUEST with signal-cli's words.
func TestRefusalWords(t *testing.T) {
	for _, tc := range []struct {
		err  *rpc.Error
		code pb.ErrorCode
		says string
	}{
		{&rpc.Error{Code: rpc.CodeUserError, Message: "You need to specify a new admin with --admin: User is last admin in group: Friends (Zw==)"},
			pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "make another member an admin first"},
		{&rpc.Error{Code: rpc.CodeUserError, Message: "User is not allowed to send message to group: Friends (Zw==)"},
			pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "only the group's admins"},
		{&rpc.Error{Code: rpc.CodeUserError, Message: "Unregistered user: +15550000009"},
			pb.ErrorCode_ERROR_CODE_NOT_FOUND, "+15550000009 is not on Signal"},
		{&rpc.Error{Code: rpc.CodeUntrustedKey, Message: "Failed to send message due to untrusted identities"},
			pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "Mark as verified"},
	} {
		var se *sdk.Error
		if err := callError("could not", tc.err, &Network{}); !errors.As(err, &se) || se.Code != tc.code || !strings.Contains(se.Text, tc.says) {
			t.Errorf("%q: %v, want %v saying %q", tc.err.Message, err, tc.code, tc.says)
		}
	}
}
