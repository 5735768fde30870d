// Package botmode is the Telegram transport's bot mode: a login made with
// a bot token (from @BotFather) instead of a phone number, on the Bot API
// through github.com/go-telegram/bot. The chats and groups the bot is in
// become the user's contacts and rooms; the user speaks as the bot.
//
// # Wiring it into the Telegram connector
//
// The package has no connector of its own: the Telegram connector hands
// it the logins of flow FlowID ("bot"). Its session type wraps either a
// user-account session or a *Session of this package.
//
//   - LoginFlows: add Flow().
//   - StartLogin: when req.FlowID == FlowID, return
//     NewLoginProcess(LoginOptions{ServerURL: cfg.BotAPIURL}). Its form has
//     one field, "token" (FieldToken); Submit checks the token with getMe
//     and completes the login with login ID "bot<id>" (LoginIDFor) and the
//     token in the saved state. A refused token is the form again, with
//     the reason. (cfg.BotAPIURL: say, a "bot_api_url" key of the
//     transport's config, "" in production.)
//   - LoadLogin: when IsLoginID(login.LoginID), return
//     NewSession(Config{Host: host, LoginID: login.LoginID, Dir: login.Dir,
//     SavedState: login.SavedState, ServerURL: cfg.BotAPIURL}). It does not
//     dial out; Connect does. (A Logout of a login not connected comes with
//     only the login ID: NewSession accepts that, and Logout then forgets
//     the login's folder.)
//   - Every Session method and optional interface: delegate to the
//     *Session when the login is a bot's. It implements the interfaces
//     listed in the var blocks of session.go, backfill.go (Backfill
//     answers at once that there is no history) and profilephoto.go
//     (the bot's own photo, from the user's avatar); for one it lacks
//     (read markers, presence, adding contacts, invitations, roles,
//     joining, voting in polls), answer sdk.ErrUnsupported, or nil for
//     MarkRead and SetPresence, which have nothing to tell Telegram.
//     Delegate ChatLimits too: it narrows each
//     chat to what a bot may do there (Features() is the most a bot ever
//     may), so the SDK refuses the rest with NOT_ALLOWED before calling.
//   - Init's Features: at least those of Features() for the bot logins to
//     have them.
//
// ServerURL "" is DefaultServerURL; a local Bot API server, or a test's
// httptest server, goes there.
//
// # What it does
//
// Updates come by long polling getUpdates (not go-telegram/bot's own
// loop, which confirms a batch to Telegram before it is handled). A
// batch's events are handed to the SDK, the journal is fsynced
// (EmitDurable of a SavedStateEvent, which also gives the gateway the
// offset), and only then is the next offset stored and asked for, which
// confirms the batch to Telegram: a crash misses nothing; a plugin killed
// in between emits the batch again under the same event IDs, which the
// gateway drops. The login's folder holds "offset" (that
// position), "chats.json" (the chats seen: a bot cannot list them) and
// "message_topics" (the topics of recent forum messages: a reaction
// update names no topic); "uploads" holds files between UploadMedia and
// SendMessage.
//
// What a bot cannot do (read a chat's history, write first to a person,
// see all messages of a group with privacy mode on) is said in the
// CONNECTED login state's message and in README.md.
package botmode
