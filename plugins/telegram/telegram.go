// Package telegram is passerelle's Telegram transport, user account mode
// (true puppeting), on gotd (MTProto). One login is one Telegram account:
// private chats are contacts (user ID: Telegram's user ID, in decimal),
// basic groups and supergroups are rooms (chat ID: -ID for a basic group,
// -100ID for a supergroup or channel, as the Bot API writes them) and
// channels are read-only rooms. A forum is a room per topic: General is
// the forum's chat ID, another topic -100ID_TOPIC (topics.go). The bot
// mode is package botmode.
package telegram

import (
	"context"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/botmode"
	"passerelle.im/passerelle/plugins/telegram/editwindow"
)

// Version is the Telegram plugin's own version.
const Version = "0.1.0"

// The login flows.
const (
	FlowPhone = "phone"
	FlowQR    = "qr"
	FlowBot   = botmode.FlowID
)

// Network is Telegram, the plugin's sdk.Connector.
type Network struct {
	cfg  Config
	host sdk.Host
}

// New returns the Telegram network.
func New() *Network { return &Network{} }

// Init reads the transport's configuration and declares the network.
func (n *Network) Init(_ context.Context, req sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	cfg, err := parseConfig(req.ConfigJSON)
	if err != nil {
		return nil, err
	}
	n.cfg, n.host = cfg, host
	return &pb.Capabilities{
		Network:            "telegram",
		DisplayName:        "Telegram",
		Version:            Version,
		Features:           transportFeatures(),
		MaxTextBytes:       4096 * 4, // 4096 characters
		MaxAttachmentBytes: MaxFileBytes,
		// Telegram's edit_time_limit, 48 h; Saved Messages has none. The
		// plugin refuses no correction by age: Telegram judges
		// (MESSAGE_EDIT_TIME_EXPIRED is EXPIRED), so Saved Messages'
		// old messages are corrected.
		EditWindowSeconds:     int64(editwindow.Window / time.Second),
		IdentifierPrompt:      "Phone number or @username",
		IdentifierDescription: "A phone number in international form (+33612345678) or a Telegram @username.",
	}, nil
}

// transportFeatures are the transport's features (new each time). User
// accounts and bots share them; what one kind of login lacks it answers
// UNSUPPORTED, and each chat is narrowed to what the login may do there
// (ChatLimits: the bot's rights, the user's).
func transportFeatures() *pb.Features {
	features := botmode.Features()
	proto.Merge(features, &pb.Features{
		Replies: true, Attachments: true, Formatting: true, Presence: true,
		Groups: true, Avatars: true,
	})
	// A Premium account sets several reactions on a message: each login
	// says whether it has one only (a bot, an account without Premium).
	features.SingleReaction = false
	return features
}

// LoginFlows offers the phone number, the QR code and a bot token.
func (n *Network) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	return []*pb.LoginFlow{
		{Id: FlowPhone, Name: "Phone number", Description: "Log in with your phone number and the code Telegram sends you"},
		{Id: FlowQR, Name: "QR code", Description: "Scan a QR code with Telegram on your phone (Settings, Devices, Link Desktop Device)"},
		botmode.Flow(),
	}, nil
}

// StartLogin opens a login process of the flow asked for.
func (n *Network) StartLogin(_ context.Context, req sdk.LoginRequest) (sdk.LoginProcess, error) {
	if req.Dir == "" && req.FlowID != FlowBot {
		// The session's key goes there: never into the working folder.
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: the gateway gave this login no folder (login_dir); it needs one for the session")
	}
	switch req.FlowID {
	case "", FlowPhone:
		return newPhoneLogin(n, req), nil
	case FlowQR:
		return newQRLogin(n, req), nil
	case FlowBot:
		return botmode.NewLoginProcess(botmode.LoginOptions{ServerURL: n.cfg.BotAPIURL}), nil
	}
	return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: no login flow %q", req.FlowID)
}

// LoadLogin makes the session of a completed login; it does not dial.
func (n *Network) LoadLogin(_ context.Context, login sdk.LoginInfo) (*Session, error) {
	if botmode.IsLoginID(login.LoginID) {
		bs, err := botmode.NewSession(botmode.Config{Host: n.host, LoginID: login.LoginID, Dir: login.Dir,
			SavedState: login.SavedState, ServerURL: n.cfg.BotAPIURL})
		if err != nil {
			return nil, err
		}
		return &Session{n: n, login: login, bot: bs}, nil
	}
	st, err := parseSaved(login.SavedState)
	if err != nil && login.SavedState != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram: the saved login cannot be read: %v", err)
	}
	return newSession(n, login, st), nil
}

// Peer IDs as the Bot API writes them: a user is its ID, a basic group
// -ID, a channel or supergroup -100ID (here as text).
const channelPrefix = "-100"

type peerKind int

const (
	peerUser peerKind = iota
	peerChat
	peerChannel
)

func userID(id int64) string    { return strconv.FormatInt(id, 10) }
func chatID(id int64) string    { return "-" + strconv.FormatInt(id, 10) }
func channelID(id int64) string { return channelPrefix + strconv.FormatInt(id, 10) }

// parsePeer reads a chat or user ID.
func parsePeer(s string) (peerKind, int64, error) {
	kind, rest := peerUser, s
	switch {
	case strings.HasPrefix(s, channelPrefix):
		kind, rest = peerChannel, s[len(channelPrefix):]
	case strings.HasPrefix(s, "-"):
		kind, rest = peerChat, s[1:]
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 {
		return 0, 0, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "telegram: %q is no Telegram user or chat", s)
	}
	return kind, id, nil
}
