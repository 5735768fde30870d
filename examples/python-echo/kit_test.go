package pythonecho_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// The checks of the example's kit parts (journal.py, history.py) that a
// plugin author copies, run by python3 apart from the plugin.

// runJournal runs code with journal.py imported, in a fresh data folder
// (the variable folder), its log set up as the plugin's (JSON lines on
// stderr), and returns what it logged, one object a line.
func runJournal(t *testing.T, code string) []map[string]any {
	t.Helper()
	needPython(t)
	cmd := exec.Command(python, "-c", `import sys; sys.dont_write_bytecode = True
import logging, passerelle_echo, transport_pb2 as pb
from journal import Journal
h = logging.StreamHandler(sys.stderr)
h.setFormatter(passerelle_echo.JSONLines())
logging.basicConfig(level=logging.INFO, handlers=[h])
folder = sys.argv[1]
`+code, t.TempDir())
	cmd.Dir = "."
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("a log line that is not JSON: %q", l)
		}
		lines = append(lines, m)
	}
	return lines
}

// An event emitted once the journal closed (the plugin's stop) is
// dropped, and the log says so, naming it, as the Go SDK's does. Before,
// the Python journal dropped it without a word.
func TestLateEmitLogged(t *testing.T) {
	logged := runJournal(t, `j = Journal(folder)
j.close()
seq = j.emit(pb.Event(login_id="alice", chat_id="echo", event_id="late-1", message=pb.MessageEvent(text="hi")))
assert seq == 0, seq
`)
	for _, l := range logged {
		if l["@level"] == "error" && strings.Contains(l["@message"].(string), "dropped") &&
			l["event_id"] == "late-1" && l["login_id"] == "alice" && l["chat_id"] == "echo" && l["kind"] == "message" {
			return
		}
	}
	t.Fatalf("no error line names the event dropped after the stop; logged %v", logged)
}

// An event the gateway could not deliver (no payload, no login, a chat's
// event with no chat) or would refuse (a NUL or an ID past the
// contract's LIMIT_ID_BYTES, a meta past LIMIT_META_BYTES) is dropped at
// emit with an error line saying why, and takes no seq, as the Go SDK
// does; a login step needs no login, a contact no chat. A history batch
// the gateway would refuse raises ValueError. Before, they were sent,
// and the gateway dropped them.
func TestEmitRefusesUndeliverable(t *testing.T) {
	logged := runJournal(t, `j = Journal(folder)
bad = [pb.Event(login_id="alice", chat_id="echo", event_id="nopayload"),
       pb.Event(chat_id="echo", event_id="nologin", message=pb.MessageEvent(text="hi")),
       pb.Event(login_id="alice", event_id="nochat", message=pb.MessageEvent(text="hi")),
       pb.Event(login_id="alice", typing=pb.TypingEvent()),
       pb.Event(login_id="alice", event_id="inv", invited=pb.InvitedEvent(chat_name="g")),
       pb.Event(login_id="alice", event_id="ed", edit=pb.EditEvent()),
       pb.Event(event_id="step", login_step=pb.LoginStep(process_id="p")),
       pb.Event(login_id="al\0ice", chat_id="echo", event_id="nul", message=pb.MessageEvent(text="hi")),
       pb.Event(login_id="alice", chat_id="echo", event_id="e\0", message=pb.MessageEvent(text="hi")),
       pb.Event(login_id="alice", chat_id="c" * (pb.LIMIT_ID_BYTES + 1), event_id="long", message=pb.MessageEvent(text="hi")),
       pb.Event(login_id="alice", chat_id="echo", event_id="meta", meta=bytes(pb.LIMIT_META_BYTES + 1), message=pb.MessageEvent(text="hi")),
       pb.Event(login_id="alice", event_id="n0", notice=pb.NoticeEvent()),
       pb.Event(login_id="alice", chat_id="echo", event_id="n1", notice=pb.NoticeEvent(text="lost"))]
for ev in bad:
    assert j.emit(ev) == 0, ev
good = [pb.Event(login_step=pb.LoginStep(process_id="p")),
        pb.Event(login_id="alice", contact=pb.ContactEvent(contact=pb.Contact(user_id="echo"))),
        pb.Event(login_id="alice", event_id="n2", notice=pb.NoticeEvent(text="lost", level=pb.NOTICE_LEVEL_WARNING))]
assert [j.emit(ev) for ev in good] == [1, 2, 3], [ev.seq for ev in good]
j.close()
from history import HistoryQueue
h = HistoryQueue(folder)
msg = pb.Event(event_id="m", message=pb.MessageEvent(text="hi"))
for b, want in [(pb.HistoryBatch(chat_id="echo", done=True, events=[msg]), "a history batch needs its login_id and chat_id"),
                (pb.HistoryBatch(login_id="alice", chat_id="echo", events=[msg]), "needs its cursor"),
                (pb.HistoryBatch(login_id="alice", chat_id="echo", cursor="x" * (pb.LIMIT_ID_BYTES + 1)), "cursor is 4097 bytes"),
                (pb.HistoryBatch(login_id="alice", chat_id="echo", done=True, events=[pb.Event(event_id="x")]), "event 0 (event_id 'x'): it has no payload"),
                (pb.HistoryBatch(login_id="alice", chat_id="echo", done=True, events=[pb.Event(chat_id="bob", message=pb.MessageEvent())]), "holds event 0 of chat 'bob'")]:
    try:
        h.send(b)
    except ValueError as e:
        assert want in str(e), (str(e), want)
        assert b.seq == 0, b.seq
    else:
        raise AssertionError("queued: %s" % b)
assert h.send(pb.HistoryBatch(login_id="alice", chat_id="echo", done=True, events=[msg]))
h.close()
`)
	want := map[string]string{
		"nopayload": "no payload",
		"nologin":   "a message event with no login_id",
		"nochat":    "a message event with no chat_id",
		"":          "a typing event with no chat_id",
		"inv":       "an invited event with no chat_id",
		"ed":        "an edit event with no chat_id",
		"step":      "a login_step event with no login_id but an event_id: the gateway keeps event_ids per login; give a login step none",
		"nul":       "login_id 'al\\x00ice' holds a NUL byte, which no ID may: escape it",
		"e\x00":     "event_id 'e\\x00' holds a NUL byte",
		"long":      "chat_id is 4097 bytes, over the contract's 4096 (LIMIT_ID_BYTES): give a shorter one (a hash of the network's, mapped back in the data folder)",
		"meta":      "a message event's meta is 1025 bytes, over the contract's 1024",
	}
	for _, l := range logged {
		id, _ := l["event_id"].(string)
		reason, _ := l["reason"].(string)
		if w, ok := want[id]; ok && l["@level"] == "error" && strings.Contains(reason, w) {
			delete(want, id)
		}
	}
	if len(want) > 0 {
		t.Fatalf("no error line for %v; logged %v", want, logged)
	}
}

// An event or a history batch over a gRPC message's 64 MiB is refused:
// the event dropped with an error line, taking no seq, the batch with a
// ValueError, as the Go SDK does. Before, the event was journalled and
// broke the Events stream at every try and every restart, nothing after
// it arriving; the batch broke the History stream so.
func TestTooLargeRefused(t *testing.T) {
	logged := runJournal(t, `from history import HistoryQueue
from goplugin import MAX_MESSAGE_BYTES
j = Journal(folder)
big = pb.Event(login_id="alice", chat_id="echo", event_id="big", message=pb.MessageEvent(text="x" * MAX_MESSAGE_BYTES))
assert j.emit(big) == 0 and big.seq == 0, big.seq
small = pb.Event(login_id="alice", chat_id="echo", event_id="small", message=pb.MessageEvent(text="hi"))
assert j.emit(small) == 1, small.seq
j.close()
h = HistoryQueue(folder)
try:
    h.send(pb.HistoryBatch(login_id="alice", chat_id="echo", done=True, events=[big]))
except ValueError as e:
    assert "over the" in str(e), e
else:
    raise AssertionError("a history batch over 64 MiB queued")
h.close()
`)
	for _, l := range logged {
		if l["@level"] == "error" && l["event_id"] == "big" && strings.Contains(l["err"].(string), "over the") {
			return
		}
	}
	t.Fatalf("no error line names the event too large; logged %v", logged)
}

// The history queue marks a batch's events is_backfill and fills in
// their login and chat from the batch's, as the Go SDK's SendHistory
// does; a batch without its login or chat is refused. Before, an event
// whose author forgot is_backfill reached the gateway as a live one.
func TestHistoryBatchFilledIn(t *testing.T) {
	runJournal(t, `from history import HistoryQueue
h = HistoryQueue(folder)
b = pb.HistoryBatch(login_id="alice", chat_id="echo", chat_type=pb.CHAT_TYPE_DIRECT, done=True,
                    events=[pb.Event(event_id="h1", message=pb.MessageEvent(text="old"))])
assert h.send(b)
ev = h.unacked[0].events[0]
assert ev.is_backfill and ev.login_id == "alice" and ev.chat_id == "echo", ev
try:
    h.send(pb.HistoryBatch(chat_id="echo"))
except ValueError as e:
    assert "login_id" in str(e), e
else:
    raise AssertionError("a batch without its login queued")
h.close()
`)
}

// A command's result whose meta is over the contract's LIMIT_META_BYTES
// is answered as the command went, without its meta (a send reached the
// network: an error would have the user send it again), remembered so,
// and logged naming the field, the command and the limit, as the Go SDK
// does. Before, it was answered with its meta, which the gateway drops
// with no word to the plugin's author.
func TestResultMetaTooLarge(t *testing.T) {
	logged := runJournal(t, `import json
from passerelle_echo import EchoTransport
tr = EchoTransport()
tr.Init(pb.InitRequest(data_dir=folder), None)
tr.Connect(pb.ConnectRequest(login_id="alice", saved_state=json.dumps({"username": "alice"}).encode()), None)
send = lambda txn: pb.Command(correlation_id=1, login_id="alice", chat_id="echo", txn_id=txn, send=pb.SendMessage(text="hi"))
ok = tr.command(send("t1"))
assert not ok.HasField("error") and 0 < len(ok.meta) <= pb.LIMIT_META_BYTES, ok
def big(self, s, cmd, send, res):
    res.message_id = "m"
    res.meta = bytes(pb.LIMIT_META_BYTES + 1)
tr.do_send = big.__get__(tr)
res = tr.command(send("t2"))
assert not res.HasField("error") and res.message_id == "m" and not res.meta, res
again = tr.journal.answer("alice", "t2")
assert again is not None and again.message_id == "m" and not again.meta, again
tr.close()
`)
	for _, l := range logged {
		if err, _ := l["err"].(string); l["@level"] == "error" && l["txn_id"] == "t2" && l["action"] == "send" &&
			strings.Contains(err, "CommandResult.meta for a 'send' command is 1025 bytes") {
			return
		}
	}
	t.Fatalf("no error line names the result's meta over the limit; logged %v", logged)
}
