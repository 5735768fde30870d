package bridge

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The chat login's form: a login step's fields asked one at a time in
// the gateway's chat (handleGatewayChat hands the answers here). An
// XMPP client sends no empty message, so a field that may stay empty or
// has a default is skipped with a word; a form refused by the network
// is asked again with the answers kept, each field to change picked by
// its number. A word the chat reads (-, skip, done, cancel) is answered
// as written after a backslash: "\-" is "-" (escapeMark).
//
// p.field says where the dialogue is, for a form of n fields: below n,
// the field asked in turn; n, the review of the kept answers; above n,
// field p.field-n-1 asked again from the review.

// The words that answer a field besides its value.
const (
	skipWord     = "-"    // the field's default, or empty
	doneWord     = "done" // this field and the rest: their defaults
	skipWordLong = "skip" // skipWord, for a field that may be skipped; else an answer
	cancelWord   = "cancel"
	// clearWord, for a field whose earlier answer was kept after a
	// refusal, goes back to the form's own default (or empty): "-" keeps
	// the earlier answer, now the field's default.
	clearWord = "clear"
	// escapeMark before one of the words (the first of the answer, for
	// cancel) makes the answer the text after it, as written: "\-" is
	// the answer "-", "\\-" is "\-".
	escapeMark = `\`
)

// unescaped is text as an answer written with escapeMark before a word
// the chat reads, that mark dropped; ok is false for any other text,
// which is taken as it is.
func unescaped(text string) (answer string, ok bool) {
	rest, found := strings.CutPrefix(text, escapeMark)
	if !found {
		return text, false
	}
	word := strings.ToLower(strings.TrimLeft(rest, escapeMark))
	first, _, _ := strings.Cut(word, " ")
	switch {
	case word == skipWord, word == skipWordLong, word == doneWord, word == clearWord, first == cancelWord:
		return rest, true
	}
	return text, false
}

// takesText reports whether f's answer is free text, where a literal
// "-" or "skip" may be meant (no yes/no, no options but such a word).
func takesText(f *pb.FormField) bool {
	if f.Type == pb.FieldType_FIELD_TYPE_BOOLEAN {
		return false
	}
	if len(f.Options) == 0 {
		return true
	}
	for _, o := range f.Options {
		if _, ok := unescaped(escapeMark + o); ok {
			return true
		}
	}
	return false
}

// skippable reports whether f may be left to its default or empty.
func skippable(f *pb.FormField) bool { return !f.Required || f.DefaultValue != "" }

// restSkippable reports whether the fields from i on are all skippable.
func restSkippable(fields []*pb.FormField, i int) bool {
	for _, f := range fields[i:] {
		if !skippable(f) {
			return false
		}
	}
	return true
}

// yesNo reads a boolean field's answer.
func yesNo(s string) (v, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "y", "true", "on", "1":
		return true, true
	case "no", "n", "false", "off", "0":
		return false, true
	}
	return false, false
}

// fieldLabel is f's label, else its ID.
func fieldLabel(f *pb.FormField) string {
	if f.Label != "" {
		return f.Label
	}
	return f.Id
}

// shown is value as the chat shows it for f: yes or no for a boolean,
// nothing of a password or code but whether there is one.
func shown(f *pb.FormField, value string) string {
	switch {
	case value == "":
		return "(empty)"
	case f.Type == pb.FieldType_FIELD_TYPE_PASSWORD || f.Type == pb.FieldType_FIELD_TYPE_CODE:
		return "(given, not shown)"
	case f.Type == pb.FieldType_FIELD_TYPE_BOOLEAN:
		if v, ok := yesNo(value); ok {
			if v {
				return "yes"
			}
			return "no"
		}
	}
	return value
}

// askNext asks the current form's next field in the chat, or shows the
// kept answers of a refused form.
func (t *transport) askNext(ctx context.Context, p *loginProc) {
	step, _, _ := p.current()
	form := step.GetForm()
	if form == nil {
		return
	}
	n := len(form.Fields)
	if n == 0 {
		t.submit(ctx, p, map[string]string{})
		return
	}
	p.mu.Lock()
	if p.field == 0 && step.Error != "" && n > 1 && restSkippable(form.Fields, 0) {
		// Refused, with every required field answered before (keepAnswers):
		// the user changes what was wrong, not all again.
		p.field = n
	}
	i := p.field
	answers := make(map[string]string, len(p.answers))
	for k, v := range p.answers {
		answers[k] = v
	}
	edited := p.edited
	own := p.own
	p.mu.Unlock()
	var b strings.Builder
	switch {
	case i == n:
		if step.Error != "" && !edited {
			// Once a field was answered again, the error may be about
			// what is fixed now: only the plugin can tell, on done.
			b.WriteString(step.Error + "\n")
		}
		b.WriteString("Your answers:")
		for k, f := range form.Fields {
			v, ok := answers[f.Id]
			if !ok {
				v = f.DefaultValue
			}
			fmt.Fprintf(&b, "\n  %d. %s: %s", k+1, fieldLabel(f), shown(f, v))
		}
		fmt.Fprintf(&b, "\nSend a field's number to change it, %s to send the form again, or cancel to stop.", doneWord)
	case i > n:
		f := form.Fields[i-n-1]
		t.writeQuestion(&b, f, false)
		if d, ok := clearable(f, own); ok {
			fmt.Fprintf(&b, "\nSend %s to take the form's own default instead: %s.", clearWord, shown(f, d))
		}
		b.WriteString("\nSend cancel to stop.")
	default:
		if i == 0 && step.Error != "" {
			b.WriteString(step.Error + "\n")
		}
		if i == 0 && step.Instructions != "" {
			b.WriteString(step.Instructions + "\n")
		}
		t.writeQuestion(&b, form.Fields[i], i < n-1 && restSkippable(form.Fields, i))
		b.WriteString("\nSend cancel to stop.")
	}
	t.send(ctx, t.chat(p.user, b.String()))
}

// clearable reports whether f's default is an earlier answer kept after
// a refusal (own, see keepAnswers) that clearWord may drop, and the
// form's own default it goes back to: only where that is an answer (an
// optional field, or one with a default of its own).
func clearable(f *pb.FormField, own map[string]string) (string, bool) {
	d, ok := own[f.Id]
	if !ok || d == f.DefaultValue || (f.Required && d == "") {
		return "", false
	}
	return d, true
}

// writeQuestion writes the question asking f: its label, description and
// options, its default, and how to skip it; offerDone: "done" may send
// the form with the defaults for f and the fields after it.
func (t *transport) writeQuestion(b *strings.Builder, f *pb.FormField, offerDone bool) {
	b.WriteString(fieldLabel(f) + "?")
	if f.Description != "" {
		b.WriteString(" " + f.Description)
	}
	switch {
	case f.Type == pb.FieldType_FIELD_TYPE_BOOLEAN:
		b.WriteString(" (yes/no)")
	case len(f.Options) > 0:
		b.WriteString(" (one of: " + strings.Join(f.Options, ", ") + ")")
	}
	if f.DefaultValue != "" {
		b.WriteString("\nDefault: " + shown(f, f.DefaultValue) + ".")
	}
	if skippable(f) {
		what := "leave it empty"
		if f.DefaultValue != "" {
			what = "take the default"
		}
		fmt.Fprintf(b, "\nSend %s (or %s) to %s", skipWord, skipWordLong, what)
		if offerDone {
			fmt.Fprintf(b, ", %s to send the form with the defaults for this and the rest", doneWord)
		}
		b.WriteString(".")
		if takesText(f) {
			// Only here are the words both read and a likely answer.
			fmt.Fprintf(b, " To answer with such a word itself, put %s before it (%s%s).", escapeMark, escapeMark, skipWord)
		}
	}
	if f.Type == pb.FieldType_FIELD_TYPE_PASSWORD {
		b.WriteString("\n(Your answer stays in this chat's history; the login command of your client keeps it private.)")
	}
}

// fieldAnswer reads text as the answer to f: the value to send, or a
// problem to tell (the field is then asked again alone); done: the user
// sent doneWord where canFinish allows it.
func fieldAnswer(f *pb.FormField, text string, canFinish bool) (value, problem string, done bool) {
	if lit, ok := unescaped(text); ok {
		v, problem := fieldValue(f, lit)
		return v, problem, false
	}
	word := strings.ToLower(text)
	switch {
	case word == doneWord && canFinish:
		return f.DefaultValue, "", true
	case word == skipWord || (word == skipWordLong && skippable(f)):
		// "skip" asked to skip a field that cannot be skipped is the
		// answer itself (a nick, a name: Skip); "-" is no real answer.
		if !skippable(f) {
			problem := fieldLabel(f) + " must be answered: it has no default to take."
			if word == skipWord && takesText(f) {
				problem += fmt.Sprintf(" To answer %s itself, send %s%s.", skipWord, escapeMark, skipWord)
			}
			return "", problem, false
		}
		return f.DefaultValue, "", false
	}
	v, problem := fieldValue(f, text)
	return v, problem, false
}

// fieldValue reads text, no word of the chat's, as f's value: a yes or
// no for a boolean, one of its options, else the text as it is; or the
// problem to tell.
func fieldValue(f *pb.FormField, text string) (value, problem string) {
	switch {
	case f.Type == pb.FieldType_FIELD_TYPE_BOOLEAN:
		v, ok := yesNo(text)
		if !ok {
			return "", fmt.Sprintf("%s: answer yes or no, not %q.", fieldLabel(f), text)
		}
		return strconv.FormatBool(v), ""
	case len(f.Options) > 0:
		for _, o := range f.Options {
			if strings.EqualFold(o, text) {
				return o, ""
			}
		}
		return "", fmt.Sprintf("%s: %q is not one of %s.", fieldLabel(f), text, strings.Join(f.Options, ", "))
	}
	return text, ""
}

// answer takes the reply to the field being asked (or, in the review of
// a refused form, the number of the field to change); the last answer,
// or done, submits the form.
func (t *transport) answer(ctx context.Context, p *loginProc, form *pb.FormStep, text string) {
	say := func(s string) { t.send(ctx, t.chat(p.user, s)) }
	n := len(form.Fields)
	p.mu.Lock()
	i := p.field
	p.mu.Unlock()
	if i == n {
		if strings.EqualFold(text, doneWord) {
			t.checkAnswers(ctx, p, form)
			return
		}
		k, err := strconv.Atoi(text)
		if err != nil || k < 1 || k > n {
			say(fmt.Sprintf("Send a field's number, from 1 to %d, %s to send the form again, or cancel to stop.", n, doneWord))
			return
		}
		p.mu.Lock()
		p.field = n + k
		p.mu.Unlock()
		t.askNext(ctx, p)
		return
	}
	k, again := i, i > n
	if again {
		k = i - n - 1
	}
	if k >= n {
		return
	}
	f := form.Fields[k]
	p.mu.Lock()
	own := p.own
	p.mu.Unlock()
	var value, problem string
	var done bool
	if d, ok := clearable(f, own); ok && again && strings.EqualFold(text, clearWord) {
		value = d
	} else {
		value, problem, done = fieldAnswer(f, text, !again && restSkippable(form.Fields, k))
	}
	if problem != "" {
		say(problem)
		t.askNext(ctx, p)
		return
	}
	p.mu.Lock()
	p.answers[f.Id] = value
	switch {
	case again:
		p.field = n
		p.edited = true
	case !done:
		p.field++
	}
	more := again || (!done && p.field < n)
	p.mu.Unlock()
	if more {
		t.askNext(ctx, p)
		return
	}
	t.checkAnswers(ctx, p, form)
}

// checkAnswers hands the chat's answers to the plugin (a field not
// answered with its default) off the chat's worker: a network may take
// its time to check a code, and meanwhile the chat still answers (cancel
// works; anything else hears the answers are being checked). The next
// step ends the check (setStep).
func (t *transport) checkAnswers(ctx context.Context, p *loginProc, form *pb.FormStep) {
	p.mu.Lock()
	p.checking = true
	answers := make(map[string]string, len(form.Fields))
	for _, f := range form.Fields {
		v, ok := p.answers[f.Id]
		if !ok {
			v = f.DefaultValue
		}
		answers[f.Id] = v
	}
	p.mu.Unlock()
	t.goBg(func() { t.submitKeeping(ctx, p, form, answers) })
}

// submitKeeping is submit, keeping the answers in a form the network
// refuses (keepAnswers).
func (t *transport) submitKeeping(ctx context.Context, p *loginProc, form *pb.FormStep, answers map[string]string) {
	next, err := t.submitted(ctx, p, answers)
	var own map[string]string
	if err == nil {
		next, own = keepAnswers(form, next, answers)
	}
	p.mu.Lock()
	p.nextOwn = own
	p.mu.Unlock()
	p.setStep(ctx, next, err)
}

// keepAnswers is next, the network's answer to the form prev answered
// with answers; when it refuses the same form of several fields, a copy
// whose fields default to the answers given (a one-time code's aside),
// so that the user changes the wrong one and keeps the rest. The
// contract does not say which field was wrong: the error says it in
// words. own is, for each field whose default became its answer, the
// form's own default (clearWord goes back to it).
func keepAnswers(prev *pb.FormStep, next *pb.LoginStep, answers map[string]string) (kept *pb.LoginStep, own map[string]string) {
	form := next.GetForm()
	if next.GetError() == "" || form == nil || len(form.Fields) < 2 || len(form.Fields) != len(prev.GetFields()) {
		return next, nil
	}
	for k, f := range form.Fields {
		if f.Id != prev.Fields[k].Id {
			return next, nil
		}
	}
	kept = proto.Clone(next).(*pb.LoginStep)
	own = map[string]string{}
	for _, f := range kept.GetForm().Fields {
		if v := answers[f.Id]; v != "" && f.Type != pb.FieldType_FIELD_TYPE_CODE {
			own[f.Id] = f.DefaultValue
			f.DefaultValue = v
		}
	}
	return kept, own
}

// isChecking reports whether the process's answers are with the plugin.
func (p *loginProc) isChecking() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.checking
}

// idle reports whether p waits for the user's answer and has for longer
// than loginIdle (neither a check nor a display step's wait under way:
// those end by themselves).
func (p *loginProc) idle() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.checking && !p.waiting && !p.done && time.Since(p.touched) > loginIdle
}
