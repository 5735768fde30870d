package sdk_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestContractDocumented: every message, field, enum value and call of
// transport.proto is named in docs/plugins.md, the plugin author's guide,
// so that a field added to the contract without a word on what it means,
// who sets it and its limits fails here. A message is named as itself
// (`Chat`); a field as `Message.field`, or as `field` in a paragraph,
// table row or list item that names its message; an enum value whole
// (`CHAT_TYPE_GROUP`) or without its enum's prefix (`GROUP`); a call by
// its name. The request and response wrappers of one call (InitRequest,
// ChatListResponse) may go unnamed: their fields are the call's
// arguments and answers, named in the call's paragraph.
func TestContractDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/plugins.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := docBlocks(string(doc))
	file := pb.File_plugins_proto_transport_proto
	var missing []string
	named := func(name string) bool { return mentions(string(doc), name) }
	svcs := file.Services()
	for i := range svcs.Len() {
		ms := svcs.Get(i).Methods()
		for j := range ms.Len() {
			if m := ms.Get(j); !named(string(m.Name())) {
				missing = append(missing, "call "+string(m.Name()))
			}
		}
	}
	var walkMsg func(md protoreflect.MessageDescriptor)
	var walkEnum func(ed protoreflect.EnumDescriptor)
	walkEnum = func(ed protoreflect.EnumDescriptor) {
		prefix := enumPrefix(ed)
		vs := ed.Values()
		for i := range vs.Len() {
			v := string(vs.Get(i).Name())
			if strings.HasSuffix(v, "_UNSPECIFIED") {
				continue // proto3's zero value, "not set"
			}
			if !named(v) && !named(strings.TrimPrefix(v, prefix)) {
				missing = append(missing, "enum value "+strings.TrimPrefix(string(ed.FullName()), string(file.Package())+".")+"."+v)
			}
		}
	}
	walkMsg = func(md protoreflect.MessageDescriptor) {
		name := string(md.Name())
		wrapper := strings.HasSuffix(name, "Request") || strings.HasSuffix(name, "Response")
		if !wrapper && !named(name) {
			missing = append(missing, "message "+name)
		}
		fs := md.Fields()
		for i := range fs.Len() {
			f := string(fs.Get(i).Name())
			if named(name+"."+f) || slices.ContainsFunc(blocks, func(b string) bool {
				return (wrapper || mentions(b, name)) && mentions(b, f)
			}) {
				continue
			}
			missing = append(missing, "field "+name+"."+f)
		}
		es := md.Enums()
		for i := range es.Len() {
			walkEnum(es.Get(i))
		}
		ns := md.Messages()
		for i := range ns.Len() {
			if !ns.Get(i).IsMapEntry() {
				walkMsg(ns.Get(i))
			}
		}
	}
	ms := file.Messages()
	for i := range ms.Len() {
		walkMsg(ms.Get(i))
	}
	es := file.Enums()
	for i := range es.Len() {
		walkEnum(es.Get(i))
	}
	for _, m := range missing {
		t.Errorf("docs/plugins.md does not describe the contract's %s", m)
	}
}

// docBlocks splits the guide into paragraphs, list items and table rows:
// the units in which a field is described beside its message. A list
// item or a table row carries the paragraph that leads into its list or
// table ("`Init` answers what the network is: ..." before the
// Capabilities' fields), and a table row its table's header.
func docBlocks(doc string) []string {
	var blocks []string
	var cur strings.Builder
	// lead: the paragraph before a list; header: a table's lead (the
	// block before it) and its first row; prev: the last block.
	var lead, header, prev string
	inList := false
	flush := func() {
		if cur.Len() == 0 {
			return
		}
		if inList {
			blocks = append(blocks, lead+cur.String())
		} else {
			blocks = append(blocks, cur.String())
			lead = cur.String()
		}
		prev = cur.String()
		cur.Reset()
	}
	for line := range strings.SplitSeq(doc, "\n") {
		trim := strings.TrimSpace(line)
		switch {
		case trim == "":
			flush()
			continue
		case strings.HasPrefix(trim, "#"):
			flush()
			inList, lead, header, prev = false, "", "", ""
			continue
		case strings.HasPrefix(trim, "|"):
			flush()
			if header == "" {
				header = prev + trim + "\n"
			}
			blocks = append(blocks, header+trim)
			continue
		case strings.HasPrefix(trim, "- "), listItem.MatchString(trim):
			flush()
			inList = true
		case cur.Len() == 0 && !strings.HasPrefix(line, " "):
			// A paragraph at the margin ends a list and a table.
			inList, header = false, ""
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	flush()
	return blocks
}

var listItem = regexp.MustCompile(`^[0-9]+\. `)

// mentions reports whether text names name as a whole word (not inside
// another: `id` is not in `chat_id`).
func mentions(text, name string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], name)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(name)
		if (j == 0 || !wordByte(text[j-1])) && (end == len(text) || !wordByte(text[end])) {
			return true
		}
		i = j + 1
	}
}

func wordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// enumPrefix is the prefix proto's style puts before each of an enum's
// values: its name in upper snake case and "_" (ChatType: "CHAT_TYPE_").
func enumPrefix(ed protoreflect.EnumDescriptor) string {
	var b strings.Builder
	for i, r := range string(ed.Name()) {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String()) + "_"
}
