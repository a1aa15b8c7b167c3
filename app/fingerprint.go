package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"
)

// Browser names the browser of a User-Agent for the security log and the
// new-device mail ("Safari", "Chrome", ...; "Unknown browser"). Order
// matters: Edge and Opera say "Chrome", Chrome says "Safari".
func Browser(ua string) string {
	l := asciiLower(ua)
	switch {
	case l == "":
		return "Unknown browser"
	case strings.Contains(l, "edg/"), strings.Contains(l, "edge/"):
		return "Edge"
	case strings.Contains(l, "opr/"), strings.Contains(l, "opera"):
		return "Opera"
	case strings.Contains(l, "firefox/"), strings.Contains(l, "fxios/"):
		return "Firefox"
	case strings.Contains(l, "chrome/"), strings.Contains(l, "crios/"), strings.Contains(l, "chromium/"):
		return "Chrome"
	case strings.Contains(l, "safari/"):
		return "Safari"
	case strings.Contains(l, "curl/"):
		return "curl"
	}
	return "Unknown browser"
}

// OS names the operating system of a User-Agent: the device label's rule
// (CONTRACT 3.4), which is what the account page shows.
func OS(ua string) string { return DeviceLabel(ua) }

// NetworkPrefix is the client's network for device recognition: the /24 of
// an IPv4 address, the /64 of an IPv6 one, "" for no address (an address
// that does not parse is taken as it is).
func NetworkPrefix(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	bits := 64
	if addr.Is4() {
		bits = 24
	}
	p, _ := addr.Prefix(bits)
	return p.String()
}

// DeviceFingerprint identifies a device to an account's security log: the
// User-Agent's browser and operating system with the client's network
// prefix, HMAC-SHA-256 under the install key (the IP-hash key), so the
// stored value names neither the network nor the browser to a reader of the
// database. Two devices of one household on one browser share it: the
// new-device mail is about an unknown place or browser, not a person.
func DeviceFingerprint(key []byte, ua, ip string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("device\x00" + Browser(ua) + "\x00" + OS(ua) + "\x00" + NetworkPrefix(ip)))
	return hex.EncodeToString(m.Sum(nil))
}

// MaskEmail is an address as the security log and the mails show it: the
// first character, "***", then everything from the "@" ("***" when there
// is no local part).
func MaskEmail(email string) string {
	i := strings.IndexByte(email, '@')
	if i <= 0 {
		return "***"
	}
	first := []rune(email[:i])[0]
	return string(first) + "***" + email[i:]
}
