package bridge

import "passerelle.im/passerelle/bridge/wire"

// fieldValues is what a submitted data form's field f gives (XEP-0004):
// the text of each of its <value/> children, in order, as sent. Its
// readers (configName, mamQuery.parseForm) judge how many a field takes
// and trim them.
func fieldValues(f *wire.Element) []string {
	var values []string
	for i := range f.Children {
		if v := &f.Children[i]; v.XMLName.Local == "value" {
			values = append(values, v.Text)
		}
	}
	return values
}
