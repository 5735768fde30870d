"""The History stream: what sdk.Host.SendHistory does for a Go plugin.

Backfill returns at once; the plugin then sends the chat's past as
HistoryBatch messages on the History stream, apart from live events. The
rules (transport.proto):

- a batch's seq increases within the process (the host drops a batch
  whose seq it has already acknowledged); like the Go SDK, this plugin
  keeps it increasing across restarts too;
- at most WINDOW batches wait for the host's acknowledgement; sending
  blocks past that, so a backfill goes at the host's pace;
- batches are not journalled: after a crash the host asks again from the
  cursor it stored with the last batch it has. A new stream in the same
  process replays the batches not acknowledged.

Seqs survive restarts by a reservation kept in the data folder: a block
of BLOCK seqs is written down before any of it is used.
"""

import os
import threading

import transport_pb2 as pb
from goplugin import MAX_MESSAGE_BYTES
from journal import bad_batch

WINDOW = 8
BLOCK = 4096
SEQ_NAME = "history.seq"


class HistoryQueue:
    def __init__(self, folder):
        self.path = os.path.join(folder, SEQ_NAME)
        self.cond = threading.Condition()
        self.unacked = []  # HistoryBatch, in seq order
        self.acked = 0
        self.gen = 0
        self.closed = False
        try:
            with open(self.path) as f:
                self.next_seq = int(f.read().strip() or "1")
        except (FileNotFoundError, ValueError):
            self.next_seq = 1
        self.reserved = self.next_seq
        self._reserve()

    def _reserve(self):
        self.reserved = self.next_seq + BLOCK
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(self.reserved))
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, self.path)

    def send(self, batch):
        """Numbers batch and queues it; waits while WINDOW batches are
        unacknowledged. Returns False once the plugin is stopping.
        Marks its events is_backfill and fills in their login and chat
        from the batch's. Raises ValueError for a batch the gateway
        would refuse (journal.bad_batch: no login, chat or cursor, a NUL
        or an ID past the contract's bounds, an event emit refuses) and
        one too large for a gRPC message: queued, it would
        break the History stream at every try."""
        # As the Go SDK does: the batch's login and chat stand for the
        # events', and every one is history, whatever its author forgot
        # (unmarked, the gateway shows it as new).
        for ev in batch.events:
            ev.login_id = ev.login_id or batch.login_id
            ev.chat_id = ev.chat_id or batch.chat_id
            if ev.chat_type == pb.CHAT_TYPE_DIRECT:
                ev.chat_type = batch.chat_type
            ev.is_backfill = True
        # The gateway would refuse it, whole or an event of it, and
        # acknowledge it: the plugin would never hear.
        fault = bad_batch(batch)
        if fault:
            raise ValueError(fault)
        # With its seq to come (a varint of at most 10 bytes and its tag).
        size = batch.ByteSize() + 11
        if size > MAX_MESSAGE_BYTES:
            raise ValueError("a history batch of %d bytes, over the %d of a message: send fewer events a batch"
                             % (size, MAX_MESSAGE_BYTES))
        with self.cond:
            while len(self.unacked) >= WINDOW and not self.closed:
                self.cond.wait()
            if self.closed:
                return False
            if self.next_seq >= self.reserved:
                self._reserve()
            batch.seq = self.next_seq
            self.next_seq += 1
            self.unacked.append(batch)
            self.cond.notify_all()
            return True

    def ack(self, up_to):
        with self.cond:
            if up_to <= self.acked:
                return
            self.acked = up_to
            self.unacked = [b for b in self.unacked if b.seq > up_to]
            self.cond.notify_all()

    def stream(self, context):
        """Yields the batches not acknowledged, then new ones, until the
        stream ends or a newer one starts."""
        with self.cond:
            self.gen += 1
            gen = self.gen
            self.cond.notify_all()
            cursor = 0
        context.add_callback(self._wake)
        while True:
            with self.cond:
                while (
                    gen == self.gen
                    and not self.closed
                    and context.is_active()
                    and not (self.unacked and self.unacked[-1].seq > cursor)
                ):
                    self.cond.wait(1)
                if gen != self.gen or self.closed or not context.is_active():
                    return
                batch = [b for b in self.unacked if b.seq > cursor]
            for b in batch:
                yield b
                cursor = b.seq

    def _wake(self):
        with self.cond:
            self.cond.notify_all()

    def close(self):
        with self.cond:
            self.closed = True
            self.cond.notify_all()
