package xmpptest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
)

// UploadSlot is the XEP-0363 slot a file was put in.
type UploadSlot struct {
	PutURL, GetURL string
}

// Upload puts data on the server the way a client does: it asks service
// for an XEP-0363 slot, then PUTs data there with the headers the slot
// names (http_file_share authorizes the PUT with one).
func (c *Client) Upload(ctx context.Context, service, name, mime string, data []byte) (UploadSlot, error) {
	return c.UploadReader(ctx, service, name, mime, int64(len(data)), bytes.NewReader(data))
}

// UploadReader is Upload of a file of size bytes read from r, streamed.
func (c *Client) UploadReader(ctx context.Context, service, name, mime string, size int64, r io.Reader) (UploadSlot, error) {
	st, err := c.IQ(ctx, fmt.Sprintf(`<iq type='get' to='%s'><request xmlns='urn:xmpp:http:upload:0' filename='%s' size='%d' content-type='%s'/></iq>`,
		service, name, size, mime))
	if err != nil {
		return UploadSlot{}, fmt.Errorf("upload slot: %w", err)
	}
	var slot struct {
		Put struct {
			URL     string `xml:"url,attr"`
			Headers []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:",chardata"`
			} `xml:"header"`
		} `xml:"slot>put"`
		Get struct {
			URL string `xml:"url,attr"`
		} `xml:"slot>get"`
	}
	if err := st.Unmarshal(&slot); err != nil || st.Type != "result" {
		return UploadSlot{}, fmt.Errorf("upload slot: %s (%v)", st.XML, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, slot.Put.URL, io.NopCloser(r))
	if err != nil {
		return UploadSlot{}, err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", mime)
	for _, h := range slot.Put.Headers {
		req.Header.Set(h.Name, h.Value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return UploadSlot{}, fmt.Errorf("PUT: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return UploadSlot{}, fmt.Errorf("PUT: %s", resp.Status)
	}
	return UploadSlot{PutURL: slot.Put.URL, GetURL: slot.Get.URL}, nil
}
