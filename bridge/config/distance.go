package config

// editDistance is the optimal string alignment distance between a and
// b: the insertions, deletions, substitutions and swaps of two
// neighbouring letters that turn a into b. A swap is one edit, as the
// typo it is (nmae for name); Levenshtein's distance counted two, too
// many for a short key to be suggested.
func editDistance(a, b string) int {
	s, t := []rune(a), []rune(b)
	// The rows of s[:i-2], s[:i-1] and s[:i] against every t[:j].
	prev2, prev, cur := make([]int, len(t)+1), make([]int, len(t)+1), make([]int, len(t)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(s); i++ {
		cur[0] = i
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(t)]
}
