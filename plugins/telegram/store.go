package telegram

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gotd/td/telegram/updates"
	bolt "go.etcd.io/bbolt"
)

// dbFile is the login's own database in its folder: the update state
// (pts, qts, seq, date and each channel's pts) that gap recovery resumes
// from, and the access hashes every request about a user or channel needs.
const dbFile = "telegram.db"

var (
	bucketState    = []byte("state")    // "self" -> JSON updates.State
	bucketChannels = []byte("channels") // channel ID -> pts
	bucketHashes   = []byte("hashes")   // "u<id>" / "c<id>" -> access hash
	// Outside channels, a message ID is the account's, not the chat's,
	// and a deletion names only the ID: the chat is kept here.
	bucketMsgChat = []byte("msgchat") // message ID -> chat ID
	// A forum's deletions and reactions name only the message: its
	// topic (other than General) is kept here.
	bucketTopicMsg = []byte("topicmsg") // channel ID, message ID -> topic ID
	// The sends under a txn, noted before Telegram is asked (sending.go).
	bucketSending = []byte("sending") // random_id -> JSON sendNote
	// The messages unpinned, until pinned again, with the pts of the
	// update that said so (pin.go): a second unpin changes nothing.
	bucketUnpinned = []byte("unpinned") // chat/message -> pts
	// The newest message the session had of each channel, kept at a
	// disconnection: a gap too long for Telegram's difference is read
	// from the history after it (gap.go).
	bucketChanTop = []byte("chantop") // channel ID -> message ID
	// The notice of each chat's last history clear (bulkdelete.go): its
	// later pages correct it, after a restart too.
	bucketBulk = []byte("bulkdel") // chat ID -> JSON bulkNotice
	// The groups the user deleted from here (delete.go).
	bucketDeleted = []byte("deleted") // chat ID -> 1
)

// store is a login's database. It implements gotd's updates.StateStorage,
// ChannelAccessHasher and UserAccessHasher for the one user of the login.
type store struct {
	db *bolt.DB
	// frozen: an update's events were not kept (handle): the update
	// state stays where it was until the next Connect, whose catch-up
	// brings them again, as gotd saves it whatever the handler said.
	frozen atomic.Bool
	// savedMu guards saved, closed and replaced at each pts written
	// (handover.go waits on it).
	savedMu sync.Mutex
	saved   chan struct{}
}

// errFrozen refuses a new update state after events were lost.
var errFrozen = errors.New("telegram: update state kept back: an update's events were not kept")

// freeze keeps the update state where it is for the store's life.
func (s *store) freeze() { s.frozen.Store(true) }

var (
	_ updates.StateStorage        = (*store)(nil)
	_ updates.ChannelAccessHasher = (*store)(nil)
	_ updates.UserAccessHasher    = (*store)(nil)
)

func openStore(dir string) (*store, error) {
	db, err := bolt.Open(filepath.Join(dir, dbFile), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("telegram: open %s: %w", dbFile, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketState, bucketChannels, bucketHashes, bucketMsgChat, bucketTopicMsg, bucketSending, bucketUnpinned, bucketChanTop, bucketBulk, bucketDeleted} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("telegram: open %s: %w", dbFile, err)
	}
	return &store{db: db}, nil
}

func (s *store) close() error { return s.db.Close() }

var keySelf = []byte("self")

// errNoState is what the Set* methods return before a state exists, as
// gotd's StateStorage contract asks.
var errNoState = errors.New("telegram: no update state yet")

func (s *store) GetState(_ context.Context, _ int64) (st updates.State, found bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketState).Get(keySelf)
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &st)
	})
	return st, found, err
}

func (s *store) SetState(_ context.Context, _ int64, st updates.State) error {
	if s.frozen.Load() {
		return errFrozen
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	defer s.ptsSaved()
	return s.db.Update(func(tx *bolt.Tx) error {
		if s.frozen.Load() { // in the transaction: none after dateBack's
			return errFrozen
		}
		return tx.Bucket(bucketState).Put(keySelf, b)
	})
}

// dateBack moves the stored state's date back to date, if later, frozen
// or not: a catch-up's reactions (no pts) not kept come again from
// there (gapreactions.go).
func (s *store) dateBack(date int) error {
	err := s.rewrite(func(st *updates.State) { st.Date = min(st.Date, date) })
	if errors.Is(err, errNoState) {
		return nil
	}
	return err
}

// ptsChanged is closed at the next pts written, common or a channel's.
func (s *store) ptsChanged() <-chan struct{} {
	s.savedMu.Lock()
	defer s.savedMu.Unlock()
	if s.saved == nil {
		s.saved = make(chan struct{})
	}
	return s.saved
}

func (s *store) ptsSaved() {
	s.savedMu.Lock()
	defer s.savedMu.Unlock()
	if s.saved != nil {
		close(s.saved)
		s.saved = nil
	}
}

// reached reports whether each sequence's saved pts is at least want's:
// by channel ID, 0 for the common sequence.
func (s *store) reached(want map[int64]int) bool {
	ok := true
	_ = s.db.View(func(tx *bolt.Tx) error {
		for id, pts := range want {
			got := 0
			if id == 0 {
				var st updates.State
				if v := tx.Bucket(bucketState).Get(keySelf); v != nil && json.Unmarshal(v, &st) == nil {
					got = st.Pts
				}
			} else if v := tx.Bucket(bucketChannels).Get(idKey(id)); len(v) == 8 {
				got = int(binary.BigEndian.Uint64(v))
			}
			if got < pts {
				ok = false
				return nil
			}
		}
		return nil
	})
	return ok
}

// change edits the stored state, which must exist.
func (s *store) change(f func(*updates.State)) error {
	if s.frozen.Load() {
		return errFrozen
	}
	defer s.ptsSaved()
	return s.rewrite(func(st *updates.State) {
		if !s.frozen.Load() { // in the transaction: none after dateBack's
			f(st)
		}
	})
}

// rewrite edits the stored state, which must exist, frozen or not.
func (s *store) rewrite(f func(*updates.State)) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketState)
		v := b.Get(keySelf)
		if v == nil {
			return errNoState
		}
		var st updates.State
		if err := json.Unmarshal(v, &st); err != nil {
			return err
		}
		f(&st)
		out, err := json.Marshal(st)
		if err != nil {
			return err
		}
		return b.Put(keySelf, out)
	})
}

func (s *store) SetPts(_ context.Context, _ int64, pts int) error {
	return s.change(func(st *updates.State) { st.Pts = pts })
}

func (s *store) SetQts(_ context.Context, _ int64, qts int) error {
	return s.change(func(st *updates.State) { st.Qts = qts })
}

func (s *store) SetDate(_ context.Context, _ int64, date int) error {
	return s.change(func(st *updates.State) { st.Date = date })
}

func (s *store) SetSeq(_ context.Context, _ int64, seq int) error {
	return s.change(func(st *updates.State) { st.Seq = seq })
}

func (s *store) SetDateSeq(_ context.Context, _ int64, date, seq int) error {
	return s.change(func(st *updates.State) { st.Date, st.Seq = date, seq })
}

func idKey(id int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(id)) }

func (s *store) GetChannelPts(_ context.Context, _, channelID int64) (pts int, found bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketChannels).Get(idKey(channelID))
		if len(v) == 8 {
			pts, found = int(binary.BigEndian.Uint64(v)), true
		}
		return nil
	})
	return pts, found, err
}

func (s *store) SetChannelPts(_ context.Context, _, channelID int64, pts int) error {
	if s.frozen.Load() {
		return errFrozen
	}
	defer s.ptsSaved()
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketChannels).Put(idKey(channelID), binary.BigEndian.AppendUint64(nil, uint64(pts)))
	})
}

func (s *store) ForEachChannels(ctx context.Context, _ int64, f func(ctx context.Context, channelID int64, pts int) error) error {
	type chpts struct {
		id  int64
		pts int
	}
	var all []chpts
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketChannels).ForEach(func(k, v []byte) error {
			if len(k) == 8 && len(v) == 8 {
				all = append(all, chpts{int64(binary.BigEndian.Uint64(k)), int(binary.BigEndian.Uint64(v))})
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	// f may write (gotd sets hashes from it): outside the read transaction.
	for _, c := range all {
		if err := f(ctx, c.id, c.pts); err != nil {
			return err
		}
	}
	return nil
}

func hashKey(kind byte, id int64) []byte { return []byte(string(kind) + strconv.FormatInt(id, 10)) }

func (s *store) setHash(kind byte, id, hash int64) error {
	k := hashKey(kind, id)
	v := binary.BigEndian.AppendUint64(nil, uint64(hash))
	// Most calls repeat what is there: a read first spares an fsync.
	var same bool
	_ = s.db.View(func(tx *bolt.Tx) error {
		same = string(tx.Bucket(bucketHashes).Get(k)) == string(v)
		return nil
	})
	if same {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketHashes).Put(k, v) })
}

// hash is an access hash to keep.
type hash struct {
	kind byte
	id   int64
	hash int64
}

// setHashes keeps many access hashes in one transaction (one fsync), and
// none when all are known already.
func (s *store) setHashes(hs []hash) error {
	var fresh []hash
	_ = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHashes)
		for _, h := range hs {
			if string(b.Get(hashKey(h.kind, h.id))) != string(binary.BigEndian.AppendUint64(nil, uint64(h.hash))) {
				fresh = append(fresh, h)
			}
		}
		return nil
	})
	if len(fresh) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHashes)
		for _, h := range fresh {
			if err := b.Put(hashKey(h.kind, h.id), binary.BigEndian.AppendUint64(nil, uint64(h.hash))); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *store) getHash(kind byte, id int64) (hash int64, found bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketHashes).Get(hashKey(kind, id))
		if len(v) == 8 {
			hash, found = int64(binary.BigEndian.Uint64(v)), true
		}
		return nil
	})
	return hash, found, err
}

func (s *store) SetChannelAccessHash(_ context.Context, _, channelID, accessHash int64) error {
	return s.setHash('c', channelID, accessHash)
}

func (s *store) GetChannelAccessHash(_ context.Context, _, channelID int64) (int64, bool, error) {
	return s.getHash('c', channelID)
}

func (s *store) SetUserAccessHash(_ context.Context, _, userID, accessHash int64) error {
	return s.setHash('u', userID, accessHash)
}

func (s *store) GetUserAccessHash(_ context.Context, _, userID int64) (int64, bool, error) {
	return s.getHash('u', userID)
}

// errClosed is what the store's own methods answer on no store: the
// session was disconnected meanwhile (Disconnect sets it to nil), as a
// command or the history's goroutine may still run then.
var errClosed = errors.New("telegram: the login's database is closed (disconnected)")

// setChannelTops keeps the newest message IDs of channels; an ID older
// than the one kept does not replace it.
func (s *store) setChannelTops(tops map[int64]int) error {
	if len(tops) == 0 {
		return nil
	}
	if s == nil {
		return errClosed
	}
	if s.frozen.Load() {
		// Messages seen may not have been kept: the gap starts before.
		return errFrozen
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketChanTop)
		for id, top := range tops {
			if v := b.Get(idKey(id)); len(v) == 8 && int(binary.BigEndian.Uint64(v)) >= top {
				continue
			}
			if err := b.Put(idKey(id), binary.BigEndian.AppendUint64(nil, uint64(top))); err != nil {
				return err
			}
		}
		return nil
	})
}

// channelTops are the newest message IDs kept, by channel ID.
func (s *store) channelTops() (map[int64]int, error) {
	out := map[int64]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketChanTop).ForEach(func(k, v []byte) error {
			if len(k) == 8 && len(v) == 8 {
				out[int64(binary.BigEndian.Uint64(k))] = int(binary.BigEndian.Uint64(v))
			}
			return nil
		})
	})
	return out, err
}

// setMessageChat remembers the chat of a message outside channels.
func (s *store) setMessageChat(id int, chat string) {
	if s == nil {
		return
	}
	_ = s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMsgChat).Put(idKey(int64(id)), []byte(chat))
	})
}

// messageChat is the chat of a message outside channels.
func (s *store) messageChat(id int) (chat string, ok bool) {
	if s == nil {
		return "", false
	}
	_ = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMsgChat).Get(idKey(int64(id)))
		chat, ok = string(v), v != nil
		return nil
	})
	return chat, ok
}

// setMessageChats is setMessageChat for many messages, in one write.
func (s *store) setMessageChats(ids []int, chat string) error {
	if len(ids) == 0 {
		return nil
	}
	if s == nil {
		return errClosed
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMsgChat)
		for _, id := range ids {
			if err := b.Put(idKey(int64(id)), []byte(chat)); err != nil {
				return err
			}
		}
		return nil
	})
}

// topicMsg is a forum's message and its topic.
type topicMsg struct{ msg, topic int }

func topicKey(channel int64, msg int) []byte {
	return binary.BigEndian.AppendUint32(idKey(channel), uint32(msg))
}

// setMessageTopics remembers the topics of a forum's messages, in one
// write; a failure costs only the routing of a later deletion.
func (s *store) setMessageTopics(channel int64, ms []topicMsg) {
	if len(ms) == 0 || s == nil {
		return
	}
	_ = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTopicMsg)
		for _, m := range ms {
			if err := b.Put(topicKey(channel, m.msg), binary.BigEndian.AppendUint32(nil, uint32(m.topic))); err != nil {
				return err
			}
		}
		return nil
	})
}

// messageTopic is the topic of a forum's message, when kept.
func (s *store) messageTopic(channel int64, msg int) (topic int, ok bool) {
	if s == nil {
		return 0, false
	}
	_ = s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketTopicMsg).Get(topicKey(channel, msg)); len(v) == 4 {
			topic, ok = int(binary.BigEndian.Uint32(v)), true
		}
		return nil
	})
	return topic, ok
}

// sendNote is a send under a txn, by its random_id: its chat, when it
// was asked and, once Telegram answered, the message's ID.
type sendNote struct {
	Chat string `json:"chat"`
	ID   int    `json:"id,omitempty"` // 0: no answer yet
	At   int64  `json:"at"`           // Unix seconds
}

// sendNoteKeep is how long an answered note is kept: past the time its
// message's update takes to come back and its pts to be saved.
const sendNoteKeep = 10 * time.Minute

// putSendNote writes the note of rid, on disk when it returns, and
// forgets the answered notes older than sendNoteKeep.
func (s *store) putSendNote(rid int64, n sendNote) error {
	v, err := json.Marshal(n)
	if err != nil {
		return err
	}
	old := time.Now().Add(-sendNoteKeep).Unix()
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSending)
		var stale [][]byte
		_ = b.ForEach(func(k, v []byte) error {
			var o sendNote
			if json.Unmarshal(v, &o) != nil || o.ID != 0 && o.At < old {
				stale = append(stale, k)
			}
			return nil
		})
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return b.Put(idKey(rid), v)
	})
}

// deleteSendNotes forgets the notes of rids.
func (s *store) deleteSendNotes(rids ...int64) error {
	if len(rids) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSending)
		for _, rid := range rids {
			if err := b.Delete(idKey(rid)); err != nil {
				return err
			}
		}
		return nil
	})
}

// forgetUnanswered forgets the notes of rids still without an answer
// and written by the Unix time before: a resend since (a new note)
// or its answer stays.
func (s *store) forgetUnanswered(rids []int64, before int64) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSending)
		for _, rid := range rids {
			var n sendNote
			v := b.Get(idKey(rid))
			if v == nil || json.Unmarshal(v, &n) != nil || n.ID != 0 || n.At > before {
				continue
			}
			if err := b.Delete(idKey(rid)); err != nil {
				return err
			}
		}
		return nil
	})
}

// sendNotes are the notes kept, by random_id.
func (s *store) sendNotes() (map[int64]sendNote, error) {
	out := map[int64]sendNote{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSending).ForEach(func(k, v []byte) error {
			var n sendNote
			if len(k) == 8 && json.Unmarshal(v, &n) == nil {
				out[int64(binary.BigEndian.Uint64(k))] = n
			}
			return nil
		})
	})
	return out, err
}

func unpinKey(chat string, id int) []byte { return []byte(chat + "/" + strconv.Itoa(id)) }

// unpinnedAt is the pts of the update that unpinned message id of chat,
// if it is not pinned again since.
func (s *store) unpinnedAt(chat string, id int) (pts int, ok bool) {
	if s == nil {
		return 0, false
	}
	_ = s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketUnpinned).Get(unpinKey(chat, id)); v != nil {
			pts, ok = int(binary.BigEndian.Uint64(v)), true
		}
		return nil
	})
	return pts, ok
}

// setUnpinned notes message id of chat unpinned by the update of pts;
// pinned again, it is forgotten (setPinned).
func (s *store) setUnpinned(chat string, id, pts int) error {
	if s == nil {
		return errClosed
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUnpinned).Put(unpinKey(chat, id), idKey(int64(pts)))
	})
}

// setPinned forgets the unpins of messages ids of chat, pinned again.
func (s *store) setPinned(chat string, ids []int) error {
	if s == nil {
		return errClosed
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUnpinned)
		for _, id := range ids {
			if err := b.Delete(unpinKey(chat, id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// bulkNoticeKeep is how long a clear's notice is kept. Nothing reads it
// past its merge window (bulkDeleteMerge: a later deletion is a new
// clear or a retraction); the notices older than this go with the next
// one kept, so the bucket holds at most a day's clears.
const bulkNoticeKeep = 24 * time.Hour

// putBulkNotice keeps the notice of chat's clear, and forgets those
// older than bulkNoticeKeep.
func (s *store) putBulkNotice(chat string, n bulkNotice) error {
	if s == nil {
		return errClosed
	}
	v, err := json.Marshal(n)
	if err != nil {
		return err
	}
	old := time.Now().Add(-bulkNoticeKeep).UnixMicro()
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketBulk)
		var stale [][]byte
		_ = b.ForEach(func(k, v []byte) error {
			var o bulkNotice
			if json.Unmarshal(v, &o) != nil || o.At < old {
				stale = append(stale, k)
			}
			return nil
		})
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return b.Put([]byte(chat), v)
	})
}

// bulkNotices are the clears' notices kept, by chat.
func (s *store) bulkNotices() (map[string]bulkNotice, error) {
	out := map[string]bulkNotice{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBulk).ForEach(func(k, v []byte) error {
			var n bulkNotice
			if json.Unmarshal(v, &n) == nil {
				out[string(k)] = n
			}
			return nil
		})
	})
	return out, err
}

// newestMessage is the newest message ID outside channels whose chat is
// kept (bucketMsgChat); 0 for none.
func (s *store) newestMessage() (id int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bucketMsgChat).Cursor().Last(); len(k) == 8 {
			id = int(binary.BigEndian.Uint64(k))
		}
		return nil
	})
	return id, err
}

// setDeleted keeps chat as deleted by the user from here, or forgets it.
func (s *store) setDeleted(chat string, deleted bool) error {
	if s == nil {
		return errClosed
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if deleted {
			return tx.Bucket(bucketDeleted).Put([]byte(chat), []byte{1})
		}
		return tx.Bucket(bucketDeleted).Delete([]byte(chat))
	})
}

// deletedChats are the chats kept as deleted by the user from here.
func (s *store) deletedChats() ([]string, error) {
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDeleted).ForEach(func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	return out, err
}
