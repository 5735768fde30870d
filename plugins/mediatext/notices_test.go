package mediatext

import (
	"testing"
	"time"
)

func TestNotices(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{CallText(Call{}, "on your phone"), "Incoming voice call: answer it on your phone"},
		{CallText(Call{Video: true, Group: true}, "in Telegram"), "Group video call: join it in Telegram"},
		{CallText(Call{Group: true, Outgoing: true}, "in Telegram"), "Group voice call: join it in Telegram"},
		{CallText(Call{Outgoing: true}, "on your phone"), "Outgoing voice call"},
		{CallText(Call{Outgoing: true, Missed: true}, "on your phone"), "Unanswered voice call"},
		{CallText(Call{Answered: true}, "on your phone"), "Voice call, answered on your phone"},
		{CallText(Call{Answered: true, Duration: 2 * time.Minute}, "on your phone"), "Voice call, 2 min"},
		{CallText(Call{Missed: true}, "on your phone"), "Missed voice call"},
		{CallText(Call{Video: true, Missed: true}, ""), "Missed video call"},
		{CallText(Call{Duration: 185 * time.Second}, ""), "Voice call, 3 min 5 s"},
		{CallText(Call{Video: true, Duration: time.Hour + 2*time.Minute}, ""), "Video call, 1 h 2 min"},
		{CallText(Call{Duration: 2 * time.Hour}, ""), "Voice call, 2 hours"},
		{TimerText(0), "Disappearing messages turned off"},
		{ReadTimerText(0), "Disappearing messages turned off"},
		{ReadTimerText(7 * 24 * time.Hour), "Disappearing messages turned on: messages disappear 1 week after they are read"},
		{PinText(false), "📌 Pinned a message"},
		{PinText(true), "Unpinned a message"},
		{TimerText(7 * 24 * time.Hour), "Disappearing messages turned on: messages disappear 1 week after they are sent"},
		{TimerText(90 * 24 * time.Hour), "Disappearing messages turned on: messages disappear 90 days after they are sent"},
		{TimerText(24 * time.Hour), "Disappearing messages turned on: messages disappear 1 day after they are sent"},
		{TimerText(8 * time.Hour), "Disappearing messages turned on: messages disappear 8 hours after they are sent"},
		{TimerText(30 * time.Second), "Disappearing messages turned on: messages disappear 30 s after they are sent"},
		{TimerText(5 * time.Minute), "Disappearing messages turned on: messages disappear 5 min after they are sent"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
