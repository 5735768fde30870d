package bridge

import (
	"errors"
	"regexp"
	"strings"
	"unicode"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// "/poll QUESTION? OPTION / OPTION ..." sent in a chat or a room starts a
// poll there (SendMessage.poll, feature poll_create); "/poll-multi" one
// where several answers may be chosen. The question may instead be the
// first line and each option a line of its own. It is sent as the user's
// message: the user's stanza stands for the poll, so a reply to it with
// "/vote 2" votes (poll_vote.go), and the network's counts correct it as
// votes come.

// pollUsage is what a "/poll" the gateway cannot read answers.
const pollUsage = "usage: /poll QUESTION? OPTION / OPTION ... (or the question on the first line, an option on each line after it); /poll-multi lets one choose several"

// pollCommand reports whether body is a "/poll" or "/poll-multi"
// command, and the poll it describes, or why it is none.
func pollCommand(body string) (p *pb.Poll, isPoll bool, problem string) {
	multiple := false
	arg, ok := slashCommand(body, "/poll")
	if !ok {
		if arg, ok = slashCommand(body, "/poll-multi"); !ok {
			return nil, false, ""
		}
		multiple = true
	}
	p = &pb.Poll{Multiple: multiple}
	if q, rest, lines := strings.Cut(arg, "\n"); lines {
		p.Question = strings.TrimSpace(q)
		for line := range strings.SplitSeq(rest, "\n") {
			if o := optionLine(line); o != "" {
				p.Options = append(p.Options, o)
			}
		}
	} else if q, rest, asked := strings.Cut(arg, "?"); asked {
		p.Question = strings.TrimSpace(q) + "?"
		for _, o := range splitOptions(rest) {
			if o = strings.TrimSpace(o); o != "" {
				p.Options = append(p.Options, o)
			}
		}
	}
	if p.Question == "" || p.Question == "?" || len(p.Options) == 0 {
		return nil, true, "a poll needs a question and its options"
	}
	if err := sdk.CheckPoll(p); err != nil {
		var e *sdk.Error
		if errors.As(err, &e) {
			return nil, true, e.Text
		}
		return nil, true, err.Error()
	}
	return p, true, ""
}

// spacedSlash is the options' separator on one line when spaced.
var spacedSlash = regexp.MustCompile(`\s/\s`)

// splitOptions splits the one-line form's options: at " / " when the
// user spaced a slash (then "24/7" and "12/31" stay whole), else at
// every "/" ("Pizza/Sushi").
func splitOptions(s string) []string {
	if spacedSlash.MatchString(s) {
		return spacedSlash.Split(s, -1)
	}
	return strings.Split(s, "/")
}

// optionLine is an option written on a line of its own, without the
// list mark it may start with ("- ", "* ", "2. ", "2) "): a number's
// mark is followed by a space, so "1.5 hours" keeps its number.
func optionLine(line string) string {
	line = strings.TrimSpace(line)
	if rest, ok := strings.CutPrefix(line, "- "); ok {
		return strings.TrimSpace(rest)
	}
	if rest, ok := strings.CutPrefix(line, "* "); ok {
		return strings.TrimSpace(rest)
	}
	digits := strings.TrimLeft(line, "0123456789")
	if len(digits) < len(line) && len(digits) > 1 && (digits[0] == '.' || digits[0] == ')') && unicode.IsSpace(rune(digits[1])) {
		return strings.TrimSpace(digits[1:])
	}
	return line
}
