package filenet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var (
	_ sdk.ContactLister = (*Session)(nil)
	_ sdk.ChatLister    = (*Session)(nil)
	_ sdk.ChatInfoer    = (*Session)(nil)
)

// Session is one login's connection: a goroutine that reads the
// account's chat files for new lines from others.
type Session struct {
	n   *Network
	id  string
	dir string // the login's folder: offsets.json, how far each chat was read

	mu   sync.Mutex
	stop context.CancelFunc
	done chan struct{}
}

// Connect starts reading the account's chats, once.
func (s *Session) Connect(context.Context) error {
	s.mu.Lock()
	if s.stop == nil {
		ctx, stop := context.WithCancel(context.Background())
		s.stop, s.done = stop, make(chan struct{})
		go s.poll(ctx, s.done)
	}
	s.mu.Unlock()
	s.n.mu.Lock()
	s.n.sessions[s] = true
	s.n.mu.Unlock()
	s.n.host.Emit(sdk.LoginState(s.id, pb.LoginState_LOGIN_STATE_CONNECTED, ""))
	return nil
}

// Disconnect stops reading.
func (s *Session) Disconnect(context.Context) error {
	s.mu.Lock()
	stop, done := s.stop, s.done
	s.stop = nil
	s.mu.Unlock()
	s.n.mu.Lock()
	delete(s.n.sessions, s)
	s.n.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	return nil
}

// Logout is Disconnect: the network keeps no session.
func (s *Session) Logout(ctx context.Context) error { return s.Disconnect(ctx) }

// SendMessage appends the message to the chat's file: once written, the
// network has it, and only then is the send answered.
func (s *Session) SendMessage(_ context.Context, c sdk.Call, m *pb.SendMessage) (sdk.Result, error) {
	a, err := ReadAccount(s.n.dir, s.id)
	if err != nil {
		return sdk.Result{}, err
	}
	if _, ok := a.Contacts[c.ChatID]; !ok {
		if _, ok := a.Groups[c.ChatID]; !ok {
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "FileNet has no chat %q", c.ChatID)
		}
	}
	l := Line{ID: fmt.Sprintf("%s-%d", s.n.prefix, s.n.seq.Add(1)), From: s.id, Text: m.Text, Time: time.Now().UnixMicro()}
	if err := AppendLine(ChatFile(s.n.dir, s.id, c.ChatID), l); err != nil {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "FileNet: %w", err)
	}
	return sdk.Result{MessageID: l.ID, Time: time.UnixMicro(l.Time)}, nil
}

// AppendLine appends l to a chat's file in one write.
func AppendLine(path string, l Line) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ContactList lists account.json's contacts.
func (s *Session) ContactList(context.Context) ([]*pb.Contact, error) {
	a, err := ReadAccount(s.n.dir, s.id)
	if err != nil {
		return nil, err
	}
	var cs []*pb.Contact
	for id, name := range a.Contacts {
		cs = append(cs, &pb.Contact{UserId: id, Name: name})
	}
	return cs, nil
}

// ChatList lists account.json's groups.
func (s *Session) ChatList(ctx context.Context) ([]*pb.Chat, error) {
	a, err := ReadAccount(s.n.dir, s.id)
	if err != nil {
		return nil, err
	}
	var cs []*pb.Chat
	for id := range a.Groups {
		c, err := s.ChatInfo(ctx, id)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// ChatInfo describes a group with its members, the user's own included.
func (s *Session) ChatInfo(_ context.Context, chatID string) (*pb.Chat, error) {
	a, err := ReadAccount(s.n.dir, s.id)
	if err != nil {
		return nil, err
	}
	g, ok := a.Groups[chatID]
	if !ok {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "no group %q", chatID)
	}
	members := []*pb.Member{{UserId: s.id, Nick: "me", IsSelf: true,
		Role: pb.Role_ROLE_PARTICIPANT, Affiliation: pb.Affiliation_AFFILIATION_MEMBER}}
	for _, id := range g.Members {
		members = append(members, &pb.Member{UserId: id, Nick: id,
			Role: pb.Role_ROLE_PARTICIPANT, Affiliation: pb.Affiliation_AFFILIATION_MEMBER})
	}
	return &pb.Chat{ChatId: chatID, Type: pb.ChatType_CHAT_TYPE_GROUP, Name: g.Name, Members: members}, nil
}

// poll reads the chats' files for new lines until ctx ends. A line is
// marked read (offsets.json) only once its event is on disk: a crash
// between the two emits it again, under the same event_id, which the
// gateway drops.
func (s *Session) poll(ctx context.Context, done chan struct{}) {
	defer close(done)
	log := s.n.host.Logger()
	offsetsFile := filepath.Join(s.dir, "offsets.json")
	offsets, _ := sdk.LoadStateFile[map[string]int64](offsetsFile, "messages read before are delivered again", log)
	if offsets == nil {
		offsets = map[string]int64{}
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		a, err := ReadAccount(s.n.dir, s.id)
		if err == nil {
			for chatID := range a.Contacts {
				s.readChat(ctx, chatID, pb.ChatType_CHAT_TYPE_DIRECT, offsets, offsetsFile)
			}
			for chatID := range a.Groups {
				s.readChat(ctx, chatID, pb.ChatType_CHAT_TYPE_GROUP, offsets, offsetsFile)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Session) readChat(ctx context.Context, chatID string, typ pb.ChatType, offsets map[string]int64, offsetsFile string) {
	f, err := os.Open(ChatFile(s.n.dir, s.id, chatID))
	if err != nil {
		return
	}
	defer f.Close()
	if _, err := f.Seek(offsets[chatID], io.SeekStart); err != nil {
		return
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return
	}
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return
		}
		line := b[:i]
		b = b[i+1:]
		var l Line
		if err := json.Unmarshal(line, &l); err != nil {
			// Written by hand, maybe: said, and passed over, as a line
			// left where it is would hold up every line after it.
			s.n.host.Logger().Warn("filenet: a line of the chat's file is not a message, skipped", "file", f.Name(), "offset", offsets[chatID], "err", err)
		} else if l.From != s.id && strings.TrimSpace(l.Text) != "" {
			if l.Time == 0 {
				l.Time = time.Now().UnixMicro()
			}
			ev := &pb.Event{LoginId: s.id, ChatId: chatID, ChatType: typ,
				EventId: l.ID, TimestampUnixMicro: l.Time, Sender: &pb.Sender{UserId: l.From},
				Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: l.Text}}}
			if err := sdk.CheckEvent(ev); err != nil {
				// The SDK would refuse it at each read, for ever.
				s.n.host.Logger().Warn("filenet: a message of the chat's file cannot be delivered, skipped", "file", f.Name(), "offset", offsets[chatID], "err", err)
			} else if err := s.n.host.EmitDurable(ctx, ev); err != nil {
				// Stopping, or the journal cannot be written: the
				// line is read again at the next poll or start.
				if ctx.Err() == nil {
					s.n.host.Logger().Error("filenet: a message not taken, read again later", "file", f.Name(), "err", err)
				}
				return
			}
		}
		offsets[chatID] += int64(i + 1)
		if err := sdk.SaveStateFile(offsetsFile, offsets); err != nil {
			s.n.host.Logger().Error("filenet: saving offsets", "err", err)
			return
		}
	}
}
