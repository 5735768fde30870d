package botmode

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-telegram/bot"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// apiErrorOf turns an error of the library into an *apiError where it
// carries the Bot API's error code, for the update loop.
func apiErrorOf(method string, err error) error {
	text := strings.TrimPrefix(err.Error(), "error ")
	var tm *bot.TooManyRequestsError
	switch {
	case errors.As(err, &tm):
		return &apiError{Method: method, Code: http.StatusTooManyRequests, Text: tm.Message, RetryAfter: time.Duration(tm.RetryAfter) * time.Second}
	case errors.Is(err, bot.ErrorUnauthorized):
		return &apiError{Method: method, Code: http.StatusUnauthorized, Text: text}
	case errors.Is(err, bot.ErrorConflict):
		return &apiError{Method: method, Code: http.StatusConflict, Text: text}
	}
	return fmt.Errorf("%s: %w", method, err)
}

// commandError turns an error of the Bot API into the contract's typed
// error, with Telegram's words and, where a bot's limits are the cause,
// which limit.
func commandError(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	// The library quotes a body it could not read, whole.
	desc := clip(err.Error(), 300)
	lower := strings.ToLower(desc)
	var tm *bot.TooManyRequestsError
	switch {
	case errors.As(err, &tm):
		if tm.RetryAfter <= 0 {
			return sdk.Errorf(pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "Telegram asks to slow down: retry %s later (%s)", what, desc)
		}
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_RATE_LIMITED, "Telegram asks to slow down: retry %s in %s",
			what, time.Duration(tm.RetryAfter)*time.Second)
	case strings.Contains(lower, "can't initiate conversation"), strings.Contains(lower, "bot can't send messages to bots"):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED,
			"a Telegram bot cannot write first to a person: they must open the bot and press Start (%s)", desc)
	case strings.Contains(lower, "bot was blocked by the user"):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "this person blocked the bot (%s)", desc)
	case strings.Contains(lower, "not enough rights"), strings.Contains(lower, "message can't be deleted"),
		strings.Contains(lower, "message can't be edited"), strings.Contains(lower, "bot is not a member"),
		strings.Contains(lower, "bot was kicked"), strings.Contains(lower, "have no rights"):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "Telegram does not let the bot do %s here (%s)", what, desc)
	case strings.Contains(lower, "topic_closed"):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED,
			"%s: the forum's topic is closed: only the forum's creator and admins may post there (%s)", what, desc)
	case strings.Contains(lower, "message is too long"), strings.Contains(lower, "caption is too long"):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_TOO_LARGE, "Telegram takes at most 4096 characters in a message and 1024 in a file's caption (%s)", desc)
	case strings.Contains(lower, "not found"), strings.Contains(lower, "topic_deleted"), errors.Is(err, bot.ErrorNotFound):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%s: %s", what, desc)
	case strings.Contains(lower, "file is too big"), strings.Contains(lower, "request entity too large"):
		// The second is HTTP 413, which the Bot API's web server
		// answers (as HTML, or in the API's JSON) for an upload past
		// its limit.
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_TOO_LARGE, "%s: a bot downloads files of at most 20 MB and sends at most 50 MB (%s)", what, desc)
	case errors.Is(err, bot.ErrorForbidden):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "%s: %s", what, desc)
	case errors.Is(err, bot.ErrorUnauthorized):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAUTHORIZED, "Telegram refused the bot token: %s", desc)
	case errors.Is(err, bot.ErrorBadRequest):
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "%s: %s", what, desc)
	}
	// The server did not answer, or not with the API's JSON.
	return sdk.Errorf(pb.ErrorCode_ERROR_CODE_UNAVAILABLE, "%s: the Telegram Bot API did not answer properly: %s", what, desc)
}

// clip is s as valid UTF-8 (it goes into protobuf strings), cut to about
// n bytes at a rune boundary.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
