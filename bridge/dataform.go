package bridge

import (
	"strings"

	"passerelle.im/passerelle/bridge/wire"
)

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

// submitted tells how a data form x a client sent answers a form the
// gateway offered (XEP-0004 §3.1): cancelled, a form of type cancel (the
// user gave up: nothing is done); or bad, why it is no submission: a
// form of another type than submit (a form or a result echoed back),
// which, taken, acted on what the user never submitted. A form with no
// type is taken, as some clients send it, and as the room
// configuration's and the archive's query forms take it.
func submitted(x *wire.Element) (cancelled bool, bad string) {
	switch typ := x.Attr("type"); typ {
	case "cancel":
		return true, ""
	case "submit", "":
		return false, ""
	default:
		return false, "a data form is answered with one of type 'submit' (or 'cancel' to give up), not '" + typ + "'"
	}
}

// formTypeOf is the FORM_TYPE (XEP-0068) of a submitted data form x,
// "" for none, or why it cannot be read (bad): the field given twice or
// with other than one value.
func formTypeOf(x *wire.Element) (formType, bad string) {
	seen := false
	for i := range x.Children {
		f := &x.Children[i]
		if f.XMLName.Local != "field" || f.Attr("var") != "FORM_TYPE" {
			continue
		}
		values := fieldValues(f)
		if seen || len(values) != 1 {
			return "", "the form's FORM_TYPE takes one value, given once"
		}
		seen, formType = true, strings.TrimSpace(values[0])
	}
	return formType, ""
}

// resultForm starts a result form (XEP-0004 §3.4) titled title, its
// reported fields cols (each its var, type and label), and leaves it
// open for its items (formItem) and End.
func resultForm(w *wire.Writer, title string, cols ...[3]string) {
	w.Start("x", wire.NSData).Attr("type", "result").Leaf("title", "", title)
	w.Start("reported", "")
	for _, c := range cols {
		w.Start("field", "").Attr("var", c[0]).Attr("type", c[1]).Attr("label", c[2]).End()
	}
	w.End()
}

// formItem writes one item of a result form: each field's var and value.
func formItem(w *wire.Writer, fields ...[2]string) {
	w.Start("item", "")
	for _, f := range fields {
		w.Start("field", "").Attr("var", f[0]).Leaf("value", "", f[1]).End()
	}
	w.End()
}
