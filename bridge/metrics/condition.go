package metrics

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
)

// nsStanzas is the namespace of RFC 6120 stanza error conditions.
const nsStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"

// Condition returns the RFC 6120 condition of an error stanza
// ("item-not-found"), or "" when data is not an error stanza. Only the
// first tag is looked at for anything else: most stanzas cost a scan of a
// few dozen bytes.
func Condition(data []byte) string {
	end := bytes.IndexByte(data, '>')
	if end < 0 || !isError(data[:end]) {
		return ""
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	depth := 0
	inError := false
	for {
		tok, err := d.Token()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return "undefined-condition"
			}
			break
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 2 && tok.Name.Local == "error":
				inError = true
			case depth == 3 && inError && tok.Name.Space == nsStanzas && tok.Name.Local != "text":
				return tok.Name.Local
			}
		case xml.EndElement:
			if depth == 2 {
				inError = false
			}
			depth--
		}
	}
	return "undefined-condition"
}

// isError reports whether a start tag has type="error" or type='error'.
func isError(tag []byte) bool {
	return bytes.Contains(tag, []byte(` type="error"`)) || bytes.Contains(tag, []byte(` type='error'`))
}
