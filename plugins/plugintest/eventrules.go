package plugintest

import pb "passerelle.im/passerelle/plugins/proto"

// eventFaults lists what ev breaks of the contract's rules on one event's
// fields, as transport.proto states them.
func eventFaults(ev *pb.Event) []string {
	var faults []string
	if m := ev.GetMessage(); m != nil {
		quoted := m.QuoteText != "" || m.QuoteAuthorId != "" || m.QuoteFromMe
		// MessageEvent: the quote is "of the message replied to (reply_to_id)".
		if quoted && m.ReplyToId == "" {
			faults = append(faults, "a MessageEvent with a quote (quote_text, quote_author_id or quote_from_me) but no reply_to_id: the quote is of the message replied to")
		}
		// Its author is a user ID, "or quote_from_me for the user's own".
		if m.QuoteAuthorId != "" && m.QuoteFromMe {
			faults = append(faults, "a MessageEvent whose quote has both quote_author_id and quote_from_me: one author")
		}
	}
	return faults
}
