package api

import (
	"context"
	"strconv"

	"notechondria-auth/app"
)

type authCtxKey struct{}

// withAuth stores the caller in ctx.
func withAuth(ctx context.Context, a *app.Auth) context.Context {
	return context.WithValue(ctx, authCtxKey{}, a)
}

// authFrom returns the caller stored by withAuth, or nil.
func authFrom(ctx context.Context) *app.Auth {
	a, _ := ctx.Value(authCtxKey{}).(*app.Auth)
	return a
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
