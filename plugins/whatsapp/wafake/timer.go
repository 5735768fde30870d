package wafake

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

// TimerSet is a chat's disappearing-messages timer WhatsApp took from
// the plugin (SetDisappearingTimer).
type TimerSet struct {
	Chat  types.JID
	Timer time.Duration
	At    time.Time // the setting's time, as the plugin gave it
}

// SetDisappearingTimer sets a chat's timer as whatsmeow's does: a
// one-to-one chat's is an EPHEMERAL_SETTING protocol message sent to it
// (through SendMessage: Sent has it), a group's an IQ to WhatsApp, which
// the fake applies to its group and refuses as WhatsApp does: 403 where
// the group lets only its admins edit its settings and the user is none,
// 400 for a length WhatsApp does not offer (whatsmeow wraps it in
// ErrInvalidDisappearingTimer). The fake sends no notification of a
// group's change back: the test emits it, as WhatsApp's echo (from
// OnTimerSet, for one handled before the IQ's answer).
func (c *Client) SetDisappearingTimer(ctx context.Context, chat types.JID, timer time.Duration, settingTS time.Time) error {
	c.mu.Lock()
	c.timerAsks++
	c.mu.Unlock()
	switch chat.Server {
	case types.DefaultUserServer, types.HiddenUserServer:
		if settingTS.IsZero() {
			settingTS = time.Now()
		}
		if _, err := c.SendMessage(ctx, chat, &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
			Type:                      waE2E.ProtocolMessage_EPHEMERAL_SETTING.Enum(),
			EphemeralExpiration:       proto.Uint32(uint32(timer.Seconds())),
			EphemeralSettingTimestamp: proto.Int64(settingTS.Unix()),
		}}); err != nil {
			return err
		}
	case types.GroupServer:
		if err := c.setGroupTimer(chat, timer); err != nil {
			return err
		}
	default:
		return fmt.Errorf("can't set disappearing time in a %s chat", chat.Server)
	}
	set := TimerSet{Chat: chat, Timer: timer, At: settingTS}
	c.mu.Lock()
	c.timerSets = append(c.timerSets, set)
	c.notifyLocked()
	on := c.OnTimerSet
	c.mu.Unlock()
	if on != nil {
		on(set)
	}
	return nil
}

func (c *Client) setGroupTimer(jid types.JID, timer time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.connected {
		return whatsmeow.ErrNotConnected
	}
	g, ok := c.groups[jid]
	if !ok {
		return whatsmeow.ErrGroupNotFound
	}
	if g.IsLocked && !c.selfAdminLocked(g) {
		return whatsmeow.ErrIQForbidden
	}
	switch timer {
	case 0, whatsmeow.DisappearingTimer24Hours, whatsmeow.DisappearingTimer7Days, whatsmeow.DisappearingTimer90Days:
	default:
		return fmt.Errorf("%w: %w", whatsmeow.ErrInvalidDisappearingTimer, whatsmeow.ErrIQBadRequest)
	}
	g.IsEphemeral, g.DisappearingTimer = timer != 0, uint32(timer.Seconds())
	return nil
}

// selfAdminLocked says whether the user is an admin of g.
func (c *Client) selfAdminLocked(g *types.GroupInfo) bool {
	return slices.ContainsFunc(g.Participants, func(p types.GroupParticipant) bool {
		return c.dev.ID != nil && p.JID.User == c.dev.ID.User && (p.IsAdmin || p.IsSuperAdmin)
	})
}

// TimerSets is the timers WhatsApp took so far.
func (c *Client) TimerSets() []TimerSet {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.timerSets)
}

// TimerAsks is how many times the plugin asked to set a timer, taken
// or refused.
func (c *Client) TimerAsks() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.timerAsks
}
