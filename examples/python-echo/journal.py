"""The event journal: what the Go SDK does for a Go plugin (sdk.Host.Emit,
the Events stream, replays, acknowledgements, txn_id answers), in Python.

The contract's rules (plugins/proto/transport.proto, docs/plugins.md):

- every event gets a seq, increasing for the plugin's life, across
  restarts too: the host drops what it has stored, by seq;
- an event stays until the host acknowledges it (EventAck.up_to_seq: every
  seq up to it is stored); a new Events stream, in this process or in the
  next one after a crash, first replays every event not acknowledged, in
  seq order, with its seq and event_id unchanged;
- one Events stream at a time: a new one replaces the old;
- the answer to a command with a txn_id is kept, so the host's retry
  (after a broken stream or a crash) is answered without acting twice.

The file is an append-only log of records in the data folder: a type byte,
a 4-byte big-endian length, the payload. 'E' an Event, 'A' an ack (8-byte
seq), 'T' a txn answer (2-byte key length, the key, a CommandResult). Each
record is handed to the kernel before anything outside the process hears
of it, which survives a crash of the process; fsync is only for the events
a plugin is about to confirm to its network (emit(..., durable=True)).
"""

import logging
import os
import struct
import threading
from collections import OrderedDict

from google.protobuf.message import DecodeError

import transport_pb2 as pb
from goplugin import MAX_MESSAGE_BYTES

log = logging.getLogger("pyecho.journal")

JOURNAL_NAME = "events.journal"
# Answers to txn_ids kept (the oldest go first).
MAX_TXNS = 4096
# The file is rewritten with only what is still needed once it is past
# this size and twice what the last rewrite left (so that a host slow to
# acknowledge does not make every ack rewrite the file).
COMPACT_BYTES = 1 << 20

_HEAD = struct.Struct(">cI")


class Journal:
    def __init__(self, folder):
        self.path = os.path.join(folder, JOURNAL_NAME)
        self.cond = threading.Condition()
        self.pending = []  # Events not acknowledged, in seq order
        self.acked = 0  # every seq up to it is stored by the host
        self.next_seq = 1
        self.txns = OrderedDict()  # "login\x00txn" -> CommandResult
        self.gen = 0  # the current Events stream
        self.closed = False
        self._load()
        self.f = open(self.path, "ab")
        self.size = self.f.tell()
        self.kept = 0  # the size the last rewrite left

    # ------------------------------------------------------------ file

    def _load(self):
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return
        pos, good, events = 0, 0, []
        while pos + _HEAD.size <= len(data):
            kind, n = _HEAD.unpack_from(data, pos)
            body = data[pos + _HEAD.size : pos + _HEAD.size + n]
            if len(body) < n:
                break  # torn by a crash mid-write: the rest is lost
            pos += _HEAD.size + n
            try:
                if kind == b"E":
                    ev = pb.Event.FromString(body)
                    events.append(ev)
                    self.next_seq = max(self.next_seq, ev.seq + 1)
                elif kind == b"A":
                    (seq,) = struct.unpack(">Q", body)
                    self.acked = max(self.acked, seq)
                    self.next_seq = max(self.next_seq, seq + 1)
                elif kind == b"T":
                    (k,) = struct.unpack_from(">H", body)
                    if 2 + k > len(body):
                        raise ValueError("key past the record")
                    key = body[2 : 2 + k].decode()
                    self._keep_txn(key, pb.CommandResult.FromString(body[2 + k :]))
            except (DecodeError, struct.error, ValueError) as e:
                # A whole record that does not decode (a machine crash
                # can leave stale or zeroed bytes under a length already
                # written): that record is lost, not the plugin's start
                # nor the records after it. The Go SDK does the same.
                log.error("journal record skipped: it does not decode",
                          extra={"attrs": {"kind": kind.decode("latin-1"), "offset": pos - _HEAD.size - n, "err": str(e)}})
            good = pos
        if good < len(data):
            with open(self.path, "r+b") as f:
                f.truncate(good)
        self.pending = sorted((e for e in events if e.seq > self.acked), key=lambda e: e.seq)

    def _write(self, kind, body, durable=False):
        rec = _HEAD.pack(kind, len(body)) + body
        self.f.write(rec)
        self.f.flush()  # to the kernel: a crash of the process keeps it
        if durable:
            os.fsync(self.f.fileno())
        self.size += len(rec)

    def _compact(self):
        """Rewrites the file with the ack, the pending events and the
        answers: durably, by a new file renamed over the old."""
        tmp = self.path + ".tmp"
        with open(tmp, "wb") as f:
            recs = [(b"A", struct.pack(">Q", self.acked))]
            recs += [(b"E", ev.SerializeToString()) for ev in self.pending]
            recs += [(b"T", _txn_body(k, r)) for k, r in self.txns.items()]
            for kind, body in recs:
                f.write(_HEAD.pack(kind, len(body)) + body)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, self.path)
        folder = os.open(os.path.dirname(self.path), os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        self.f.close()
        self.f = open(self.path, "ab")
        self.size = self.kept = self.f.tell()

    def close(self):
        with self.cond:
            self.closed = True
            self.cond.notify_all()
            self.f.close()

    # ------------------------------------------------------------ events

    def emit(self, ev, durable=False):
        """Numbers ev, journals it and queues it for the Events stream.
        With durable, returns once it is on disk (fsync): confirm it to
        the network only then. Returns its seq; 0, the event dropped and
        logged, once the journal has closed (the plugin's stop), when
        the gateway could not deliver it (undeliverable) or when it is
        too large for a gRPC message."""
        with self.cond:
            if self.closed:
                # The journal is closed and no stream sends any more: kept,
                # the event would be lost with the process, without a
                # word. Say what it was, as the Go SDK does: the network
                # is the one to deliver it again.
                log.error("event dropped: emitted after the plugin's stop, it is neither journalled nor sent",
                          extra={"attrs": {"event_id": ev.event_id, "login_id": ev.login_id,
                                           "chat_id": ev.chat_id, "kind": ev.WhichOneof("payload") or "none"}})
                return 0
            fault = undeliverable(ev)
            if fault:
                # The gateway would store it and drop it, saying nothing
                # the plugin's author sees: said here, as the Go SDK does.
                log.error("event dropped: the gateway could not deliver it",
                          extra={"attrs": {"reason": fault, "event_id": ev.event_id, "login_id": ev.login_id,
                                           "chat_id": ev.chat_id, "kind": ev.WhichOneof("payload") or "none"}})
                return 0
            ev.seq = self.next_seq
            body = ev.SerializeToString()
            if len(body) > MAX_MESSAGE_BYTES:
                # Kept, it would break the Events stream at every try,
                # and every replay after a restart: nothing after it
                # would arrive. A file goes by ref or url, not inline.
                ev.seq = 0
                log.error("event dropped: it cannot be sent",
                          extra={"attrs": {"event_id": ev.event_id, "login_id": ev.login_id, "chat_id": ev.chat_id,
                                           "err": "%d bytes, over the %d of a message (a file goes by ref or url, not inline)"
                                           % (len(body), MAX_MESSAGE_BYTES)}})
                return 0
            self.next_seq += 1
            self._write(b"E", body, durable)
            self.pending.append(ev)
            self.cond.notify_all()
            return ev.seq

    def ack(self, up_to):
        """The host stored every event up to seq up_to."""
        with self.cond:
            up_to = min(up_to, self.next_seq - 1)
            if up_to <= self.acked or self.closed:
                return
            self.acked = up_to
            while self.pending and self.pending[0].seq <= up_to:
                self.pending.pop(0)
            self._write(b"A", struct.pack(">Q", up_to))
            if self.size > max(COMPACT_BYTES, 2 * self.kept):
                self._compact()

    def stream(self, context):
        """Yields every event not acknowledged, oldest first, then new
        ones as they come, until the stream ends or a newer one starts."""
        with self.cond:
            self.gen += 1
            gen = self.gen
            self.cond.notify_all()
            cursor = self.acked + 1
        context.add_callback(self._wake)
        while True:
            with self.cond:
                while (
                    gen == self.gen
                    and not self.closed
                    and context.is_active()
                    and not (self.pending and self.pending[-1].seq >= cursor)
                ):
                    self.cond.wait(1)
                if gen != self.gen or self.closed or not context.is_active():
                    return
                # Events acknowledged meanwhile need not be sent.
                cursor = max(cursor, self.acked + 1)
                batch = [ev for ev in self.pending if ev.seq >= cursor]
            for ev in batch:
                yield ev
                cursor = ev.seq + 1

    def _wake(self):
        with self.cond:
            self.cond.notify_all()

    # ------------------------------------------------------------ txns

    def answer(self, login_id, txn_id):
        """The answer given to (login_id, txn_id) before, or None."""
        with self.cond:
            return self.txns.get(login_id + "\x00" + txn_id)

    def remember(self, login_id, txn_id, result):
        """Keeps a successful answer to (login_id, txn_id); journalled
        before the host hears of it."""
        key = login_id + "\x00" + txn_id
        with self.cond:
            if self.closed:
                return
            self._keep_txn(key, result)
            self._write(b"T", _txn_body(key, result))

    def _keep_txn(self, key, result):
        self.txns[key] = result
        self.txns.move_to_end(key)
        while len(self.txns) > MAX_TXNS:
            self.txns.popitem(last=False)


# The payloads that happen in the chat Event.chat_id names (a ChatEvent
# names its chat in its Chat; the login's own events, contacts and
# presence have none).
IN_CHAT = {"message", "edit", "reaction", "retraction", "receipt", "typing", "member", "topic", "chat_removed", "expiry", "invited"}


def with_article(kind):
    """kind after its indefinite article: "an invited", "a message"."""
    return ("an " if kind and kind[0] in "aeiou" else "a ") + kind


def undeliverable(ev):
    """What ev lacks, or has wrong, that the gateway needs to deliver
    it, or "": as the Go SDK's sdk.CheckEvent."""
    kind = ev.WhichOneof("payload")
    if kind is None:
        return "it has no payload (message, typing, login_state, ...): nothing to deliver"
    # A login step belongs to a login process, which has no login ID yet;
    # but the gateway keeps an event_id per login.
    if not ev.login_id and kind == "login_step" and ev.event_id:
        return ("%s event with no login_id but an event_id: the gateway keeps event_ids per login; give a login step none"
                % with_article(kind))
    if not ev.login_id and kind != "login_step":
        return "%s event with no login_id: the gateway delivers a login's events to its user alone" % with_article(kind)
    if not ev.chat_id and kind in IN_CHAT:
        return "%s event with no chat_id: it happens in a chat, which the gateway addresses by it" % with_article(kind)
    for name in ("login_id", "chat_id", "event_id"):
        fault = bad_id(name, getattr(ev, name))
        if fault:
            return "%s event's %s" % (with_article(kind), fault)
    if kind == "notice" and not ev.notice.text:
        return "a notice event with no text: the gateway shows the user nothing"
    if kind == "notice" and ev.chat_id:
        return ("a notice event with chat_id %r: a notice belongs to no chat (send a message in the chat instead)"
                % ev.chat_id)
    if len(ev.meta) > pb.LIMIT_META_BYTES:
        return ("%s event's meta is %d bytes, over the contract's %d (LIMIT_META_BYTES): keep less in it, "
                "or send the event without it" % (with_article(kind), len(ev.meta), pb.LIMIT_META_BYTES))
    return ""


def bad_id(name, v):
    """What the gateway's store refuses in an ID (a NUL byte, more than
    the contract's LIMIT_ID_BYTES), or ""."""
    if "\x00" in v:
        return "%s %r holds a NUL byte, which no ID may: escape it" % (name, v)
    n = len(v.encode("utf-8", "surrogatepass"))
    if n > pb.LIMIT_ID_BYTES:
        return ("%s is %d bytes, over the contract's %d (LIMIT_ID_BYTES): give a shorter one "
                "(a hash of the network's, mapped back in the data folder)" % (name, n, pb.LIMIT_ID_BYTES))
    return ""


def bad_batch(batch):
    """What the gateway refuses in a history batch whose events' login
    and chat were filled in from it, or "": as the Go SDK's
    sdk.CheckHistoryBatch."""
    if not batch.login_id or not batch.chat_id:
        return "a history batch needs its login_id and chat_id"
    if not batch.cursor and not batch.done:
        return "a history batch that is not done needs its cursor: where the next batch starts"
    for name in ("login_id", "chat_id", "cursor"):
        fault = bad_id(name, getattr(batch, name))
        if fault:
            return "a history batch's " + fault
    for i, ev in enumerate(batch.events):
        if ev.login_id != batch.login_id or ev.chat_id != batch.chat_id:
            return ("a history batch of chat %r (login %r) holds event %d of chat %r (login %r): a batch is one chat's"
                    % (batch.chat_id, batch.login_id, i, ev.chat_id, ev.login_id))
        fault = undeliverable(ev)
        if fault:
            return "a history batch's event %d (event_id %r): %s" % (i, ev.event_id, fault)
    return ""


def _txn_body(key, result):
    k = key.encode()
    return struct.pack(">H", len(k)) + k + result.SerializeToString()
