package app

import (
	"net/mail"
	"strings"
)

// ValidUsername applies the registration rule (the register serializer's
// RegexValidator ^[a-zA-Z0-9_-]+$ and its length bounds): 3-150 characters
// of [a-zA-Z0-9_-]. The API and the CLI both use it.
func ValidUsername(s string) bool {
	return len(s) >= 3 && len(s) <= 150 && UsernameChars(s)
}

// UsernameChars reports whether s is non-empty and made only of
// [a-zA-Z0-9_-] (the pattern alone, without the length rule).
func UsernameChars(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ValidEmail approximates Django's EmailValidator: one @, a non-empty local
// part, a domain with a dot (or a literal), no spaces. The API and the CLI
// both use it.
func ValidEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(s, " \t\r\n<>\"") || strings.Contains(domain, "@") {
		return false
	}
	if _, err := mail.ParseAddress(s); err != nil {
		return false
	}
	if strings.HasPrefix(domain, "[") && strings.HasSuffix(domain, "]") {
		return true
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 || domain == "localhost" {
		return false
	}
	for _, l := range labels {
		if l == "" || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return false
		}
	}
	return true
}
