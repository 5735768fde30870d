// Package svctext words the Telegram service messages that the shared
// texts (plugins/mediatext) have no words for, for user accounts and bots
// alike, so that both modes show them the same.
package svctext

import (
	"strconv"
	"strings"
	"time"
)

// Proximity is a live location's proximity alert: traveler came within
// meters of watcher ("you" for the user, as either; self: the traveler
// is the user, by ID, not by a name a contact may have).
func Proximity(traveler, watcher string, self bool, meters int) string {
	verb := "is"
	if self {
		traveler, verb = "You", "are"
	}
	return traveler + " " + verb + " now within " + distance(meters) + " of " + watcher
}

// distance is meters as Telegram's apps say it: meters below a
// kilometer, else kilometers with one decimal.
func distance(meters int) string {
	if meters < 1000 {
		return strconv.Itoa(meters) + " m"
	}
	return strings.TrimSuffix(strconv.FormatFloat(float64(meters)/1000, 'f', 1, 64), ".0") + " km"
}

// CallScheduled is a group call (a video chat) scheduled to start at.
func CallScheduled(at time.Time) string {
	return "Group call scheduled for " + at.UTC().Format("2 Jan 2006 15:04 UTC")
}

// CallInvited is the invitation of people (their names) to a group call.
func CallInvited(names []string) string {
	return "Invited " + strings.Join(names, ", ") + " to the group call"
}

// Boosted is a member's boosts of a group (n of them at once).
func Boosted(n int) string {
	if n > 1 {
		return "Boosted the group " + strconv.Itoa(n) + " times"
	}
	return "Boosted the group"
}

// GameScore is a score in a game played in the chat (out: the user's).
func GameScore(score int, out bool) string {
	if out {
		return "You scored " + strconv.Itoa(score) + " in the game"
	}
	return "Scored " + strconv.Itoa(score) + " in the game"
}

// Gift is a gift received or sent (Premium, Stars, a collectible gift),
// which the gateway cannot show.
const Gift = "🎁 A gift the gateway cannot show: see it in Telegram."

// yours starts a notice of what the user did ("You changed...") or of
// what its sender did ("Changed..."), the sender being named by the
// message's author.
func yours(verb string, out bool) string {
	if out {
		return "You " + verb
	}
	return strings.ToUpper(verb[:1]) + verb[1:]
}

// Renamed is a group's or channel's new name (kind: "group", "channel"),
// as Telegram's apps say who renamed it.
func Renamed(kind, title string, out bool) string {
	return yours("changed the "+kind+" name to «"+title+"»", out)
}

// PhotoChanged is a group's or channel's new picture, or its removal.
func PhotoChanged(kind string, removed, out bool) string {
	if removed {
		return yours("removed the "+kind+" photo", out)
	}
	return yours("changed the "+kind+" photo", out)
}

// TopicClosed is a forum topic closed (only the forum's admins may post
// there then) or reopened.
func TopicClosed(closed, out bool) string {
	if closed {
		return yours("closed the topic: only the forum's admins may post in it now", out)
	}
	return yours("reopened the topic", out)
}

// TopicRenamed is a forum topic's new title.
func TopicRenamed(title string, out bool) string {
	return yours("renamed the topic to «"+title+"»", out)
}

// NewOwner is a group's or channel's ownership passing to who (self: the
// user, by ID, not by a name a contact may have) after its owner left,
// or, pending, to pass in 7 days unless the owner comes back (Telegram's
// messageActionChangeCreator and messageActionNewCreatorPending).
func NewOwner(kind, who string, self, pending bool) string {
	if self {
		if pending {
			return "You become the " + kind + "'s owner in 7 days, unless its owner comes back"
		}
		return "You are now the " + kind + "'s owner"
	}
	if pending {
		return who + " becomes the " + kind + "'s owner in 7 days, unless its owner comes back"
	}
	return who + " is now the " + kind + "'s owner"
}

// ProfilePhotoSuggested is a profile photo suggested for the other user
// of a private chat (photos.uploadContactProfilePhoto), which the gateway
// cannot show nor set: it is taken in Telegram's apps.
func ProfilePhotoSuggested(out bool) string {
	if out {
		return "You suggested a profile photo: see it in Telegram"
	}
	return "Suggested a profile photo for you: see it in Telegram"
}

// MessagePrice is a group's price of a message (paid messages), in
// Stars; 0 takes it off.
func MessagePrice(stars int64) string {
	if stars <= 0 {
		return "Messages here are free again"
	}
	return "Messages here now cost " + strconv.FormatInt(stars, 10) + " Stars each"
}

// ContentProtection is a chat's content protection turned on (its
// messages may not be forwarded or saved) or off.
func ContentProtection(on, out bool) string {
	if on {
		return yours("turned on content protection: messages here cannot be forwarded or saved", out)
	}
	return yours("turned off content protection: messages here can be forwarded and saved", out)
}

// BotAllowed is the user's leave for a bot to write to them (from a
// login on the website domain, an attachment menu, a mini app's request).
func BotAllowed(domain string) string {
	if domain != "" {
		return "You allowed this bot to message you when you logged in on " + domain
	}
	return "You allowed this bot to message you"
}
