package bridge

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/store"
)

// A user who logs out while the plugin is down (crashed, restarting, not
// answering) still wants the network to hear of it: a WhatsApp or Signal
// device stays linked otherwise, and a Telegram session stays open. The
// login and its data go at once, as the user asked; what the plugin
// needs to log it out (ID, saved state, folder) is kept as an owed
// logout, and the folder stays, until the plugin is back.

// logoutRequest is the Logout of login l, whose folder is at dir ("" if
// none).
func logoutRequest(l store.Login, dir string) *pb.LogoutRequest {
	return &pb.LogoutRequest{LoginId: l.LoginID, UserJid: l.UserJID, SavedState: l.SavedState, LoginDir: dir}
}

// pluginAway reports whether err says the plugin did not answer (rather
// than answering that the logout failed): the logout is then owed.
func pluginAway(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		return true
	}
	return false
}

// logoutDir is the path of l's folder for a Logout, "" when it has none
// (a login stored before contract v2, or an unusable name).
func (t *transport) logoutDir(l store.Login) string {
	if !validLoginDirName(l.DataDir) {
		return ""
	}
	path, err := t.loginDirPath(l.DataDir)
	if err != nil {
		return ""
	}
	return path
}

// settleOwedLogouts sends the logouts owed since the plugin was last
// down, before any login connects. One the plugin does not answer stays
// owed for its next start; one it refuses is given up, logged.
func (t *transport) settleOwedLogouts(ctx context.Context, client pb.TransportClient) {
	owed, err := t.db.OwedLogouts(t.name)
	if err != nil {
		t.log.Error("cannot read the owed logouts", "err", err)
		return
	}
	for _, l := range owed {
		if t.loginIDInUse(l.LoginID) {
			// The same account is logged in again: a Logout by its ID
			// would end the new login. Only the old folder goes.
			t.log.Info("owed logout skipped: the account is logged in again", "user", l.UserJID, "login", l.LoginID)
		} else {
			cctx, cancel := context.WithTimeout(ctx, callTimeout)
			_, err := client.Logout(cctx, logoutRequest(l, t.logoutDir(l)))
			cancel()
			switch {
			case err != nil && (pluginAway(err) || ctx.Err() != nil):
				t.log.Warn("owed logout not answered; tried again at the plugin's next start", "user", l.UserJID, "login", l.LoginID, "err", err)
				continue
			case err != nil:
				t.log.Warn("owed logout refused by the plugin; given up", "user", l.UserJID, "login", l.LoginID, "err", err)
			default:
				t.log.Info("owed logout told to the network", "user", l.UserJID, "login", l.LoginID)
			}
		}
		if !t.folderInUse(l.DataDir) {
			t.removeLoginDir(l.DataDir)
		}
		if err := t.db.SettleLogout(ctx, l); err != nil {
			t.log.Error("cannot forget a settled logout", "user", l.UserJID, "err", err)
		}
	}
}

// loginIDInUse reports whether a user's login has the network login ID.
func (t *transport) loginIDInUse(loginID string) bool {
	for _, s := range t.allSessions() {
		if s.LoginID() == loginID {
			return true
		}
	}
	return false
}

// folderInUse reports whether a live login has the folder name.
func (t *transport) folderInUse(name string) bool {
	for _, s := range t.allSessions() {
		if s.Login().DataDir == name {
			return true
		}
	}
	return false
}
