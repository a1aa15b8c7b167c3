package api

import (
	"net/http"

	"notechondria-auth/app"
)

// statusOf is THE table from error codes to HTTP statuses.
func statusOf(code string) int {
	switch code {
	case app.EINVALID:
		return http.StatusBadRequest
	case app.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case app.EFORBIDDEN:
		return http.StatusForbidden
	case app.ENOTFOUND:
		return http.StatusNotFound
	case app.EMETHOD:
		return http.StatusMethodNotAllowed
	case app.ECONFLICT:
		return http.StatusConflict
	case app.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case app.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	case app.ERATELIMIT:
		return http.StatusTooManyRequests
	case app.EBADGATEWAY:
		return http.StatusBadGateway
	case app.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
