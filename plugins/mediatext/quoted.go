package mediatext

import "strings"

// FileKind is what a file of MIME type mimeType is called in a quote:
// "Photo", "Video", "Audio", else "File".
func FileKind(mimeType string) string {
	switch major, _, _ := strings.Cut(mimeType, "/"); major {
	case "image":
		return "Photo"
	case "video":
		return "Video"
	case "audio":
		return "Audio"
	}
	return "File"
}

// QuotedFileText is how a reply quotes a message without text, by its
// file: "[Photo]", "[File: report.pdf]".
func QuotedFileText(kind, name string) string {
	if name != "" {
		return "[" + kind + ": " + name + "]"
	}
	return "[" + kind + "]"
}

// ButtonsText is a keyboard of buttons as a line after its message (XMPP
// has no buttons): the labels in order, and, when some are not links
// (press), where to press them; "" for none.
func ButtonsText(labels []string, press bool, where string) string {
	if len(labels) == 0 {
		return ""
	}
	line := "Buttons: " + strings.Join(labels, " / ")
	if press {
		line += " (press them " + where + ")"
	}
	return line
}

// WithButtons is text with its buttons line b (ButtonsText) after it, on
// a line of its own; either alone when the other is "".
func WithButtons(text, b string) string {
	if b == "" || text == "" {
		return text + b
	}
	return text + "\n" + b
}

// WithURL is a link button's label and the link it opens.
func WithURL(label, url string) string {
	switch {
	case url == "":
		return label
	case label == "":
		return url
	}
	return label + " (" + url + ")"
}
