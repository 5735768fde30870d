package wafake

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

// HistoryNotice has the phone send a history sync as WhatsApp does: a
// notice (a protocol message from the user's phone) naming the blob,
// which the plugin downloads (DownloadHistorySync). The blob rides in
// the notice (its inline payload, as WhatsApp sends the first, small
// one), so that whatsmeow's own DownloadHistorySync reads it without
// dialling WhatsApp's media servers. It returns the notice's message
// ID.
func (c *Client) HistoryNotice(ctx context.Context, data *waHistorySync.HistorySync) (types.MessageID, error) {
	raw, err := proto.Marshal(data)
	if err != nil {
		return "", err
	}
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	if _, err := w.Write(raw); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	notif := &waE2E.HistorySyncNotification{
		SyncType:                          waE2E.HistorySyncType(data.GetSyncType()).Enum(),
		ChunkOrder:                        proto.Uint32(data.GetChunkOrder()),
		Progress:                          proto.Uint32(data.GetProgress()),
		InitialHistBootstrapInlinePayload: z.Bytes(),
	}
	return c.historyNotice(ctx, func(types.MessageID) *waE2E.HistorySyncNotification { return notif })
}

// HistoryNoticeGone has the phone send a history sync notice naming a
// blob WhatsApp's media servers no longer have (as one of weeks ago, or
// one the phone's upload of failed): its download fails with 410, as
// whatsmeow's does. It returns the notice's message ID.
func (c *Client) HistoryNoticeGone(ctx context.Context, syncType waHistorySync.HistorySync_HistorySyncType) (types.MessageID, error) {
	notif := &waE2E.HistorySyncNotification{
		SyncType: waE2E.HistorySyncType(syncType).Enum(),
		MediaKey: make([]byte, 32), FileSHA256: make([]byte, 32), FileEncSHA256: make([]byte, 32),
	}
	return c.historyNotice(ctx, func(id types.MessageID) *waE2E.HistorySyncNotification {
		notif.DirectPath = proto.String("/v/t62.gone/" + string(id))
		return notif
	})
}

// historyNotice sends the notice notif makes for its message ID from the
// user's phone.
func (c *Client) historyNotice(ctx context.Context, notif func(types.MessageID) *waE2E.HistorySyncNotification) (types.MessageID, error) {
	c.mu.Lock()
	if c.dev.ID == nil {
		c.mu.Unlock()
		return "", whatsmeow.ErrNotLoggedIn
	}
	own := c.dev.ID.ToNonAD()
	c.nextID++
	id := types.MessageID(fmt.Sprintf("3EB0HIST%08d", c.nextID))
	c.mu.Unlock()
	phone := own
	phone.Device = 0
	c.Receive(ctx, &types.MessageInfo{
		MessageSource: types.MessageSource{Chat: own, Sender: phone, IsFromMe: true},
		ID:            id, Timestamp: time.Now(), Category: "peer",
	}, &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
		Type: waE2E.ProtocolMessage_HISTORY_SYNC_NOTIFICATION.Enum(), HistorySyncNotification: notif(id),
	}})
	return id, nil
}

// FailHistory has the history sync downloads fail with the HTTP status
// given (a 503: WhatsApp's media servers down), as whatsmeow's fails once
// its own tries on every media host are spent; 0 has them work again.
func (c *Client) FailHistory(status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.histStatus = status
}

// HoldHistory holds the plugin's history sync downloads (they wait, or
// end with their context) until called with false.
func (c *Client) HoldHistory(hold bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case hold && c.histHold == nil:
		c.histHold = make(chan struct{})
	case !hold && c.histHold != nil:
		close(c.histHold)
		c.histHold = nil
	}
}

// DownloadHistorySync is whatsmeow's own, on a notice's inline payload
// (HistoryNotice's): it parses the blob and, with synchronousStorage,
// stores what it holds before it returns. Not connected, it fails as
// whatsmeow's media connection does; a blob gone (HistoryNoticeGone),
// or the media servers failing (FailHistory), as its download does.
func (c *Client) DownloadHistorySync(ctx context.Context, notif *waE2E.HistorySyncNotification, synchronousStorage bool) (*waHistorySync.HistorySync, error) {
	c.mu.Lock()
	hold, status := c.histHold, c.histStatus
	c.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return nil, fmt.Errorf("failed to download: %w", ctx.Err())
		}
	}
	if !c.IsConnected() {
		return nil, fmt.Errorf("failed to download: failed to refresh media connections: %w", whatsmeow.ErrNotConnected)
	}
	if status != 0 {
		return nil, fmt.Errorf("failed to download: failed to download media from last host: %w",
			whatsmeow.DownloadHTTPError{Response: &http.Response{StatusCode: status}})
	}
	if notif.InitialHistBootstrapInlinePayload == nil && strings.HasPrefix(notif.GetDirectPath(), "/v/t62.gone/") {
		return nil, fmt.Errorf("failed to download history sync blob: %w", whatsmeow.ErrMediaDownloadFailedWith410)
	}
	if notif.InitialHistBootstrapInlinePayload == nil {
		return nil, errors.New("wafake: a history sync blob rides in its notice (HistoryNotice)")
	}
	return c.Real.DownloadHistorySync(ctx, notif, synchronousStorage)
}
