package bridge

import (
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// keepAnswers keeps the answers of a refused form of several fields as
// its defaults, a one-time code's aside (a wrong code is no answer to
// keep), and leaves alone a form that went on, a single field (asked
// again as it was) and another form.
func TestKeepAnswers(t *testing.T) {
	fields := func() []*pb.FormField {
		return []*pb.FormField{
			{Id: "name", Type: pb.FieldType_FIELD_TYPE_USERNAME, Required: true},
			{Id: "code", Type: pb.FieldType_FIELD_TYPE_CODE},
			{Id: "note", DefaultValue: "hi"},
		}
	}
	prev := &pb.FormStep{Fields: fields()}
	answers := map[string]string{"name": "ann", "code": "1234", "note": ""}
	step := func(errText string, f []*pb.FormField) *pb.LoginStep {
		return &pb.LoginStep{Error: errText, Step: &pb.LoginStep_Form{Form: &pb.FormStep{Fields: f}}}
	}

	refused := step("wrong", fields())
	keptStep, own := keepAnswers(prev, refused, answers)
	kept := keptStep.GetForm().Fields
	if d, ok := own["name"]; !ok || d != "" || len(own) != 1 {
		t.Errorf("own defaults %v, want name's own (none) alone", own)
	}
	if kept[0].DefaultValue != "ann" || kept[1].DefaultValue != "" || kept[2].DefaultValue != "hi" {
		t.Errorf("kept defaults %q %q %q, want ann, none for the code, hi", kept[0].DefaultValue, kept[1].DefaultValue, kept[2].DefaultValue)
	}
	if refused.GetForm().Fields[0].DefaultValue != "" {
		t.Error("the network's step was changed, not copied")
	}
	for name, next := range map[string]*pb.LoginStep{
		"no error":     step("", fields()),
		"single field": step("wrong", fields()[:1]),
		"other fields": step("wrong", []*pb.FormField{{Id: "phone"}, {Id: "code"}, {Id: "note"}}),
	} {
		if got, _ := keepAnswers(prev, next, answers); got != next {
			t.Errorf("%s: the step was changed: %v", name, got)
		}
	}
}

// TestFieldAnswerEscaped: a backslash before a word the chat reads makes
// the answer that word as written; one backslash less before any number
// of them; any other text, backslash or not, is the answer as it is.
func TestFieldAnswerEscaped(t *testing.T) {
	note := &pb.FormField{Id: "note"}
	for in, want := range map[string]string{
		`\-`:          "-",
		`\Skip`:       "Skip",
		`\done`:       "done",
		`\cancel it`:  "cancel it",
		`\\-`:         `\-`,
		`\-x`:         `\-x`,
		`\- x`:        `\- x`,
		`\no`:         `\no`,
		`a\-`:         `a\-`,
		`\\\skip`:     `\\skip`,
		`\cancelling`: `\cancelling`,
	} {
		v, problem, done := fieldAnswer(note, in, true)
		if v != want || problem != "" || done {
			t.Errorf("answer %q: %q %q %v, want %q", in, v, problem, done, want)
		}
	}
	if v, _, done := fieldAnswer(note, "done", true); v != "" || !done {
		t.Errorf("done unescaped: %q %v, want the form sent", v, done)
	}
	tls := &pb.FormField{Id: "tls", Type: pb.FieldType_FIELD_TYPE_BOOLEAN, DefaultValue: "true"}
	if _, problem, _ := fieldAnswer(tls, `\-`, false); problem == "" {
		t.Error(`a yes/no answered \-: want it asked again`)
	}
}
