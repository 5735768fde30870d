package whatsapp

import (
	"strings"

	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A live location in the history sync is a share that may be long over:
// the phone keeps where it ended beside the message
// (WebMessageInfo.finalLiveLocation, which WhatsApp's Android app fills
// in), and the message shows that point, saying the sharing ended,
// rather than where it started with the live note (liveNote), which
// read as a share going on.

// liveEndedNote follows a live location from history that ended.
const liveEndedNote = "(where the sharing ended)"

// endLiveLocation gives evt's live location the point web says the
// sharing ended at; false when it is no live location, or web says no
// end.
func endLiveLocation(evt *events.Message, web *waWeb.WebMessageInfo) bool {
	end, live := web.GetFinalLiveLocation(), evt.Message.GetLiveLocationMessage()
	if end == nil || live == nil || end.DegreesLatitude == nil || end.DegreesLongitude == nil {
		return false
	}
	msg := proto.CloneOf(evt.Message)
	msg.LiveLocationMessage.DegreesLatitude = end.DegreesLatitude
	msg.LiveLocationMessage.DegreesLongitude = end.DegreesLongitude
	evt.Message = msg
	return true
}

// liveEnded says, in m converted from a live location endLiveLocation
// moved to its end, that the sharing ended.
func liveEnded(m *pb.MessageEvent) {
	if m != nil {
		m.Text = strings.Replace(m.Text, liveNote, liveEndedNote, 1)
	}
}
