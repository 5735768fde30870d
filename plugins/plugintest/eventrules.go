package plugintest

import (
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

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
	if n := ev.GetNotice(); n != nil {
		// NoticeEvent: "Give it an event_id: the host shows one
		// event_id once, so a replay is dropped."
		if ev.EventId == "" {
			faults = append(faults, "a NoticeEvent with no event_id: the gateway shows each one, a replay too; name the occurrence")
		}
		if _, ok := pb.NoticeLevel_name[int32(n.Level)]; !ok {
			faults = append(faults, fmt.Sprintf("a NoticeEvent with level %d, which the contract does not name (NOTICE_LEVEL_INFO, NOTICE_LEVEL_WARNING): shown as INFO", n.Level))
		}
	}
	return faults
}

// dropFault says why the gateway would drop ev, naming the field and the
// contract's rule or limit (enum Limit), or "". A Go plugin's SDK never
// sends such an event (Emit refuses it); a plugin without the SDK must
// check them itself, and the kit holds it to the same rules.
func dropFault(ev *pb.Event) string {
	if err := sdk.CheckEvent(ev); err != nil {
		return "the gateway would drop it: " + err.Error()
	}
	return ""
}

// batchFault is dropFault for a history batch: why the gateway would
// refuse it, whole or an event of it, or "".
func batchFault(b *pb.HistoryBatch) string {
	if err := sdk.CheckHistoryBatch(b); err != nil {
		return "the gateway would refuse it: " + err.Error()
	}
	return ""
}

// short is m as text for a failure, cut where it would bury the message
// (an ID of 4 KiB, a meta of several).
func short(m proto.Message) string {
	s := prototext.MarshalOptions{}.Format(m)
	const most = 300
	if len(s) <= most {
		return s
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes more)", s[:cut], len(s)-cut)
}
