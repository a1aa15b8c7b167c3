package password

import (
	"unicode"
	"unicode/utf8"
)

// MeetsPolicy reports whether p has at least one uppercase letter, one
// lowercase letter and one character that is not alphabetic (CONTRACT 3.11).
// It follows the original's Python str.isupper / islower / isalpha applied to
// each character: uppercase is Lu or Other_Uppercase, lowercase is Ll or
// Other_Lowercase, alphabetic is any letter category (L*). So digits,
// punctuation, spaces and emoji all count as "special". Length is checked by
// the caller (see Length).
func MeetsPolicy(p string) bool {
	var upper, lower, other bool
	for _, r := range p {
		switch {
		case isUpper(r):
			upper = true
		case isLower(r):
			lower = true
		}
		if !unicode.IsLetter(r) {
			other = true
		}
		if upper && lower && other {
			return true
		}
	}
	return false
}

// isUpper matches Python's one-character str.isupper().
func isUpper(r rune) bool {
	return unicode.IsUpper(r) || unicode.Is(unicode.Other_Uppercase, r)
}

// isLower matches Python's one-character str.islower().
func isLower(r rune) bool {
	return unicode.IsLower(r) || unicode.Is(unicode.Other_Lowercase, r)
}

// Length returns the number of Unicode code points in p, which is what
// Python's len() counts (not bytes). Invalid UTF-8 bytes count one each.
func Length(p string) int {
	return utf8.RuneCountInString(p)
}
