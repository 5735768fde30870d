// Package echo is the smallest complete passerelle transport: a pretend
// network where every contact repeats what you send it. It is the tutorial
// for plugin authors, the test double of the gateway's core, and the demo
// network.
//
// A plugin is two types. The Network (an sdk.Connector) is the network
// itself: Init says what it is, the login methods run a login process
// (login.go) and LoadLogin makes a Session for each completed login. The
// Session (session.go) is one account's connection: the SDK keeps one per
// login and calls it for everything about that login, so nothing here is
// keyed by login ID to route calls. What a Session can do beyond sending
// text is the optional interfaces it implements (messages.go): edits,
// reactions, retractions, typing, read markers, presence, contacts. The
// SDK advertises exactly those to the gateway and answers "not
// implemented" for the others. Events from the network go to the gateway
// through sdk.Host.
package echo

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Version is the echo plugin's own version.
const Version = "0.2.0"

// NoSuchContact is the one contact the echo network does not have:
// messages to it fail with item-not-found, so the error path is testable.
const NoSuchContact = "nobody"

// AccountFile is the file the echo network keeps in each login's folder.
const AccountFile = "account.json"

// Network is the echo network, the plugin's sdk.Connector. The zero value
// is not ready; use New.
type Network struct {
	host    sdk.Host
	dataDir string
	// maxReactions is how many reactions of the user's a message keeps
	// (MaxReactionsEnv), 0 for no limit.
	maxReactions uint32
	// prefix makes message IDs unique across plugin restarts.
	prefix string
	seq    atomic.Uint64

	// accounts is the network's side of each account, as a real
	// network's servers keep it: contact lists, by username. It outlives
	// sessions (a reconnect finds its contacts renamed), not the process.
	mu       sync.Mutex
	accounts map[string]map[string]*contact
	// infoAsks counts ChatInfo calls (info_count.go).
	infoAsks infoAsks
	groups   map[string]*group // the account's group (groups.go), by username
	// channels are the channels each account joined (channels.go), and
	// moved the contacts that moved to another ID (identity.go): by
	// username, then by chat ID or old user ID.
	channels map[string]map[string]*channel
	moved    map[string]map[string]string
	// repeaters are the IDs Echo One moved to (identity.go), by
	// username: it repeats in the group under its new ID. Apart from
	// mu, which some callers of event hold.
	repeaters sync.Map
	// timers are the chats' disappearing-messages timers (timer.go), by
	// username and chat ID; in memory, as the rest.
	timers sync.Map
	// polls are the polls its contacts asked (polls.go).
	polls polls
	// joinHolds are the accounts' joins by a secret name held
	// (HoldJoins, secret.go): by username, a channel closed on release.
	joinHolds sync.Map
	// reloginHolds are the accounts' Connects held (relogin_hold.go):
	// a *reloginHold by username.
	reloginHolds sync.Map
	// namesWaits are the NamesMark accounts' ChatInfo calls waiting for
	// each other (names_later.go): by username.
	namesWaits sync.Map
	// flaked are the FlakyMark logins whose first Connect failed
	// (flaky.go): by username.
	flaked sync.Map
	// pins are each chat's pinned messages (pins.go), by username and
	// chat ID, oldest pin first; under mu.
	pins map[string][]string
}

// contact is someone on the echo network.
type contact struct {
	id, name string
	presence *pb.Presence
	// picture is the user's own profile picture, which Echo Two mirrors
	// (SetProfileAvatar); pictureVer counts its changes.
	picture    []byte
	pictureVer int
}

// New returns the echo network.
func New() *Network {
	return &Network{accounts: map[string]map[string]*contact{}}
}

// Init reads the config and declares the network. The echo network has
// no settings of its own, so any key in its [transport.config] is a
// mistake: sdk.DecodeConfig refuses it by name, and the plugin does not
// start. A network with settings decodes them into its own struct (with
// json tags) the same way (plugins/irc's Config).
// Features lists only what no interface stands for: contacts' presence,
// avatars (served by UserInfo), groups (served by ChatList and ChatInfo:
// groups.go), delivery receipts, replies, attachments and formatted text
// (parts of SendMessage: see rich.go). The SDK adds what the Session's
// interfaces do.
func (n *Network) Init(_ context.Context, req sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	var cfg struct{} // no settings
	if err := sdk.DecodeConfig(req.ConfigJSON, &cfg); err != nil {
		return nil, fmt.Errorf("echo: %w", err)
	}
	n.host = host
	n.dataDir = req.DataDir
	n.prefix = fmt.Sprintf("%x", time.Now().UnixNano())
	n.maxReactions = maxReactions() // reactlimit.go
	return &pb.Capabilities{
		Network:     "echo",
		DisplayName: "Echo",
		Version:     Version,
		Features: &pb.Features{Presence: true, Avatars: true, Groups: true, DeliveryReceipts: true,
			Replies: true, Attachments: true, Formatting: true, MaxReactions: n.maxReactions,
			// Every other name is someone's (TestJoinChatByNameDisco).
			JoinChatPrefixes: []string{ChannelSign, PublicSign, SecretSign}},
		IdentifierPrompt:      "Any name",
		IdentifierDescription: "Every name is someone on the echo network.",
	}, nil
}

// LoginFlows offers one way in: pick a username.
func (n *Network) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	return []*pb.LoginFlow{{Id: "username", Name: "Username", Description: "Any username of one line will do"}}, nil
}

// StartLogin opens a login process (login.go).
func (n *Network) StartLogin(_ context.Context, req sdk.LoginRequest) (sdk.LoginProcess, error) {
	return &loginProcess{n: n, id: req.ProcessID, stage: "username"}, nil
}

// LoadLogin makes the session of a completed login from the state the
// gateway kept for us. It does not go online: that is Session.Connect.
//
// The login's own folder (login.Dir) is where a real network library
// keeps its database; the echo network keeps a note of the account
// there, AccountFile.
func (n *Network) LoadLogin(_ context.Context, login sdk.LoginInfo) (*Session, error) {
	st := readState(login.SavedState)
	if login.Dir != "" {
		note, _ := json.Marshal(map[string]string{"login_id": login.LoginID, "user_jid": login.UserJID})
		if err := os.WriteFile(filepath.Join(login.Dir, AccountFile), note, 0o600); err != nil {
			return nil, fmt.Errorf("echo: the login's folder: %w", err)
		}
	}
	renamed := offlineGroupName(login.Dir) // offline_rename.go
	bans := savedBans(login.Dir)           // admin.go
	n.mu.Lock()
	if n.accounts[login.LoginID] == nil {
		n.accounts[login.LoginID] = newContacts(st)
	}
	if n.groups == nil {
		n.groups = map[string]*group{}
	}
	if n.groups[login.LoginID] == nil {
		n.groups[login.LoginID] = newGroup(st.Members)
		n.groups[login.LoginID].name = renamed
		n.groups[login.LoginID].banned = bans
		n.groups[login.LoginID].left = savedLeft(login.Dir) // groups.go
	}
	n.mu.Unlock()
	history := HistoryLength
	if st.History > 0 {
		history = st.History
	}
	return &Session{n: n, loginID: login.LoginID, dir: login.Dir, history: history}, nil
}

// newContacts is a new account's contact list: the three friends, or the
// numbered contacts its saved state asks for.
func newContacts(st savedState) map[string]*contact {
	online := &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AVAILABLE}
	if st.Contacts > 0 {
		cs := make(map[string]*contact, st.Contacts)
		for i := range st.Contacts {
			id, name := NumberedContact(i)
			cs[id] = &contact{id: id, name: name}
			if i < st.Online {
				cs[id].presence = online
			}
		}
		return cs
	}
	return map[string]*contact{
		"echo-1": {id: "echo-1", name: "Echo One", presence: online},
		"echo-2": {id: "echo-2", name: "Echo Two", presence: &pb.Presence{Show: pb.PresenceShow_PRESENCE_SHOW_AWAY,
			Status: "Back soon", LastSeenUnix: time.Now().Add(-10 * time.Minute).Unix()}},
		"echo-3": {id: "echo-3", name: "Echo Three", presence: online},
	}
}

// NumberedContact is contact i of an account whose saved state asks for
// numbered contacts: its user ID and name.
func NumberedContact(i int) (userID, name string) {
	return fmt.Sprintf("c%d", i), fmt.Sprintf("Contact %d", i)
}

func (n *Network) newID() string {
	return fmt.Sprintf("%s-%d", n.prefix, n.seq.Add(1))
}
