package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP returns the client address. When the direct peer is a trusted
// proxy, X-Forwarded-For is read from the right: trusted proxies are
// skipped and the first other address is the client (a client-sent prefix
// of the header cannot forge it). Otherwise the peer's address is used.
func (s *Server) clientIP(r *http.Request) string {
	peer := r.RemoteAddr
	if host, _, err := net.SplitHostPort(peer); err == nil {
		peer = host
	}
	if !s.trustedPeer(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue
		}
		if !s.trustedPeer(hop) {
			return hop
		}
		peer = hop
	}
	return peer
}

// fromTrustedProxy reports whether the direct peer is a trusted proxy (so
// its X-Forwarded-* headers are believed).
func (s *Server) fromTrustedProxy(r *http.Request) bool {
	peer := r.RemoteAddr
	if host, _, err := net.SplitHostPort(peer); err == nil {
		peer = host
	}
	return s.trustedPeer(peer)
}

func (s *Server) trustedPeer(peer string) bool {
	addr, err := netip.ParseAddr(peer)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// ipHash is a keyed hash (HMAC-SHA-256 with a per-installation secret) of the
// client IP, so that the stored value cannot be reversed by enumerating the
// IPv4 space as the original's plain SHA-256 could. "" for no address.
func (s *Server) ipHash(ip string) string {
	if ip == "" {
		return ""
	}
	m := hmac.New(sha256.New, s.ipKey)
	m.Write([]byte(ip))
	return hex.EncodeToString(m.Sum(nil))
}
