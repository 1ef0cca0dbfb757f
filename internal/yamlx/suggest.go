package yamlx

import (
	"strings"
	"unicode/utf8"
)

// Suggest returns the candidate closest to word, or "" when none is close
// enough to be a likely typo. Case differences count as the closest match.
func Suggest(word string, candidates []string) string {
	lw := strings.ToLower(word)
	best, bestD := "", -1
	for _, c := range candidates {
		if c == word {
			continue
		}
		if strings.ToLower(c) == lw {
			return c
		}
		d := distance(lw, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 {
		return ""
	}
	n := utf8.RuneCountInString(word)
	limit := 2
	switch {
	case n <= 3:
		limit = 1
	case n >= 9:
		limit = 3
	}
	if bestD > limit {
		return ""
	}
	return best
}

// distance is the optimal-string-alignment edit distance (insertions,
// deletions, substitutions and adjacent transpositions), on runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		// Long strings are never typos of short keywords; bound the work.
		if a == b {
			return 0
		}
		return 1 << 20
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// didYouMean formats a suggestion suffix: "; did you mean \"x\"?" or "".
func didYouMean(word string, candidates []string) string {
	if s := Suggest(word, candidates); s != "" {
		return "; did you mean " + quote(s) + "?"
	}
	return ""
}

// DidYouMean is the exported form of the suggestion suffix.
func DidYouMean(word string, candidates []string) string { return didYouMean(word, candidates) }
