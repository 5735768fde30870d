package botmode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

const (
	// FlowID is the login flow of bot mode.
	FlowID = "bot"
	// FieldToken is the login form's one field: the bot token.
	FieldToken = "token"
	// DefaultServerURL is Telegram's Bot API server.
	DefaultServerURL = "https://api.telegram.org"
	// loginPrefix starts every bot login's ID, so a bot login is told
	// from a user account's by its ID alone (a Logout of a login not
	// connected comes with nothing else).
	loginPrefix = "bot"
)

// Flow is bot mode's login flow, for the connector's LoginFlows.
func Flow() *pb.LoginFlow {
	return &pb.LoginFlow{Id: FlowID, Name: "Telegram bot",
		Description: "Log in as a bot with the token @BotFather gave you; the bot's chats and groups become your contacts and rooms"}
}

// LoginIDFor is the login ID of the bot with Telegram user ID id.
func LoginIDFor(id int64) string { return loginPrefix + strconv.FormatInt(id, 10) }

// IsLoginID reports whether a login ID is a bot mode login's.
func IsLoginID(loginID string) bool {
	rest, ok := strings.CutPrefix(loginID, loginPrefix)
	if !ok || rest == "" {
		return false
	}
	_, err := strconv.ParseInt(rest, 10, 64)
	return err == nil
}

// Identity is who a bot token logs in as.
type Identity struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"`
	// ReadsAllGroupMessages is false while the bot's privacy mode is on:
	// in groups it then sees only commands, replies to it and mentions.
	ReadsAllGroupMessages bool `json:"reads_all_group_messages"`
	CanJoinGroups         bool `json:"can_join_groups"`
}

// LoginID is the login ID of this bot.
func (id Identity) LoginID() string { return LoginIDFor(id.ID) }

func identityOf(u *models.User) Identity {
	return Identity{ID: u.ID, Username: u.Username, Name: userName(u),
		ReadsAllGroupMessages: u.CanReadAllGroupMessages, CanJoinGroups: u.CanJoinGroups}
}

// savedState is a bot login's saved state.
type savedState struct {
	Token string   `json:"token"`
	Bot   Identity `json:"bot"`
	// Offset is the update offset of the last batch stored (see
	// position); the login folder's copy is the newer.
	Offset int64 `json:"offset,omitempty"`
}

// ErrBadToken is a token Telegram refuses (or one that cannot be a token).
var ErrBadToken = errors.New("Telegram refused this bot token")

// LoginOptions are where and how a login reaches the Bot API.
type LoginOptions struct {
	// ServerURL is the Bot API server; "" = DefaultServerURL.
	ServerURL string
	// HTTPClient makes the requests; nil = Go's default transport with
	// a timeout fit for each use.
	HTTPClient *http.Client
}

func (o LoginOptions) serverURL() string {
	if o.ServerURL == "" {
		return DefaultServerURL
	}
	return strings.TrimRight(o.ServerURL, "/")
}

func (o LoginOptions) client(timeout time.Duration) *http.Client {
	if o.HTTPClient != nil {
		return o.HTTPClient
	}
	return &http.Client{Timeout: timeout}
}

// newBot makes a Bot API client without calling getMe.
func newBot(token string, o LoginOptions) (*bot.Bot, error) {
	return bot.New(token, bot.WithServerURL(o.serverURL()), bot.WithSkipGetMe(),
		bot.WithHTTPClient(time.Minute, o.client(30*time.Second)),
		// The library logs errors with the log package by default; ours
		// come back as return values.
		bot.WithErrorsHandler(func(error) {}))
}

// Login checks a bot token with getMe and returns the bot it belongs to.
// A token Telegram refuses is ErrBadToken, with Telegram's words; a
// server that does not answer properly is another error.
func Login(ctx context.Context, token string, o LoginOptions) (Identity, error) {
	token = strings.TrimSpace(token)
	if !plausibleToken(token) {
		return Identity{}, fmt.Errorf("%w: a bot token looks like 123456789:AAE..., the bot's number, a colon and a key", ErrBadToken)
	}
	b, err := newBot(token, o)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	me, err := b.GetMe(ctx)
	switch {
	case errors.Is(err, bot.ErrorUnauthorized), errors.Is(err, bot.ErrorNotFound):
		// The Bot API answers 404 to a token of the wrong shape.
		return Identity{}, fmt.Errorf("%w (%v): check it with @BotFather", ErrBadToken, err)
	case err != nil:
		return Identity{}, fmt.Errorf("telegram: getMe: %w", err)
	case !me.IsBot:
		return Identity{}, fmt.Errorf("%w: it belongs to %d, who is not a bot", ErrBadToken, me.ID)
	}
	return identityOf(me), nil
}

// plausibleToken is a loose check of a token's shape: digits, a colon,
// a key without spaces or slashes (the token goes into URL paths).
func plausibleToken(token string) bool {
	id, key, ok := strings.Cut(token, ":")
	if !ok || key == "" || strings.ContainsAny(key, " /?#%") {
		return false
	}
	_, err := strconv.ParseInt(id, 10, 64)
	return err == nil
}

// NewLoginProcess returns the login process of flow FlowID: a form asks
// for the token, Submit checks it and completes the login.
func NewLoginProcess(o LoginOptions) sdk.LoginProcess { return &loginProcess{o: o} }

type loginProcess struct{ o LoginOptions }

var _ sdk.LoginSubmitter = (*loginProcess)(nil)

// Start asks for the token.
func (p *loginProcess) Start(context.Context) (*pb.LoginStep, error) { return tokenForm(""), nil }

// Cancel: nothing is under way between steps.
func (p *loginProcess) Cancel() {}

// Submit checks the token with Telegram. A refused token is the form
// again with the reason; a Bot API that cannot be reached is an
// UNAVAILABLE error (the user may try again).
func (p *loginProcess) Submit(ctx context.Context, f map[string]string) (*pb.LoginStep, error) {
	token := strings.TrimSpace(f[FieldToken])
	if token == "" {
		return tokenForm("Enter the bot's token."), nil
	}
	id, err := Login(ctx, token, p.o)
	if errors.Is(err, ErrBadToken) {
		return tokenForm(clip(err.Error(), 300) + "."), nil
	}
	if err != nil {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "the Telegram Bot API could not check the token: %s", clip(err.Error(), 300))
	}
	state, err := json.Marshal(savedState{Token: token, Bot: id})
	if err != nil {
		return nil, fmt.Errorf("botmode: %w", err)
	}
	name := id.Name
	if id.Username != "" {
		name = "@" + id.Username
	}
	return &pb.LoginStep{Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{
		LoginId: id.LoginID(), DisplayName: name + " (Telegram bot)", SavedState: state,
	}}}, nil
}

func tokenForm(errText string) *pb.LoginStep {
	return &pb.LoginStep{
		Instructions: "Log in as a Telegram bot. Create one and get its token from @BotFather (/newbot). " +
			"A bot cannot read a chat's history or write first to a person, and with privacy mode on it sees only part of a group's messages.",
		Error: errText,
		Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: []*pb.FormField{
			{Id: FieldToken, Label: "Bot token", Type: pb.FieldType_FIELD_TYPE_PASSWORD, Required: true,
				Description: "Such as 123456789:AAE..., from @BotFather"},
		}}},
	}
}

// userName is a Telegram user's display name.
func userName(u *models.User) string {
	if u == nil {
		return ""
	}
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" && u.Username != "" {
		name = "@" + u.Username
	}
	if name == "" {
		name = strconv.FormatInt(u.ID, 10)
	}
	return name
}
