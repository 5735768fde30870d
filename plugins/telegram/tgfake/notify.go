package tgfake

import "github.com/gotd/td/tg"

// Notify is a notice of Telegram to the account user
// (updateServiceNotification), as a popup or, with inboxDate, a message
// of the service chat; text's entities none.
func (s *Server) Notify(user int64, kind, text string, popup bool, inboxDate int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &tg.UpdateServiceNotification{Popup: popup, Type: kind, Message: text, Media: &tg.MessageMediaEmpty{}}
	if inboxDate != 0 {
		u.SetInboxDate(inboxDate)
	}
	u.SetFlags()
	s.push(user, u)
}
