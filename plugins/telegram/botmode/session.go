package botmode

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-telegram/bot"

	"passerelle.im/passerelle/plugins/pollstore"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/customemoji"
)

// The optional interfaces a bot session implements (and Backfiller, in
// backfill.go, which says there is no history, and ProfileAvatarSetter,
// in profilephoto.go). A bot cannot mark a chat
// read, set a presence or look a person up.
var (
	_ sdk.Session          = (*Session)(nil)
	_ sdk.Editor           = (*Session)(nil)
	_ sdk.Reactor          = (*Session)(nil)
	_ sdk.Retractor        = (*Session)(nil)
	_ sdk.Typer            = (*Session)(nil)
	_ sdk.ContactLister    = (*Session)(nil)
	_ sdk.UserInfoer       = (*Session)(nil)
	_ sdk.ChatInfoer       = (*Session)(nil)
	_ sdk.ChatAvatarer     = (*Session)(nil)
	_ sdk.ChatLister       = (*Session)(nil)
	_ sdk.ChatLimiter      = (*Session)(nil)
	_ sdk.Leaver           = (*Session)(nil)
	_ sdk.TopicSetter      = (*Session)(nil)
	_ sdk.ChatNamer        = (*Session)(nil)
	_ sdk.ChatAvatarSetter = (*Session)(nil)
	_ sdk.Kicker           = (*Session)(nil)
	_ sdk.Unbanner         = (*Session)(nil)
	_ sdk.RoleSetter       = (*Session)(nil)
	_ sdk.MediaDownloader  = (*Session)(nil)
	_ sdk.MediaUploader    = (*Session)(nil)
	_ sdk.PollStarter      = (*Session)(nil)
	_ sdk.Pinner           = (*Session)(nil)
)

// Features is the most a bot may do, for the connector's Init (the
// features no interface stands for included); ChatLimits narrows them
// per chat.
func Features() *pb.Features {
	return &pb.Features{
		Replies: true, Attachments: true, Formatting: true, Groups: true, Avatars: true,
		// A bot sets one reaction per message.
		Reactions: true, SingleReaction: true,
		Edits: true, Retractions: true, Typing: true,
		MediaDownload: true, MediaUpload: true, Backfill: true,
		LeaveChat: true, GroupTopic: true, GroupName: true, GroupAvatar: true, GroupKick: true, GroupRoles: true,
		GroupUnban: true, ProfileAvatar: true, PollCreate: true, Pin: true, PollClose: true,
	}
}

// sendTimeout bounds one Bot API call, an upload of 50 MB included.
const sendTimeout = 10 * time.Minute

// Config is what a bot session is made of.
type Config struct {
	// Host is the connector's host (from Init).
	Host sdk.Host
	// LoginID, Dir and SavedState are the login's (sdk.LoginInfo).
	LoginID    string
	Dir        string
	SavedState []byte
	// ServerURL is the Bot API server; "" = DefaultServerURL.
	ServerURL string
	// HTTPClient makes the requests; nil = Go's default transport with
	// timeouts fit for long polling.
	HTTPClient *http.Client
	// PollTimeout is how long one getUpdates waits for updates; 0 = 50 s.
	PollTimeout time.Duration
	// MinBackoff and MaxBackoff pace the retries of a failing Bot API;
	// 0 = 1 s and 1 min.
	MinBackoff, MaxBackoff time.Duration
}

// Session is one bot login: the Telegram connector's session for a login
// of flow FlowID (see the package comment).
type Session struct {
	cfg   Config
	log   *slog.Logger
	token string
	bot   *bot.Bot     // nil when the login has no saved state (Logout only)
	http  *http.Client // getUpdates
	api   *http.Client // the other methods, the library's and setMyProfilePhoto
	files *http.Client // file downloads: as long as the gateway reads
	chats *chats

	mu      sync.Mutex
	me      Identity
	cancel  context.CancelFunc // of the running poll loop; nil = stopped
	done    chan struct{}      // closed when the poll loop ends
	pos     position           // where the update loop stands
	uploads map[string]upload  // UploadMedia's files, by upload ID

	topicOfMsg *msgTopics // forum messages' topics, for their reactions
	polls      msgPolls   // polls' messages, for their updates (msgpolls.go)
	states     chatStates // getChat's timers and pins, a while (chatstate.go)
	typing     typingQuiet
	emojiAlts  customemoji.Cache // custom emoji reactions' alts (customemoji.go)
}

// NewSession makes the session of a bot login. It does not dial out:
// Connect does. A login without saved state (a Logout of a login not
// connected) makes a session good only for Logout.
func NewSession(cfg Config) (*Session, error) {
	if cfg.Host == nil {
		return nil, fmt.Errorf("botmode: NewSession needs the host")
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = 50 * time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(time.Minute, cfg.MinBackoff)
	}
	s := &Session{cfg: cfg, log: cfg.Host.Logger().With("login", cfg.LoginID), uploads: map[string]upload{}}
	o := LoginOptions{ServerURL: cfg.ServerURL, HTTPClient: cfg.HTTPClient}
	// getUpdates holds a request for PollTimeout: the client waits longer.
	s.http = o.client(cfg.PollTimeout + 30*time.Second)
	s.api = o.client(sendTimeout)
	// A download goes at the pace of the upload to the user's server:
	// its context bounds it, not a clock.
	s.files = o.client(0)
	var err error
	// Both files can be rebuilt: a damaged one is set aside, said in the
	// log, and the login goes on (the chats reappear as they speak; from
	// offset 0 Telegram hands every update not confirmed yet, and what
	// comes twice has the same event IDs, which the gateway drops).
	if s.chats, err = loadChats(cfg.Dir); err != nil {
		s.log.Error("telegram bot: the chat list is damaged; starting a new one", "err", setAside(cfg.Dir, chatsFile, err))
		s.chats = &chats{byID: map[int64]*chat{}, path: filepath.Join(cfg.Dir, chatsFile)}
	}
	s.topicOfMsg = loadMsgTopics(cfg.Dir, s.log)
	s.polls.load(cfg.Dir, s.log)
	if s.pos, err = loadPosition(cfg.Dir); err != nil {
		s.log.Error("telegram bot: the update offset is damaged; asking Telegram for every update not confirmed", "err", setAside(cfg.Dir, offsetFile, err))
		s.pos = position{}
	}
	if len(cfg.SavedState) == 0 {
		return s, nil
	}
	var st savedState
	if err := json.Unmarshal(cfg.SavedState, &st); err != nil || st.Token == "" {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram bot: the saved login cannot be read (%v): log in again with the token", err)
	}
	s.token, s.me = st.Token, st.Bot
	// The gateway's copy of the offset, for a login folder that lost it.
	if st.Offset > s.pos.Asked {
		s.pos = position{Asked: st.Offset, Emitted: max(st.Offset, s.pos.Emitted)}
	}
	if s.bot, err = bot.New(st.Token, bot.WithServerURL(o.serverURL()), bot.WithSkipGetMe(),
		bot.WithHTTPClient(cfg.PollTimeout, s.api), bot.WithErrorsHandler(func(error) {})); err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram bot: %v", err)
	}
	return s, nil
}

// Connect starts polling for updates and returns; progress comes as login
// state events (CONNECTED once getMe answered). On a running session it
// does nothing.
func (s *Session) Connect(context.Context) error {
	if s.bot == nil {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "telegram bot: this login has no token: log in again")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return nil
	}
	// The loop outlives Connect's context: it runs until Disconnect.
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	s.state(pb.LoginState_LOGIN_STATE_CONNECTING, "connecting to the Telegram Bot API")
	go s.run(ctx, s.done)
	return nil
}

// Disconnect stops polling; updates wait at Telegram for the next
// Connect (for 24 hours).
func (s *Session) Disconnect(context.Context) error {
	s.stop()
	return nil
}

func (s *Session) stop() {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.cancel, s.done = nil, nil
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// Logout stops polling and forgets the login's state. The token stays
// valid: only @BotFather revokes it. (The Bot API's logOut would move the
// bot off Telegram's server for 10 minutes, which is not what a user
// leaving the gateway means.)
func (s *Session) Logout(context.Context) error {
	s.stop()
	if s.cfg.Dir != "" {
		for _, name := range []string{offsetFile, chatsFile, msgTopicsFile, uploadsDir, pollstore.DirName} {
			if err := os.RemoveAll(filepath.Join(s.cfg.Dir, name)); err != nil {
				return fmt.Errorf("botmode: logout: %w", err)
			}
		}
	}
	return nil
}

// ChatLimits narrows the features to what the bot may do in a chat: a
// channel is read-only without the right to post, and a closed topic
// without the right to manage topics; renaming and the topic
// need the right to change the chat's info; private chats have no group
// actions.
func (s *Session) ChatLimits(_ context.Context, chatID string) (sdk.ChatLimits, error) {
	id, thread, err := splitTopic(chatID)
	if err != nil {
		return sdk.ChatLimits{}, err
	}
	f := Features()
	if thread != 0 {
		narrowTopic(f)
	}
	c, ok := s.chats.head(id)
	if !ok {
		// Not seen yet: a person who never wrote, most likely. Telegram
		// says what it refuses.
		return sdk.ChatLimits{Features: f}, nil
	}
	narrowByRights(f, &c)
	return sdk.ChatLimits{Features: f, ReadOnly: c.readOnly() || c.closedTo(thread)}, nil // topics.go; thread 0: General
}

// narrowByRights leaves in f what the bot may do in chat c: no group
// actions in a private chat, renaming, the topic and the picture with
// the right to change the info, kicking and lifting bans with the right
// to restrict members (never in a channel, where members are not seen), roles with
// the right to add admins or to restrict members, in supergroups only
// (the Bot API's limit), pins with the right to pin (in a channel, to
// edit); a private chat takes pins.
func narrowByRights(f *pb.Features, c *chat) {
	if c.chatType() == pb.ChatType_CHAT_TYPE_DIRECT {
		f.LeaveChat, f.GroupTopic, f.GroupName, f.GroupAvatar, f.GroupKick, f.GroupRoles = false, false, false, false, false, false
		f.GroupUnban = false
		return
	}
	if c.Rights == nil || !c.Rights.CanChangeInfo {
		f.GroupTopic, f.GroupName, f.GroupAvatar = false, false, false
	}
	if c.Rights == nil || !c.Rights.CanRestrictMembers || c.chatType() == pb.ChatType_CHAT_TYPE_CHANNEL {
		f.GroupKick, f.GroupUnban = false, false
	}
	if !c.supergroup() || c.Rights == nil || !c.Rights.CanPromoteMembers && !c.Rights.CanRestrictMembers {
		f.GroupRoles = false
	}
	// A channel's pins are its editors'.
	if c.Rights == nil || !c.Rights.CanPinMessages && !(c.chatType() == pb.ChatType_CHAT_TYPE_CHANNEL && c.Rights.CanEditMessages) {
		f.Pin = false
	}
}

// setAside renames a damaged file of the login's folder out of the way
// (kept for a look) and returns why it was damaged.
func setAside(dir, name string, why error) error {
	path := filepath.Join(dir, name)
	if err := os.Rename(path, path+".damaged"); err != nil {
		return fmt.Errorf("%w (and it could not be set aside: %v)", why, err)
	}
	return fmt.Errorf("%w (set aside as %s.damaged)", why, name)
}

// state emits a login state event.
func (s *Session) state(st pb.LoginState, msg string) {
	ev := &pb.LoginStateEvent{State: st, Message: msg}
	if st == pb.LoginState_LOGIN_STATE_CONNECTED {
		ev.Features = loginFeatures()
	}
	s.cfg.Host.Emit(&pb.Event{LoginId: s.cfg.LoginID, Payload: &pb.Event_LoginState{LoginState: ev}})
}

// loginFeatures is what a bot login can do, for the gateway to offer its
// user no more (no timers, votes, group search or creation, which the
// user accounts of the same transport have): Features, but history,
// which a bot cannot read, so that none is asked for.
func loginFeatures() *pb.Features {
	f := Features()
	f.Backfill = false
	return f
}

// identity is the bot's identity as last known.
func (s *Session) identity() Identity {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.me
}

// statusText is the CONNECTED state's message: who the login is and what
// a bot cannot do.
func statusText(me Identity) string {
	who := me.Name
	if me.Username != "" {
		who = "@" + me.Username
	}
	text := "Connected as the bot " + who + ". A bot cannot read a chat's history (only what arrives from now on), " +
		"cannot write first to a person (they must open the bot and press Start), and cannot list its chats: " +
		"they appear as messages arrive."
	if me.ReadsAllGroupMessages {
		text += " Privacy mode is off: it sees every message of its groups."
	} else {
		text += " Privacy mode is on: in groups it sees only commands, replies to its messages and mentions of it, " +
			"unless it is an admin (@BotFather, /setprivacy, turns it off)."
	}
	return text
}
