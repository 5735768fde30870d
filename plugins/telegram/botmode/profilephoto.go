package botmode

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/go-telegram/bot"

	"passerelle.im/passerelle/plugins/picture"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

var _ sdk.ProfileAvatarSetter = (*Session)(nil)

// SetProfileAvatar sets or removes the bot's own profile photo from the
// user's XMPP avatar (sdk.ProfileAvatarSetter): setMyProfilePhoto with
// the picture as a square JPEG of at most 640 pixels, or
// removeMyProfilePhoto (Bot API 9.4).
func (s *Session) SetProfileAvatar(ctx context.Context, a *pb.SetProfileAvatar) error {
	if s.bot == nil {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED, "telegram bot: not logged in")
	}
	if len(a.Data) == 0 {
		if _, err := s.bot.RemoveMyProfilePhoto(ctx); err != nil {
			return commandError("removing the bot's profile photo", err)
		}
		return nil
	}
	jpg, err := picture.JPEG(a.Data, pictureSide, true)
	if err != nil {
		return sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "telegram bot: %v", err)
	}
	return commandError("setting the bot's profile photo", s.setMyProfilePhoto(ctx, jpg))
}

// setMyProfilePhoto sends setMyProfilePhoto by hand: go-telegram/bot
// v1.19.0 sends its InputProfilePhoto without "type" and without the
// attached file (its form builder does not see the interface field as
// media). The photo is an InputProfilePhotoStatic naming the multipart
// part that holds the JPEG. Telegram's refusal comes back as the
// library's errors, for commandError.
func (s *Session) setMyProfilePhoto(ctx context.Context, jpg []byte) error {
	const method, part = "setMyProfilePhoto", "profile_photo"
	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	form.WriteField("photo", `{"type":"static","photo":"attach://`+part+`"}`)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="`+part+`"; filename="`+part+`.jpg"`)
	h.Set("Content-Type", "image/jpeg")
	w, _ := form.CreatePart(h)
	w.Write(jpg) // a bytes.Buffer's writes do not fail
	form.Close()
	u := LoginOptions{ServerURL: s.cfg.ServerURL}.serverURL() + "/bot" + s.token + "/" + method
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, &body)
	if err != nil { // a *url.Error, with the URL and its token
		return fmt.Errorf("%s: %s", method, strings.ReplaceAll(err.Error(), s.token, "***"))
	}
	req.Header.Set("Content-Type", form.FormDataContentType())
	resp, err := s.api.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The URL holds the token: keep it out of messages.
		return fmt.Errorf("%s: %s", method, strings.ReplaceAll(err.Error(), s.token, "***"))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s: read the answer: %w", method, err)
	}
	var r struct {
		OK          bool   `json:"ok"`
		ErrorCode   int    `json:"error_code"`
		Description string `json:"description"`
		Parameters  struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("%s: HTTP %d, %s", method, resp.StatusCode, describeBody(resp.Header.Get("Content-Type"), data))
	}
	if r.OK {
		return nil
	}
	if r.ErrorCode == http.StatusTooManyRequests {
		return &bot.TooManyRequestsError{Message: fmt.Sprintf("%s, %s", bot.ErrorTooManyRequests, r.Description), RetryAfter: r.Parameters.RetryAfter}
	}
	if sentinel, ok := libraryErrors[r.ErrorCode]; ok {
		return fmt.Errorf("%w, %s", sentinel, r.Description)
	}
	return fmt.Errorf("%s: %d %s", method, r.ErrorCode, r.Description)
}

// libraryErrors are go-telegram/bot's errors for the Bot API's error
// codes, as its requests return them.
var libraryErrors = map[int]error{
	http.StatusBadRequest:   bot.ErrorBadRequest,
	http.StatusUnauthorized: bot.ErrorUnauthorized,
	http.StatusForbidden:    bot.ErrorForbidden,
	http.StatusNotFound:     bot.ErrorNotFound,
	http.StatusConflict:     bot.ErrorConflict,
}
