package botmode_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI is a Bot API server on loopback that follows the API's JSON
// shapes for the methods bot mode uses: requests as JSON or multipart
// form (go-telegram/bot sends multipart), answers {"ok":true,"result":...}
// or {"ok":false,"error_code":...,"description":...}.
type fakeAPI struct {
	srv   *httptest.Server
	token string
	botID int64

	mu      sync.Mutex
	wake    chan struct{} // closed when an update is queued
	updates []fakeUpdate
	nextUpd int64
	// offsets are the offset of each getUpdates call, in order, with
	// when it came.
	offsets []int64
	polls   []time.Time
	// failures answer the next getUpdates calls, one each.
	failures []func(w http.ResponseWriter)
	calls    []apiCall
	nextMsg  map[string]int
	files    map[string][]byte // by file_id; file_path = "files/<file_id>"
	// refuse answers a method with an error: method -> (code, text).
	refuse map[string][2]string
	// flood answers the next calls of a method 429 Too Many Requests,
	// one each, with these retry_after seconds.
	flood  map[string][]int
	admins map[string]string // chat_id -> getChatAdministrators result JSON
	member map[string]string // chat_id -> getChatMember result JSON (the bot)
	chatJS map[string]string // chat_id -> getChat result JSON
	// users are the other members' statuses, "chat_id/user_id" ->
	// ChatMember JSON (none: a plain member); promoteChatMember and
	// restrictChatMember change them as Telegram does.
	users map[string]string
	// privacy: can_read_all_group_messages of getMe.
	readAll bool
	// profilePhoto is the bot's own profile photo (setMyProfilePhoto's
	// JPEG); nil = none.
	profilePhoto []byte
	// sentPolls are the polls the bot sent, "chat_id/message_id" -> the
	// poll's JSON object, for stopPoll.
	sentPolls map[string]map[string]any
	// sentAt is when each message the bot sent was, "chat_id/message_id"
	// -> Unix time; sentAgo dates the next sends that long ago (a
	// message sent days before the test).
	sentAt  map[string]int64
	sentAgo time.Duration
	// getChatGate, when set, holds each getChat answer until it is
	// closed (calls asked at the same time).
	getChatGate chan struct{}
	// customEmoji are the custom emoji stickers known, ID -> their
	// emoji (getCustomEmojiStickers).
	customEmoji map[string]string
}

type fakeUpdate struct {
	id  int64
	raw string
}

// apiCall is one request: its method, its fields (JSON-encoded values as
// sent) and its files.
type apiCall struct {
	Method string
	Params map[string]string
	Files  map[string][]byte
}

const (
	testToken = "123456:TEST-token_abcdefghijklmnopqrstuvwxyz"
	testBotID = 123456
)

func newFakeAPI(t testing.TB) *fakeAPI {
	f := &fakeAPI{token: testToken, botID: testBotID, wake: make(chan struct{}), nextUpd: 1,
		nextMsg: map[string]int{}, files: map[string][]byte{}, refuse: map[string][2]string{}, flood: map[string][]int{},
		admins: map[string]string{}, member: map[string]string{}, chatJS: map[string]string{}, users: map[string]string{},
		sentPolls: map[string]map[string]any{}, sentAt: map[string]int64{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) URL() string { return f.srv.URL }

// push queues an update (without update_id: it is given one) and returns
// its ID.
func (f *fakeAPI) push(update string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextUpd
	f.nextUpd++
	raw := `{"update_id":` + strconv.FormatInt(id, 10) + `,` + strings.TrimPrefix(strings.TrimSpace(update), "{")
	f.updates = append(f.updates, fakeUpdate{id: id, raw: raw})
	close(f.wake)
	f.wake = make(chan struct{})
	return id
}

// fail has the next getUpdates calls answered by fns, one each.
func (f *fakeAPI) fail(fns ...func(w http.ResponseWriter)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, fns...)
}

// setRefuse has method answered with an error (code "" = answer again).
func (f *fakeAPI) setRefuse(method, code, text string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if code == "" {
		delete(f.refuse, method)
		return
	}
	f.refuse[method] = [2]string{code, text}
}

// floodNext has the next calls of method answered 429 with retry_after
// seconds, one each, as the Bot API answers a bot over its limits.
func (f *fakeAPI) floodNext(method string, retryAfter ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flood[method] = append(f.flood[method], retryAfter...)
}

func (f *fakeAPI) addFile(id string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[id] = data
}

func (f *fakeAPI) callsOf(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeAPI) pollOffsets() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int64(nil), f.offsets...)
}

// confirmed reports whether the bot confirmed update id (asked for
// updates past it).
func (f *fakeAPI) confirmed(id int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, o := range f.offsets {
		if o > id {
			return true
		}
	}
	return false
}

func (f *fakeAPI) pollTimes() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.polls...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func ok(w http.ResponseWriter, result any) {
	if raw, isRaw := result.(string); isRaw {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true,"result":`+raw+`}`)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

func apiFail(w http.ResponseWriter, code int, desc string) {
	writeJSON(w, code, map[string]any{"ok": false, "error_code": code, "description": desc})
}

// params reads a request's fields: JSON body, multipart or URL-encoded.
func params(r *http.Request) (map[string]string, map[string][]byte, error) {
	out, files := map[string]string{}, map[string][]byte{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var m map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, nil, err
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				out[k] = s
			} else {
				out[k] = string(v)
			}
		}
	case "multipart/form-data":
		// go-telegram/bot sends a method without parameters (getMe) as
		// an empty body, which Telegram takes.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, nil, err
		}
		if len(body) == 0 {
			return out, files, nil
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := r.ParseMultipartForm(64 << 20); err != nil {
			return nil, nil, err
		}
		for k, v := range r.MultipartForm.Value {
			out[k] = v[0]
		}
		for k, fhs := range r.MultipartForm.File {
			fh, err := fhs[0].Open()
			if err != nil {
				return nil, nil, err
			}
			data, _ := io.ReadAll(fh)
			fh.Close()
			files[k] = data
			out[k+".filename"] = fhs[0].Filename
		}
	default:
		if err := r.ParseForm(); err != nil {
			return nil, nil, err
		}
		for k, v := range r.Form {
			out[k] = v[0]
		}
	}
	return out, files, nil
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	if rest, isFile := strings.CutPrefix(r.URL.Path, "/file/bot"); isFile {
		token, path, _ := strings.Cut(rest, "/")
		f.mu.Lock()
		data, found := f.files[strings.TrimPrefix(path, "files/")]
		f.mu.Unlock()
		if token != f.token || !found {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Write(data)
		return
	}
	rest, _ := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, _ := strings.Cut(rest, "/")
	if token != f.token {
		apiFail(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	p, files, err := params(r)
	if err != nil {
		apiFail(w, http.StatusBadRequest, "Bad Request: "+err.Error())
		return
	}
	if method == "getUpdates" {
		f.getUpdates(w, r, p)
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, apiCall{Method: method, Params: p, Files: files})
	refusal, refused := f.refuse[method]
	flood := f.flood[method]
	if len(flood) > 0 {
		f.flood[method] = flood[1:]
	}
	f.mu.Unlock()
	if len(flood) > 0 {
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error_code": http.StatusTooManyRequests,
			"description": fmt.Sprintf("Too Many Requests: retry after %d", flood[0]), "parameters": map[string]any{"retry_after": flood[0]}})
		return
	}
	if refused {
		code, _ := strconv.Atoi(refusal[0])
		apiFail(w, code, refusal[1])
		return
	}
	switch method {
	case "getMe":
		ok(w, map[string]any{"id": f.botID, "is_bot": true, "first_name": "Passerelle Test", "username": "passerelle_test_bot",
			"can_join_groups": true, "can_read_all_group_messages": f.readAll})
	case "sendMessage", "sendPhoto", "sendDocument", "sendVoice", "sendVideo", "sendAnimation", "sendLocation", "sendPoll":
		f.sent(w, method, p, files)
	case "editMessageText", "editMessageCaption":
		id, _ := strconv.Atoi(p["message_id"])
		f.mu.Lock()
		date, known := f.sentAt[p["chat_id"]+"/"+p["message_id"]]
		f.mu.Unlock()
		if !known {
			date = time.Now().Unix() - 10
		}
		if time.Since(time.Unix(date, 0)) > 48*time.Hour && f.chatOf(p["chat_id"])["type"] != "channel" {
			// Telegram's edit_time_limit, told to a bot in the Bot
			// API's words, which say no more (a channel's posts have
			// no limit).
			apiFail(w, http.StatusBadRequest, "Bad Request: message can't be edited")
			return
		}
		ok(w, map[string]any{"message_id": id, "date": date, "edit_date": time.Now().Unix(),
			"chat": f.chatOf(p["chat_id"]), "text": p["text"]})
	case "setChatTitle":
		f.chatText(w, p, "title", "CHAT_NOT_MODIFIED")
	case "setChatDescription":
		f.chatText(w, p, "description", "chat description is not modified")
	case "deleteMessage", "setMessageReaction", "sendChatAction", "leaveChat",
		"banChatMember", "unbanChatMember", "pinChatMessage", "unpinChatMessage":
		ok(w, true)
	case "getFile":
		f.mu.Lock()
		data, found := f.files[p["file_id"]]
		f.mu.Unlock()
		if !found {
			apiFail(w, http.StatusBadRequest, "Bad Request: invalid file_id")
			return
		}
		ok(w, map[string]any{"file_id": p["file_id"], "file_unique_id": "u" + p["file_id"], "file_size": len(data),
			"file_path": "files/" + p["file_id"]})
	case "getUserProfilePhotos":
		f.mu.Lock()
		_, has := f.files["avatar-"+p["user_id"]]
		f.mu.Unlock()
		if !has {
			ok(w, `{"total_count":0,"photos":[]}`)
			return
		}
		id := "avatar-" + p["user_id"]
		ok(w, `{"total_count":1,"photos":[[{"file_id":"`+id+`-small","file_unique_id":"s","width":80,"height":80},`+
			`{"file_id":"`+id+`","file_unique_id":"u`+id+`","width":320,"height":320},`+
			`{"file_id":"`+id+`-big","file_unique_id":"b","width":640,"height":640}]]}`)
	case "getChatAdministrators":
		f.mu.Lock()
		res, found := f.admins[p["chat_id"]]
		f.mu.Unlock()
		if !found {
			res = "[]"
		}
		ok(w, res)
	case "getChatMember":
		f.mu.Lock()
		res, found := f.member[p["chat_id"]]
		if p["user_id"] != strconv.FormatInt(f.botID, 10) {
			res, found = f.userStatus(p["chat_id"], p["user_id"]), true
		}
		f.mu.Unlock()
		if !found {
			res = fmt.Sprintf(`{"status":"member","user":{"id":%d,"is_bot":true,"first_name":"Passerelle Test"}}`, f.botID)
		}
		ok(w, res)
	case "promoteChatMember", "restrictChatMember":
		f.changeRights(w, method, p)
	case "setChatPhoto", "deleteChatPhoto":
		f.chatPhoto(w, method, p, files)
	case "setMyProfilePhoto", "removeMyProfilePhoto":
		f.myPhoto(w, method, p, files)
	case "stopPoll":
		f.stopPoll(w, p)
	case "getChat":
		f.mu.Lock()
		res, found := f.chatJS[p["chat_id"]]
		gate := f.getChatGate
		f.mu.Unlock()
		if gate != nil {
			<-gate
		}
		if !found {
			apiFail(w, http.StatusBadRequest, "Bad Request: chat not found")
			return
		}
		ok(w, res)
	case "getCustomEmojiStickers":
		f.customEmojiStickers(w, p)
	default:
		apiFail(w, http.StatusNotFound, "Not Found: method "+method)
	}
}

// setCustomEmoji makes id a custom emoji sticker standing for emoji.
func (f *fakeAPI) setCustomEmoji(id, emoji string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.customEmoji == nil {
		f.customEmoji = map[string]string{}
	}
	f.customEmoji[id] = emoji
}

// customEmojiStickers answers getCustomEmojiStickers: the stickers
// known, the unknown left out.
func (f *fakeAPI) customEmojiStickers(w http.ResponseWriter, p map[string]string) {
	var ids []string
	if err := json.Unmarshal([]byte(p["custom_emoji_ids"]), &ids); err != nil {
		apiFail(w, http.StatusBadRequest, "Bad Request: custom_emoji_ids: "+err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []map[string]any{}
	for _, id := range ids {
		if e, found := f.customEmoji[id]; found {
			out = append(out, map[string]any{"file_id": "ce" + id, "file_unique_id": "uce" + id, "type": "custom_emoji",
				"width": 100, "height": 100, "is_animated": true, "is_video": false, "emoji": e, "custom_emoji_id": id})
		}
	}
	ok(w, out)
}

func (f *fakeAPI) chatOf(chatID string) map[string]any {
	id, _ := strconv.ParseInt(chatID, 10, 64)
	f.mu.Lock()
	js := f.chatJS[chatID]
	f.mu.Unlock()
	if strings.Contains(js, `"type":"channel"`) {
		return map[string]any{"id": id, "type": "channel", "title": "Channel " + chatID}
	}
	if id < 0 {
		return map[string]any{"id": id, "type": "supergroup", "title": "Group " + chatID}
	}
	return map[string]any{"id": id, "type": "private", "first_name": "Person " + chatID}
}

// userStatus is a member's ChatMember JSON (f.mu held).
func (f *fakeAPI) userStatus(chatID, userID string) string {
	if res, found := f.users[chatID+"/"+userID]; found {
		return res
	}
	return `{"status":"member","user":{"id":` + userID + `,"is_bot":false,"first_name":"Person ` + userID + `"}}`
}

// basicGroup: a basic group's ID is negative without the -100 of
// supergroups and channels.
func basicGroup(chatID string) bool {
	id, _ := strconv.ParseInt(chatID, 10, 64)
	return id < 0 && id > -1_000_000_000_000 && !strings.HasPrefix(chatID, "-100")
}

// changeRights is promoteChatMember and restrictChatMember as Telegram
// answers them: supergroups (and channels, for promote) only, the owner
// untouchable, an admin not restricted; the member's status changes.
func (f *fakeAPI) changeRights(w http.ResponseWriter, method string, p map[string]string) {
	if basicGroup(p["chat_id"]) {
		if method == "promoteChatMember" {
			apiFail(w, http.StatusBadRequest, "Bad Request: method is available for supergroup and channel chats only")
		} else {
			apiFail(w, http.StatusBadRequest, "Bad Request: method is available only for supergroups")
		}
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	key := p["chat_id"] + "/" + p["user_id"]
	var cur struct {
		Status string          `json:"status"`
		User   json.RawMessage `json:"user"`
	}
	json.Unmarshal([]byte(f.userStatus(p["chat_id"], p["user_id"])), &cur)
	switch {
	case cur.Status == "creator":
		apiFail(w, http.StatusBadRequest, "Bad Request: not enough rights to change the owner's rights")
		return
	case method == "promoteChatMember":
		admin := false
		for k, v := range p {
			admin = admin || strings.HasPrefix(k, "can_") && v == "true"
		}
		if admin {
			f.users[key] = `{"status":"administrator","user":` + string(cur.User) + `,"can_be_edited":true,"is_anonymous":false,` +
				`"can_manage_chat":true,"can_delete_messages":` + strconv.FormatBool(p["can_delete_messages"] == "true") +
				`,"can_restrict_members":` + strconv.FormatBool(p["can_restrict_members"] == "true") + `,"can_promote_members":false}`
		} else {
			f.users[key] = `{"status":"member","user":` + string(cur.User) + `}`
		}
	case cur.Status == "administrator":
		apiFail(w, http.StatusBadRequest, "Bad Request: user is an administrator of the chat")
		return
	default:
		var perms map[string]bool
		if err := json.Unmarshal([]byte(p["permissions"]), &perms); err != nil {
			apiFail(w, http.StatusBadRequest, "Bad Request: can't parse permissions JSON object")
			return
		}
		all := true
		for _, k := range []string{"can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos", "can_send_videos",
			"can_send_video_notes", "can_send_voice_notes", "can_send_polls", "can_send_other_messages", "can_add_web_page_previews",
			"can_change_info", "can_invite_users", "can_pin_messages"} {
			all = all && perms[k]
		}
		if all {
			f.users[key] = `{"status":"member","user":` + string(cur.User) + `}`
			break
		}
		perms["is_member"] = true
		js, _ := json.Marshal(perms)
		f.users[key] = `{"status":"restricted","user":` + string(cur.User) + `,"until_date":0,` + strings.TrimPrefix(string(js), "{")
	}
	ok(w, true)
}

// chatText is setChatTitle (field title) and setChatDescription (field
// description) as Telegram answers them: the text becomes the chat's in
// getChat; the one the chat has already is refused (messages.editChatTitle's
// CHAT_NOT_MODIFIED, which the Bot API passes on; for a description, its
// own words for CHAT_ABOUT_NOT_MODIFIED).
func (f *fakeAPI) chatText(w http.ResponseWriter, p map[string]string, field, unchanged string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var chat map[string]any
	if err := json.Unmarshal([]byte(f.chatJS[p["chat_id"]]), &chat); err != nil {
		ok(w, true) // a chat the test does not describe: any text goes
		return
	}
	if cur, _ := chat[field].(string); cur == p[field] {
		apiFail(w, http.StatusBadRequest, "Bad Request: "+unchanged)
		return
	}
	chat[field] = p[field]
	js, _ := json.Marshal(chat)
	f.chatJS[p["chat_id"]] = string(js)
	ok(w, true)
}

// chatPhoto is setChatPhoto and deleteChatPhoto as Telegram answers a
// bot: only an admin with the right to change the info (or the owner);
// the picture becomes the chat's in getChat (photo.big_file_id, kept for
// getFile, with a new big_file_unique_id each time); CHAT_NOT_MODIFIED
// for deleting a picture the chat does not have.
func (f *fakeAPI) chatPhoto(w http.ResponseWriter, method string, p map[string]string, files map[string][]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	chatID := p["chat_id"]
	var me struct {
		Status        string `json:"status"`
		CanChangeInfo bool   `json:"can_change_info"`
	}
	json.Unmarshal([]byte(f.member[chatID]), &me)
	if me.Status != "creator" && !(me.Status == "administrator" && me.CanChangeInfo) {
		apiFail(w, http.StatusBadRequest, "Bad Request: not enough rights to change chat photo")
		return
	}
	var chat map[string]any
	if err := json.Unmarshal([]byte(f.chatJS[chatID]), &chat); err != nil {
		apiFail(w, http.StatusBadRequest, "Bad Request: chat not found")
		return
	}
	if method == "deleteChatPhoto" {
		if chat["photo"] == nil {
			apiFail(w, http.StatusBadRequest, "Bad Request: CHAT_NOT_MODIFIED")
			return
		}
		delete(chat, "photo")
	} else {
		data, up := files["photo"]
		if !up {
			apiFail(w, http.StatusBadRequest, "Bad Request: there is no photo in the request")
			return
		}
		f.nextMsg["photo"]++
		id := fmt.Sprintf("setpic%d", f.nextMsg["photo"])
		f.files[id] = data
		chat["photo"] = map[string]any{"small_file_id": id + "-small", "small_file_unique_id": "s" + id, "big_file_id": id, "big_file_unique_id": "u" + id}
	}
	js, _ := json.Marshal(chat)
	f.chatJS[chatID] = string(js)
	ok(w, true)
}

// myPhoto is setMyProfilePhoto and removeMyProfilePhoto as Telegram
// answers them (Bot API 9.4): photo is an InputProfilePhoto as JSON, a
// static one naming with attach://<name> the multipart part that holds
// its JPEG.
func (f *fakeAPI) myPhoto(w http.ResponseWriter, method string, p map[string]string, files map[string][]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	own := "avatar-" + strconv.FormatInt(f.botID, 10) // getUserProfilePhotos of the bot: its photo
	if method == "removeMyProfilePhoto" {
		f.profilePhoto = nil
		delete(f.files, own)
		ok(w, true)
		return
	}
	var in struct {
		Type  string `json:"type"`
		Photo string `json:"photo"`
	}
	if err := json.Unmarshal([]byte(p["photo"]), &in); err != nil {
		apiFail(w, http.StatusBadRequest, "Bad Request: can't parse InputProfilePhoto JSON object")
		return
	}
	if in.Type != "static" {
		apiFail(w, http.StatusBadRequest, `Bad Request: can't find field "type"`)
		return
	}
	name, attached := strings.CutPrefix(in.Photo, "attach://")
	data, up := files[name]
	if !attached || !up {
		apiFail(w, http.StatusBadRequest, "Bad Request: a profile photo must be uploaded as a new file")
		return
	}
	if _, err := jpeg.DecodeConfig(bytes.NewReader(data)); err != nil {
		apiFail(w, http.StatusBadRequest, "Bad Request: IMAGE_PROCESS_FAILED")
		return
	}
	f.profilePhoto = data
	f.files[own] = data
	ok(w, true)
}

// myProfilePhoto is the bot's profile photo; nil = none.
func (f *fakeAPI) myProfilePhoto() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.profilePhoto
}

// sent answers a send: the new message, its file kept for getFile.
func (f *fakeAPI) sent(w http.ResponseWriter, method string, p map[string]string, files map[string][]byte) {
	f.mu.Lock()
	f.nextMsg[p["chat_id"]]++
	id := 1000 + f.nextMsg[p["chat_id"]]
	date := time.Now().Add(-f.sentAgo).Unix()
	f.sentAt[p["chat_id"]+"/"+strconv.Itoa(id)] = date
	f.mu.Unlock()
	msg := map[string]any{"message_id": id, "date": date, "chat": f.chatOf(p["chat_id"]),
		"from": map[string]any{"id": f.botID, "is_bot": true, "first_name": "Passerelle Test"}}
	if p["text"] != "" {
		msg["text"] = p["text"]
	}
	if p["caption"] != "" {
		msg["caption"] = p["caption"]
	}
	if method == "sendPoll" {
		// The poll as the Bot API answers it: an ID of its own, no
		// votes yet, anonymous unless asked otherwise.
		var opts []struct {
			Text string `json:"text"`
		}
		json.Unmarshal([]byte(p["options"]), &opts)
		var options []map[string]any
		for _, o := range opts {
			options = append(options, map[string]any{"text": o.Text, "voter_count": 0})
		}
		poll := map[string]any{"id": fmt.Sprintf("sent-poll-%d", id), "question": p["question"], "options": options,
			"total_voter_count": 0, "is_closed": false, "is_anonymous": p["is_anonymous"] != "false", "type": "regular",
			"allows_multiple_answers": p["allows_multiple_answers"] == "true"}
		msg["poll"] = poll
		f.mu.Lock()
		f.sentPolls[p["chat_id"]+"/"+strconv.Itoa(id)] = poll
		f.mu.Unlock()
	}
	if method == "sendLocation" {
		lat, _ := strconv.ParseFloat(p["latitude"], 64)
		long, _ := strconv.ParseFloat(p["longitude"], 64)
		msg["location"] = map[string]any{"latitude": lat, "longitude": long}
	}
	field := strings.ToLower(strings.TrimPrefix(method, "send"))
	if data, up := files[field]; up {
		fileID := fmt.Sprintf("sent-%s-%d", field, id)
		f.addFile(fileID, data)
		switch field {
		case "photo":
			msg["photo"] = []map[string]any{{"file_id": fileID, "file_unique_id": "u" + fileID, "width": 1, "height": 1, "file_size": len(data)}}
		default:
			msg[field] = map[string]any{"file_id": fileID, "file_unique_id": "u" + fileID, "file_size": len(data),
				"file_name": p[field+".filename"]}
		}
	}
	ok(w, msg)
}

// getUpdates is long polling as Telegram does it: updates below offset
// are confirmed and forgotten; with none left, wait up to timeout
// seconds for one.
func (f *fakeAPI) getUpdates(w http.ResponseWriter, r *http.Request, p map[string]string) {
	offset, _ := strconv.ParseInt(p["offset"], 10, 64)
	timeout, _ := strconv.Atoi(p["timeout"])
	f.mu.Lock()
	f.offsets = append(f.offsets, offset)
	f.polls = append(f.polls, time.Now())
	if len(f.failures) > 0 {
		fn := f.failures[0]
		f.failures = f.failures[1:]
		f.mu.Unlock()
		fn(w)
		return
	}
	f.mu.Unlock()
	deadline := time.After(time.Duration(timeout) * time.Second)
	for {
		f.mu.Lock()
		kept := f.updates[:0]
		for _, u := range f.updates {
			if u.id >= offset {
				kept = append(kept, u)
			}
		}
		f.updates = kept
		var raws []string
		for _, u := range f.updates {
			raws = append(raws, u.raw)
		}
		wake := f.wake
		f.mu.Unlock()
		if len(raws) > 0 {
			ok(w, "["+strings.Join(raws, ",")+"]")
			return
		}
		select {
		case <-wake:
		case <-deadline:
			ok(w, "[]")
			return
		case <-r.Context().Done():
			return
		}
	}
}

// Failures of a server in trouble.
func badGateway(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusBadGateway)
	io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
}

// badGatewayBinary is a 502 whose body is not even UTF-8.
func badGatewayBinary(w http.ResponseWriter) {
	w.WriteHeader(http.StatusBadGateway)
	w.Write([]byte("\xff\xfe\x00 gateway \xc3"))
}

func badJSON(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"ok":true,"result":[{"update_id":`)
}

func unauthorized(w http.ResponseWriter) { apiFail(w, http.StatusUnauthorized, "Unauthorized") }

// stopPoll closes a poll the bot sent, as the Bot API does: another
// message (not the bot's poll) is "message with poll to stop not found",
// a closed poll "poll has already been closed". The answer is the closed
// poll, and the bot gets a poll update saying it too, as Telegram sends a
// bot every change of its polls.
func (f *fakeAPI) stopPoll(w http.ResponseWriter, p map[string]string) {
	f.mu.Lock()
	poll, found := f.sentPolls[p["chat_id"]+"/"+p["message_id"]]
	if found && poll["is_closed"] == true {
		f.mu.Unlock()
		apiFail(w, http.StatusBadRequest, "Bad Request: poll has already been closed")
		return
	}
	if found {
		poll["is_closed"] = true
	}
	f.mu.Unlock()
	if !found {
		apiFail(w, http.StatusBadRequest, "Bad Request: message with poll to stop not found")
		return
	}
	f.mu.Lock()
	b, _ := json.Marshal(poll)
	f.mu.Unlock()
	ok(w, string(b))
	f.push(`{"poll":` + string(b) + `}`)
}
