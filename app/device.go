package app

import (
	"strings"
	"unicode/utf8"
)

// DeviceLabel derives the session label from a User-Agent (CONTRACT 3.4):
// the first matching rule wins, in this order.
//
// Only ASCII letters are folded. The original lowercased a WSGI header,
// which is Latin-1 text, and no Latin-1 character lowercases to ASCII;
// strings.ToLower would fold U+0130 to 'i' (and U+212A to 'k'), so
// "\u0130PHONE" would become an iPhone here and a "Web browser" there.
func DeviceLabel(ua string) string {
	if ua == "" {
		return "Unknown device"
	}
	l := asciiLower(ua)
	switch {
	case strings.Contains(l, "iphone"):
		return "iPhone"
	case strings.Contains(l, "ipad"):
		return "iPad"
	case strings.Contains(l, "android"):
		return "Android device"
	case strings.Contains(l, "macintosh"), strings.Contains(l, "mac os x"):
		return "Mac"
	case strings.Contains(l, "windows"):
		return "Windows PC"
	case strings.Contains(l, "linux"):
		return "Linux"
	}
	return "Web browser"
}

// asciiLower folds A-Z to a-z and leaves every other byte alone.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// TruncateRunes cuts s to at most n code points (Python slicing), dropping
// invalid UTF-8 so the stored value is always valid text.
func TruncateRunes(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, count := 0, 0
	for i = range s {
		if count == n {
			break
		}
		count++
	}
	return s[:i]
}
