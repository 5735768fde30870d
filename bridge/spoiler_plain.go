package bridge

import pb "passerelle.im/passerelle/plugins/proto"

// unhiddenSpoiler is why m, marked a spoiler (XEP-0382), is refused:
// the network takes no formatting (Features.formatting false: IRC), so
// its words would reach everyone plainly, what the user meant hidden.
// Refused, nothing is revealed and the user, told, may send it unmarked.
// "" when it may go. A file marked hidden goes as the plugin contract
// has it (Attachment.spoiler: sent as it is where files cannot hide).
//
// A poll marked a spoiler ("/poll" with <spoiler/>) is refused on every
// network: a poll carries no spans, and none hides one, so its question
// and options went plainly (WhatsApp's spoiler wrapper hides text and
// files; whether its apps hide a poll in it is not known).
func (t *transport) unhiddenSpoiler(caps *pb.Features, m userMessage) string {
	if !m.spoiler || !m.hasBody || m.oobURL != "" || m.retract != "" || m.reactions != nil {
		return ""
	}
	if m.command() {
		if _, isPoll, _ := pollCommand(m.body); isPoll {
			return t.displayName() + " cannot hide a poll as a spoiler: its question and options would show to everyone. Nothing was sent; to start it visible, send it without the spoiler mark."
		}
	}
	if caps.GetFormatting() {
		return ""
	}
	return t.displayName() + " cannot hide a spoiler: its text would show to everyone. Nothing was sent; to send it visible, send it without the spoiler mark."
}
