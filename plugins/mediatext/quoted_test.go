package mediatext

import "testing"

func TestQuotedFileText(t *testing.T) {
	for _, tc := range []struct{ mime, name, want string }{
		{"image/jpeg", "", "[Photo]"},
		{"video/mp4", "clip.mp4", "[Video: clip.mp4]"},
		{"audio/ogg", "", "[Audio]"},
		{"application/pdf", "report.pdf", "[File: report.pdf]"},
		{"", "", "[File]"},
	} {
		if got := QuotedFileText(FileKind(tc.mime), tc.name); got != tc.want {
			t.Errorf("%q %q: %q, want %q", tc.mime, tc.name, got, tc.want)
		}
	}
}

func TestButtonsText(t *testing.T) {
	if got := ButtonsText(nil, true, "in Telegram"); got != "" {
		t.Errorf("no buttons: %q", got)
	}
	labels := []string{"Yes", WithURL("Docs", "https://example.org/"), WithURL("", "https://example.org/x")}
	if got, want := ButtonsText(labels, true, "in Telegram"), "Buttons: Yes / Docs (https://example.org/) / https://example.org/x (press them in Telegram)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := ButtonsText(labels[1:], false, "in Telegram"), "Buttons: Docs (https://example.org/) / https://example.org/x"; got != want {
		t.Errorf("links only: %q, want %q", got, want)
	}
}

func TestWithButtons(t *testing.T) {
	for _, tc := range []struct{ text, b, want string }{
		{"Pick one", "Buttons: Yes / No", "Pick one\nButtons: Yes / No"},
		{"Pick one", "", "Pick one"},
		{"", "Buttons: Yes / No", "Buttons: Yes / No"},
		{"", "", ""},
	} {
		if got := WithButtons(tc.text, tc.b); got != tc.want {
			t.Errorf("%q %q: %q, want %q", tc.text, tc.b, got, tc.want)
		}
	}
}
