package signal

import pb "passerelle.im/passerelle/plugins/proto"

// noteToSelfName is the name Signal's apps give the chat with oneself,
// where the user keeps notes (their own number's chat: selfID).
const noteToSelfName = "Note to Self"

// noteToSelf is the contact of the user's Note to Self: what they write
// there on the phone comes as their own messages in it, and what they
// send to it from XMPP goes to signal-cli's note to self (a send to the
// account's own number, which signal-cli turns into a sync message to
// the user's other devices). signal-cli lists no such contact: without
// it the chat had no roster entry, only a bare number.
func (s *Session) noteToSelf() *pb.Contact {
	return &pb.Contact{UserId: s.selfID(), Name: noteToSelfName, Phone: s.account().Number}
}
