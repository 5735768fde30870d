package wafake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
)

// The remote fake: for tests through the gateway, where the plugin runs
// as the gateway's child process. The test holds the Server (WhatsApp's
// side: what it sends, what it received, groups and files) on a unix
// socket; the plugin process runs an Agent that applies the server's
// commands to its fakes (Made) and reports what they send. The server
// outlives plugin restarts, so a restart loses nothing of the network.

// Command is one thing the server asks of the plugin's fakes.
type Command struct {
	ID int `json:"id"`
	// Op: "scan", "receive", "channel-post", "channel-edit", "channel-followed", "channel-unfollowed", "contact", "history", "history-notice", "call", "unreachable", "identity",
	// "group-settings", "notify-group", "removed", "added" (applied once, to the newest fake that can), "group", "media", "user", "not-user", "phone", "link", "refuse", "history-hold", "invitation", "channel"
	// (state: applied to every fake).
	Op    string             `json:"op"`
	JID   string             `json:"jid,omitempty"`
	Name  string             `json:"name,omitempty"`
	Info  *types.MessageInfo `json:"info,omitempty"`
	Msg   []byte             `json:"msg,omitempty"` // a marshalled waE2E.Message
	Group *types.GroupInfo   `json:"group,omitempty"`
	Path  string             `json:"path,omitempty"`
	Data  []byte             `json:"data,omitempty"`
	Code  string             `json:"code,omitempty"` // an invitation link's; a refusal's error code
	Call  *Call              `json:"call,omitempty"`
	// Expiration is an invitation's, Unix seconds ("invitation"); the
	// time of a security code's change ("identity").
	Expiration int64 `json:"expiration,omitempty"`
	// Channel is the channel the user follows ("channel").
	Channel *Channel `json:"channel,omitempty"`
	// EditedAt is when a channel's post was edited, Unix ms
	// ("channel-edit").
	EditedAt int64 `json:"edited_at,omitempty"`
}

func (c Command) state() bool {
	return c.Op == "group" || c.Op == "media" || c.Op == "user" || c.Op == "not-user" || c.Op == "phone" || c.Op == "link" || c.Op == "refuse" ||
		c.Op == "history-hold" || c.Op == "invitation" || c.Op == "channel"
}

// Report is a message a fake sent, as the server keeps it.
type Report struct {
	To  string `json:"to"`
	ID  string `json:"id"`
	Msg []byte `json:"msg"`
}

// Server is WhatsApp for a test: start it with NewServer.
type Server struct {
	Socket string

	mu       sync.Mutex
	changed  chan struct{}
	cmds     []Command
	applied  map[int]bool
	sent     []Report
	reacted  []ChannelReaction
	viewed   []ChannelViewed
	media    map[string][]byte
	srv      *http.Server
	listener net.Listener
}

// NewServer listens on a unix socket in dir.
func NewServer(dir string) (*Server, error) {
	s := &Server{Socket: dir + "/wafake.sock", changed: make(chan struct{}), applied: map[int]bool{}, media: map[string][]byte{}}
	l, err := net.Listen("unix", s.Socket)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /commands", s.serveCommands)
	mux.HandleFunc("POST /ack", s.serveAck)
	mux.HandleFunc("POST /sent", s.serveSent)
	mux.HandleFunc("POST /upload", s.serveUpload)
	mux.HandleFunc("POST /channel-reaction", s.serveChannelReaction)
	mux.HandleFunc("POST /channel-viewed", s.serveChannelViewed)
	s.srv, s.listener = &http.Server{Handler: mux}, l
	go s.srv.Serve(l)
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) add(c Command) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ID = len(s.cmds) + 1
	s.cmds = append(s.cmds, c)
}

// Scan has the phone scan the login's QR code (or type its code).
func (s *Server) Scan(jid types.JID, pushName string) {
	s.add(Command{Op: "scan", JID: jid.String(), Name: pushName})
}

// Receive has WhatsApp deliver a message to the user.
func (s *Server) Receive(info types.MessageInfo, msg *waE2E.Message) error {
	b, err := proto.Marshal(msg)
	if err != nil {
		return err
	}
	s.add(Command{Op: "receive", Info: &info, Msg: b})
	return nil
}

// ChannelPost has WhatsApp deliver a post of a channel the user follows
// (Client.ChannelPost): info's Chat the channel, its ID, ServerID (1
// when 0), Timestamp.
func (s *Server) ChannelPost(info types.MessageInfo, msg *waE2E.Message) error {
	b, err := proto.Marshal(msg)
	if err != nil {
		return err
	}
	s.add(Command{Op: "channel-post", Info: &info, Msg: b})
	return nil
}

// ChannelEdit has WhatsApp deliver an admin's edit, made at editedAt,
// of the channel's post info names (Client.ChannelEdit): msg is its new
// content.
func (s *Server) ChannelEdit(info types.MessageInfo, editedAt time.Time, msg *waE2E.Message) error {
	b, err := proto.Marshal(msg)
	if err != nil {
		return err
	}
	s.add(Command{Op: "channel-edit", Info: &info, Msg: b, EditedAt: editedAt.UnixMilli()})
	return nil
}

// ChannelFollowed has the user follow (follow true) or leave the
// channel jid on another device, WhatsApp telling the plugin's device
// (Client.ChannelFollowed).
func (s *Server) ChannelFollowed(jid types.JID, follow bool) {
	op := "channel-unfollowed"
	if follow {
		op = "channel-followed"
	}
	s.add(Command{Op: op, JID: jid.String()})
}

// Channel has the user follow ch (Client.SetChannel).
func (s *Server) Channel(ch Channel) { s.add(Command{Op: "channel", Channel: &ch}) }

// WaitChannelReaction waits until match accepts a reaction the user
// sent to a channel's post, and returns it.
func (s *Server) WaitChannelReaction(d time.Duration, match func(ChannelReaction) bool) (ChannelReaction, error) {
	r, ok := waitReported(s, d, func() []ChannelReaction { return s.reacted }, match)
	if !ok {
		return r, fmt.Errorf("wafake: no such reaction to a channel's post within %s", d)
	}
	return r, nil
}

// WaitChannelViewed waits until match accepts a channel's posts the
// user marked viewed, and returns them.
func (s *Server) WaitChannelViewed(d time.Duration, match func(ChannelViewed) bool) (ChannelViewed, error) {
	v, ok := waitReported(s, d, func() []ChannelViewed { return s.viewed }, match)
	if !ok {
		return v, fmt.Errorf("wafake: no such posts of a channel marked viewed within %s", d)
	}
	return v, nil
}

// ChannelViews is the channels' posts the user marked viewed so far.
func (s *Server) ChannelViews() []ChannelViewed {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.viewed)
}

// ChannelReactions is the user's reactions to channels' posts so far.
func (s *Server) ChannelReactions() []ChannelReaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reacted)
}

// waitReported waits up to d until match accepts one of what the fakes
// reported (list, read under s.mu), and returns it.
func waitReported[T any](s *Server, d time.Duration, list func() []T, match func(T) bool) (T, bool) {
	deadline := time.After(d)
	from := 0
	for {
		s.mu.Lock()
		all := list()
		got := slices.Clone(all[from:])
		from = len(all)
		ch := s.changed
		s.mu.Unlock()
		for _, r := range got {
			if match(r) {
				return r, true
			}
		}
		select {
		case <-ch:
		case <-deadline:
			var zero T
			return zero, false
		}
	}
}

// IdentityChanged has WhatsApp tell that jid's security code changed at
// at (Client.IdentityChanged).
func (s *Server) IdentityChanged(jid types.JID, at time.Time) {
	s.add(Command{Op: "identity", JID: jid.String(), Expiration: at.Unix()})
}

// Unreachable puts WhatsApp out of the plugin's reach: its connection
// drops (Client.Unreachable).
func (s *Server) Unreachable() { s.add(Command{Op: "unreachable"}) }

// Call has WhatsApp send the user's devices a call stanza (an offer,
// its end...).
func (s *Server) Call(c Call) { s.add(Command{Op: "call", Call: &c}) }

// History has the phone push a history sync blob.
func (s *Server) History(h *waHistorySync.HistorySync) error {
	b, err := proto.Marshal(h)
	if err != nil {
		return err
	}
	s.add(Command{Op: "history", Msg: b})
	return nil
}

// HistoryNotice has the phone send a history sync's notice, whose blob
// the plugin downloads (Client.HistoryNotice).
func (s *Server) HistoryNotice(h *waHistorySync.HistorySync) error {
	b, err := proto.Marshal(h)
	if err != nil {
		return err
	}
	s.add(Command{Op: "history-notice", Msg: b})
	return nil
}

// HoldHistory holds the plugin's history sync downloads, in this
// process and the next ones, until called with false
// (Client.HoldHistory).
func (s *Server) HoldHistory(hold bool) {
	name := "release"
	if hold {
		name = "hold"
	}
	s.add(Command{Op: "history-hold", Name: name})
}

// PhoneHistory puts past messages of chat on the user's phone: what it
// answers history-on-demand requests with (Client.SetPhoneHistory).
func (s *Server) PhoneHistory(chat types.JID, msgs ...*waWeb.WebMessageInfo) error {
	conv := &waHistorySync.Conversation{ID: proto.String(chat.String())}
	for _, m := range msgs {
		conv.Messages = append(conv.Messages, &waHistorySync.HistorySyncMsg{Message: m})
	}
	b, err := proto.Marshal(conv)
	if err != nil {
		return err
	}
	s.add(Command{Op: "phone", JID: chat.String(), Msg: b})
	return nil
}

// Contact saves a contact on the user's phone (synced to the device).
func (s *Server) Contact(jid types.JID, name string) {
	s.add(Command{Op: "contact", JID: jid.String(), Name: name})
}

// Group puts a group on the server.
func (s *Server) Group(g *types.GroupInfo) { s.add(Command{Op: "group", Group: g}) }

// GroupSettings changes a group's settings on the server to g's (who
// may post, edit its info, add members) and tells the user's device, as
// WhatsApp's notification does, changed by by.
func (s *Server) GroupSettings(g *types.GroupInfo, by types.JID) {
	s.add(Command{Op: "group", Group: g})
	s.add(Command{Op: "group-settings", Group: g, JID: by.String()})
}

// NotifyGroup has WhatsApp send a w:gp2 notification of group from by
// holding kids, as Client.NotifyGroup (the elements go in WhatsApp's
// binary form, as the Data of the command).
func (s *Server) NotifyGroup(group, by types.JID, kids ...waBinary.Node) error {
	b, err := waBinary.Marshal(waBinary.Node{Tag: "kids", Content: kids})
	if err != nil {
		return fmt.Errorf("wafake: the notification of %s: %w", group, err)
	}
	s.add(Command{Op: "notify-group", JID: by.String(), Group: &types.GroupInfo{JID: group}, Data: b})
	return nil
}

// RemoveSelf has by remove the user from group (Client.RemoveSelf).
func (s *Server) RemoveSelf(group, by types.JID) {
	s.add(Command{Op: "removed", JID: by.String(), Group: &types.GroupInfo{JID: group}})
}

// AddSelf has the user added back to group (Client.AddSelf).
func (s *Server) AddSelf(group types.JID) {
	s.add(Command{Op: "added", Group: &types.GroupInfo{JID: group}})
}

// Link puts g behind an invitation code (Client.AddLink).
func (s *Server) Link(code string, g *types.GroupInfo) {
	s.add(Command{Op: "link", Code: code, Group: g})
}

// AddInvitation puts g on the server with a private invitation of the
// user by inviter (Client.AddInvitation).
func (s *Server) AddInvitation(g *types.GroupInfo, inviter types.JID, code string, expiration time.Time) {
	s.add(Command{Op: "invitation", JID: inviter.String(), Code: code, Group: g, Expiration: expiration.Unix()})
}

// Media puts a file on the media server.
func (s *Server) Media(path string, data []byte) {
	s.mu.Lock()
	s.media[path] = data
	s.mu.Unlock()
	s.add(Command{Op: "media", Path: path, Data: data})
}

// RefuseAdd has WhatsApp refuse to add jid to groups with code
// (Client.RefuseAdd).
func (s *Server) RefuseAdd(jid types.JID, code int) {
	s.add(Command{Op: "refuse", JID: jid.String(), Code: strconv.Itoa(code)})
}

// User makes a phone number known to be on WhatsApp.
func (s *Server) User(jid types.JID) { s.add(Command{Op: "user", JID: jid.String()}) }

// NotOnWhatsApp makes a phone number one with no WhatsApp account
// (Client.NotOnWhatsApp).
func (s *Server) NotOnWhatsApp(jid types.JID) { s.add(Command{Op: "not-user", JID: jid.String()}) }

// Uploaded is a file a fake uploaded.
func (s *Server) Uploaded(path string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.media[path]
}

// WaitSent waits until match accepts a message sent and returns it.
func (s *Server) WaitSent(d time.Duration, match func(to string, msg *waE2E.Message) bool) (*waE2E.Message, error) {
	_, m, err := s.WaitSentID(d, match)
	return m, err
}

// WaitSentID is WaitSent with the message's ID, which a reply to it
// (a vote in a poll) names.
func (s *Server) WaitSentID(d time.Duration, match func(to string, msg *waE2E.Message) bool) (types.MessageID, *waE2E.Message, error) {
	var m *waE2E.Message
	r, ok := waitReported(s, d, func() []Report { return s.sent }, func(r Report) bool {
		var got waE2E.Message
		if proto.Unmarshal(r.Msg, &got) != nil || !match(r.To, &got) {
			return false
		}
		m = &got
		return true
	})
	if !ok {
		return "", nil, fmt.Errorf("wafake: no such message sent within %s", d)
	}
	return types.MessageID(r.ID), m, nil
}

// SentTo is the messages sent to jid so far, oldest first.
func (s *Server) SentTo(jid types.JID) []*waE2E.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*waE2E.Message
	for _, r := range s.sent {
		var m waE2E.Message
		if r.To == jid.String() && proto.Unmarshal(r.Msg, &m) == nil {
			out = append(out, &m)
		}
	}
	return out
}

// Pending is how many once-commands no fake applied yet.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.cmds {
		if !c.state() && !s.applied[c.ID] {
			n++
		}
	}
	return n
}

func (s *Server) serveCommands(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	var out []Command
	for _, c := range s.cmds {
		if c.state() || !s.applied[c.ID] {
			out = append(out, c)
		}
	}
	s.mu.Unlock()
	json.NewEncoder(w).Encode(out)
}

func (s *Server) serveAck(w http.ResponseWriter, r *http.Request) {
	var id int
	if err := json.NewDecoder(r.Body).Decode(&id); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.applied[id] = true
	s.notifyLocked()
	s.mu.Unlock()
}

func (s *Server) serveSent(w http.ResponseWriter, r *http.Request) {
	var rep Report
	if err := json.NewDecoder(r.Body).Decode(&rep); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// As WhatsApp does, across plugin restarts too (each process has a
	// fake Client of its own, which drops only its own repeats): a
	// message whose ID the sender used before in the chat is not
	// delivered again (a resend after a kill; docs/plugins.md). An
	// admin's edit or deletion of a channel's post goes under the
	// post's own ID (whatsmeow's newsletter send).
	if rep.ID != "" && !channelChange(rep) && slices.ContainsFunc(s.sent, func(r Report) bool { return r.ID == rep.ID && r.To == rep.To }) {
		return
	}
	s.sent = append(s.sent, rep)
	s.notifyLocked()
}

func (s *Server) serveChannelReaction(w http.ResponseWriter, r *http.Request) {
	var cr ChannelReaction
	if err := json.NewDecoder(r.Body).Decode(&cr); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reacted = append(s.reacted, cr)
	s.notifyLocked()
}

func (s *Server) serveChannelViewed(w http.ResponseWriter, r *http.Request) {
	var v ChannelViewed
	if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.viewed = append(s.viewed, v)
	s.notifyLocked()
}

func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.media[r.URL.Query().Get("path")] = b
	s.mu.Unlock()
}

// Agent runs in the plugin process: it applies the server's commands to
// the fakes made and reports what they send.
type Agent struct {
	made   *Made
	client *http.Client

	mu    sync.Mutex
	state []Command
	done  map[int]bool
}

// StartAgent connects made to the server on the unix socket sock.
func StartAgent(made *Made, sock string) *Agent {
	a := &Agent{made: made, done: map[int]bool{}, client: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}}
	made.Setup = a.setup
	// The server's state (groups, users, media) before the plugin's
	// first login: a client made before the first poll would lack it.
	a.poll()
	go a.run()
	return a
}

func (a *Agent) post(path string, body []byte) {
	resp, err := a.client.Post("http://wafake"+path, "application/octet-stream", bytes.NewReader(body))
	if err == nil {
		resp.Body.Close()
	}
}

// setup hooks a new fake and gives it the server's state so far.
func (a *Agent) setup(c *Client) {
	c.OnSent = func(s Sent) {
		b, _ := proto.Marshal(s.Msg)
		j, _ := json.Marshal(Report{To: s.To.String(), ID: s.ID, Msg: b})
		a.post("/sent", j)
	}
	c.OnUpload = func(path string, data []byte) { a.post("/upload?path="+path, data) }
	c.OnChannelReaction = func(r ChannelReaction) {
		j, _ := json.Marshal(r)
		a.post("/channel-reaction", j)
	}
	c.OnChannelViewed = func(v ChannelViewed) {
		j, _ := json.Marshal(v)
		a.post("/channel-viewed", j)
	}
	a.mu.Lock()
	st := slices.Clone(a.state)
	a.mu.Unlock()
	for _, cmd := range st {
		applyState(c, cmd)
	}
}

func (a *Agent) run() {
	for {
		time.Sleep(100 * time.Millisecond)
		a.poll()
	}
}

// poll fetches the server's commands and applies them; a failed fetch is
// tried again on the next poll.
func (a *Agent) poll() {
	resp, err := a.client.Get("http://wafake/commands")
	if err != nil {
		return
	}
	var cmds []Command
	err = json.NewDecoder(resp.Body).Decode(&cmds)
	resp.Body.Close()
	if err != nil {
		return
	}
	for _, cmd := range cmds {
		a.apply(cmd)
	}
}

func (a *Agent) apply(cmd Command) {
	a.mu.Lock()
	if a.done[cmd.ID] {
		a.mu.Unlock()
		return
	}
	if cmd.state() {
		a.done[cmd.ID] = true
		a.state = append(a.state, cmd)
		a.mu.Unlock()
		for _, c := range a.made.All() {
			applyState(c, cmd)
		}
		return
	}
	a.mu.Unlock()
	c := a.target(cmd)
	if c == nil {
		return // tried again on the next poll
	}
	// Taken off the server before it is applied: at most once. Real
	// WhatsApp delivers at least once (again when the plugin died before
	// whatsmeow's receipt went out, and the gateway drops the repeat by
	// its event ID), but the conformance kit counts a repeat after a
	// SIGKILL as a fault, and the kill comes right after the event.
	a.mu.Lock()
	a.done[cmd.ID] = true
	a.mu.Unlock()
	j, _ := json.Marshal(cmd.ID)
	a.post("/ack", j)
	a.do(c, cmd)
}

// target is the fake a once-command applies to, or nil for not yet: the
// one being paired for a scan, the newest logged-in one a session
// listens to for the rest.
func (a *Agent) target(cmd Command) *Client {
	all := a.made.All()
	for i := len(all) - 1; i >= 0; i-- {
		c := all[i]
		switch cmd.Op {
		case "scan":
			if c.dev.ID == nil && c.IsConnected() {
				return c
			}
		default:
			if c.IsLoggedIn() && c.hooked() {
				return c
			}
		}
	}
	return nil
}

// do applies a once-command; a malformed one is dropped.
func (a *Agent) do(c *Client, cmd Command) {
	ctx := context.Background()
	switch cmd.Op {
	case "scan":
		if jid, err := types.ParseJID(cmd.JID); err == nil {
			_ = c.Scan(ctx, jid, cmd.Name)
		}
	case "receive":
		var m waE2E.Message
		if err := proto.Unmarshal(cmd.Msg, &m); err == nil && cmd.Info != nil {
			c.Receive(ctx, cmd.Info, &m)
		}
	case "channel-post", "channel-edit":
		var m waE2E.Message
		if err := proto.Unmarshal(cmd.Msg, &m); err == nil && cmd.Info != nil {
			serverID := max(int(cmd.Info.ServerID), 1)
			if cmd.Op == "channel-edit" {
				_ = c.ChannelEdit(ctx, cmd.Info.Chat, cmd.Info.ID, serverID, cmd.Info.Timestamp, time.UnixMilli(cmd.EditedAt), &m)
			} else {
				_ = c.ChannelPost(ctx, cmd.Info.Chat, cmd.Info.ID, serverID, cmd.Info.Timestamp, &m)
			}
		}
	case "channel-followed", "channel-unfollowed":
		if jid, err := types.ParseJID(cmd.JID); err == nil {
			_ = c.ChannelFollowed(ctx, jid, cmd.Op == "channel-followed")
		}
	case "call":
		if cmd.Call != nil {
			c.Call(ctx, *cmd.Call)
		}
	case "unreachable":
		c.Unreachable()
	case "identity":
		if jid, err := types.ParseJID(cmd.JID); err == nil {
			c.IdentityChanged(ctx, jid, time.Unix(cmd.Expiration, 0))
		}
	case "history":
		var h waHistorySync.HistorySync
		if err := proto.Unmarshal(cmd.Msg, &h); err == nil {
			c.Emit(&events.HistorySync{Data: &h})
		}
	case "history-notice":
		var h waHistorySync.HistorySync
		if err := proto.Unmarshal(cmd.Msg, &h); err == nil {
			_, _ = c.HistoryNotice(ctx, &h)
		}
	case "group-settings":
		if by, err := types.ParseJID(cmd.JID); err == nil && cmd.Group != nil {
			_ = c.NotifyGroupSettings(cmd.Group, by)
		}
	case "notify-group":
		by, _ := types.ParseJID(cmd.JID)
		if plain, err := waBinary.Unpack(cmd.Data); err == nil && cmd.Group != nil {
			if n, err := waBinary.Unmarshal(plain); err == nil {
				_ = c.NotifyGroup(cmd.Group.JID, by, n.GetChildren()...)
			}
		}
	case "removed":
		if by, err := types.ParseJID(cmd.JID); err == nil && cmd.Group != nil {
			_ = c.RemoveSelf(cmd.Group.JID, by)
		}
	case "added":
		if cmd.Group != nil {
			_ = c.AddSelf(cmd.Group.JID)
		}
	case "contact":
		if jid, err := types.ParseJID(cmd.JID); err == nil {
			if c.dev.Contacts.PutContactName(ctx, jid, cmd.Name, cmd.Name) == nil {
				c.Emit(&events.Contact{JID: jid, Timestamp: time.Now()})
			}
		}
	}
}

func applyState(c *Client, cmd Command) {
	switch cmd.Op {
	case "group":
		if cmd.Group != nil {
			g := *cmd.Group
			c.SetGroup(&g)
		}
	case "link":
		if cmd.Group != nil {
			c.AddLink(cmd.Code, cmd.Group)
		}
	case "invitation":
		if inviter, err := types.ParseJID(cmd.JID); err == nil && cmd.Group != nil {
			c.AddInvitation(cmd.Group, inviter, cmd.Code, time.Unix(cmd.Expiration, 0))
		}
	case "media":
		c.AddMedia(cmd.Path, cmd.Data)
	case "channel":
		if cmd.Channel != nil {
			c.SetChannel(*cmd.Channel)
		}
	case "history-hold":
		c.HoldHistory(cmd.Name == "hold")
	case "user":
		if jid, err := types.ParseJID(cmd.JID); err == nil {
			c.AddUser(jid)
		}
	case "not-user":
		if jid, err := types.ParseJID(cmd.JID); err == nil {
			c.NotOnWhatsApp(jid)
		}
	case "refuse":
		jid, err := types.ParseJID(cmd.JID)
		code, cerr := strconv.Atoi(cmd.Code)
		if err == nil && cerr == nil {
			c.RefuseAdd(jid, code)
		}
	case "phone":
		var conv waHistorySync.Conversation
		jid, err := types.ParseJID(cmd.JID)
		if err == nil && proto.Unmarshal(cmd.Msg, &conv) == nil {
			var msgs []*waWeb.WebMessageInfo
			for _, m := range conv.GetMessages() {
				msgs = append(msgs, m.GetMessage())
			}
			c.SetPhoneHistory(jid, msgs...)
		}
	}
}

// channelChange says whether rep is an admin's edit or deletion of a
// channel's post.
func channelChange(rep Report) bool {
	to, err := types.ParseJID(rep.To)
	if err != nil || to.Server != types.NewsletterServer {
		return false
	}
	var m waE2E.Message
	if proto.Unmarshal(rep.Msg, &m) != nil {
		return false
	}
	_, ok := channelChangeKey(&m)
	return ok
}
