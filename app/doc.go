// Package app is the product's vocabulary and session core: User, Session,
// Code, Invitation, SocialAccount, the Error type with its codes, the
// contract messages the store and HTTP layers share, the Store interface,
// key formats and the device-label rule; and Core, which owns the token and
// session-list caches, the touch writer, the sweeper, the change-log watch
// and authentication, and hands out the coherent store. Second factors live
// here too: the channel and method names, challenges, RFC 6238 TOTP, the
// AES-256-GCM box for secrets that must be read back, and recovery codes.
//
// It imports the standard library (no net/http), golang-lru and zerolog
// only. HTTP lives in package api, the engines in package db; both depend
// on this package, never the other way round.
package app
