// Package api is the HTTP layer: the one route table (routes.go, in
// CONTRACT 1.1 order), the handler adapter and the error-to-status table
// (respond.go), the middleware, body decoding and field validation
// (input.go), the JSON shapes (views.go), and one file per endpoint group
// named after it: login.go, sessions.go, register.go, password_reset.go,
// email_change.go, account.go, settings.go, oauth_*.go, health.go,
// metrics.go, page.go; for second factors twofactor.go, challenge.go (the
// two-step sign-in), stepup.go (re-authentication) and qrsvg.go.
//
// It also imports github.com/skip2/go-qrcode, for the QR code's matrix.
//
// It imports app (the session core: handlers reach data only through its
// coherent store and never touch a cache), the embedded assets and the leaf
// libraries (password, throttle, mail, oauth); never db.
package api
