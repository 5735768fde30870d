package bridge

import (
	"context"
	"errors"
	"fmt"

	"passerelle.im/passerelle/bridge/wire"
)

// "Sync contacts" (the sync-contacts ad-hoc command, "sync" in the
// gateway chat) puts the login's contacts back into the user's roster:
// those the user removed by mistake, or that a lost roster dropped. The
// sync at each connect pushes only new and renamed contacts, so that a
// contact the user took out stays out until asked for.

// resyncRoster puts every contact of the user's login that is not in the
// roster back in: a roster push with the roster permission (XEP-0356),
// else the contact's subscription request again (the user's server
// passes on only those the user removed or declined: none approved, none
// still waiting). It says what it did.
func (t *transport) resyncRoster(ctx context.Context, user string) (string, error) {
	s := t.session(user)
	if s == nil {
		return "", fmt.Errorf("you are not logged in to %s", t.displayName())
	}
	l := s.Login()
	puppets, err := t.db.ListPuppets(t.name, l.LoginID)
	if err != nil {
		return "", gatewayFault("the gateway could not read your contacts", err)
	}
	write := t.privileges().rosterWrite()
	// Without reading the roster every contact is set again, which
	// would undo the user's own names and groups: only when it is all
	// the gateway can do, never because a read it may do failed.
	inRoster, err := t.rosterItems(ctx, user)
	if err != nil && !errors.Is(err, errNoRosterRead) {
		t.log.Warn("roster sync: the roster could not be read; nothing changed", "user", user, "err", err)
		return "", fmt.Errorf("your server did not give the gateway your roster, so nothing was changed; try again (%w)", err)
	}
	read := err == nil
	added := 0
	for _, p := range puppets {
		pj, err := t.puppetJID(p.UserID)
		if err != nil {
			continue
		}
		if _, ok := inRoster[pj.String()]; ok {
			continue
		}
		added++
		if write {
			t.rosterSet(ctx, user, pj.String(), p.Name, "both")
			continue
		}
		var w wire.Writer
		w.Start("presence", "").Attr("from", pj.String()).Attr("to", user).Attr("type", "subscribe")
		w.Leaf("nick", nsNick, p.Name)
		t.subs.send(ctx, w.Bytes())
	}
	t.log.Info("roster synced on request", "user", user, "contacts", len(puppets), "pushed", added, "roster_read", read, "roster_write", write)
	switch {
	case len(puppets) == 0:
		return "You have no contacts on " + t.displayName() + " yet.", nil
	case write && read:
		return fmt.Sprintf("%d of your %d contacts put back in your roster; the others were there.", added, len(puppets)), nil
	case write:
		return fmt.Sprintf("Your %d contacts set in your roster again.", len(puppets)), nil
	}
	return fmt.Sprintf("Your %d contacts ask again to be added: your client shows the requests of those you removed or declined (the server passes on no other).", len(puppets)), nil
}
