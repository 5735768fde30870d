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
	kept := keepAnswers(prev, refused, answers).GetForm().Fields
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
		if got := keepAnswers(prev, next, answers); got != next {
			t.Errorf("%s: the step was changed: %v", name, got)
		}
	}
}
