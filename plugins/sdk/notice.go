package sdk

import pb "passerelle.im/passerelle/plugins/proto"

// Notice is an event that tells the user of loginID something that
// belongs to no chat (the contract's NoticeEvent): the gateway shows text
// as a chat message from its own JID. eventID names the occurrence (give
// one that the same occurrence, replayed, gets again): the gateway shows
// one event ID once. Emit it with the Host's Emit, EmitWait or
// EmitDurable; an empty text is refused there (CheckEvent).
func Notice(loginID, eventID, text string, level pb.NoticeLevel) *pb.Event {
	return &pb.Event{LoginId: loginID, EventId: eventID,
		Payload: &pb.Event_Notice{Notice: &pb.NoticeEvent{Text: text, Level: level}}}
}
