package whatsapp

import (
	"context"
	"sync"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The user's presence set from several clients at once (the gateway
// runs commands of different chats concurrently): no data race on the
// session's availability (run with -race).
func TestSetPresenceConcurrent(t *testing.T) {
	r := newRig(t, "")
	s, _ := r.connected(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				show := pb.PresenceShow_PRESENCE_SHOW_AVAILABLE
				if (i+j)%2 == 0 {
					show = pb.PresenceShow_PRESENCE_SHOW_AWAY
				}
				s.SetPresence(ctx, &pb.Presence{Show: show})
			}
		}()
	}
	wg.Wait()
}
