package bridge

import (
	"slices"
	"testing"
)

// TestPollOptionsAsWritten: the options of "/poll" are the ones the user
// wrote: a line starting with a decimal number ("1.5 hours") is no list
// mark, and a slash inside an option ("12/24") stays when the options
// are separated by a spaced " / "; unspaced slashes still separate
// ("Pizza/Sushi"), and list marks still go ("2. ", "3) ", "- ").
func TestPollOptionsAsWritten(t *testing.T) {
	for _, c := range []struct {
		body string
		want []string
	}{
		{"/poll How much water a day?\n0.5 litres\n1.5 litres\n2 litres", []string{"0.5 litres", "1.5 litres", "2 litres"}},
		{"/poll How long?\n1.5 hours\n2 hours\n3 hours", []string{"1.5 hours", "2 hours", "3 hours"}},
		{"/poll Which evening? 12/24 / 12/31", []string{"12/24", "12/31"}},
		{"/poll Open when? 24/7 / weekdays", []string{"24/7", "weekdays"}},
		{"/poll Lunch? Pizza/Sushi", []string{"Pizza", "Sushi"}},
		{"/poll Lunch? Pizza / Sushi", []string{"Pizza", "Sushi"}},
		{"/poll Lunch?\n1. Pizza\n2) Sushi\n- Soup\n* Salad\n10.\tRamen", []string{"Pizza", "Sushi", "Soup", "Salad", "Ramen"}},
	} {
		p, isPoll, problem := pollCommand(c.body)
		if !isPoll {
			t.Errorf("%q: not a poll", c.body)
			continue
		}
		if p == nil {
			t.Errorf("%q: refused: %s", c.body, problem)
			continue
		}
		if !slices.Equal(p.Options, c.want) {
			t.Errorf("%q: options %q, want %q", c.body, p.Options, c.want)
		}
	}
}
