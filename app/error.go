package app

import (
	"errors"
	"fmt"
)

// Error codes. Every error the application returns carries one of these; the
// HTTP layer maps it to a status with one table (statusOf).
const (
	EINVALID      = "invalid"      // 400: validation failed
	EUNAUTHORIZED = "unauthorized" // 401: bad or missing credentials
	EFORBIDDEN    = "forbidden"    // 403
	ENOTFOUND     = "not_found"    // 404
	EMETHOD       = "method"       // 405
	ECONFLICT     = "conflict"     // 409: unique constraint, linked elsewhere
	ETOOLARGE     = "too_large"    // 413: request body over the limit
	EUNSUPPORTED  = "unsupported"  // 415: unknown content type
	ERATELIMIT    = "rate_limit"   // 429: throttled
	EINTERNAL     = "internal"     // 500: never shown in detail
	EBADGATEWAY   = "bad_gateway"  // 502: an upstream (OAuth provider) failed
	EUNAVAILABLE  = "unavailable"  // 503: feature not configured
)

// Error is the application's error type. Message is the public text (the
// contract's wording); Fields, when set, is a DRF field-error body
// ({"field": ["msg"]}) answered with 400; Extra adds keys to a {"detail"}
// body (for example "code": "not_registered"). RetryAfter, in seconds, sets
// the Retry-After header of a 429.
type Error struct {
	Code       string
	Message    string
	Fields     map[string]any
	Extra      map[string]any
	RetryAfter int
	Err        error // internal cause, logged, never sent
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a formatted public message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err: the Code of an *Error in its chain, or
// EINTERNAL for any other non-nil error, or "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the public message of err, or "A server error
// occurred." for errors that are not *Error or are internal.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "A server error occurred."
}

// FieldError is a 400 with one DRF field error: {"field": ["msg"]}.
func FieldError(field, msg string) *Error {
	return &Error{Code: EINVALID, Fields: map[string]any{field: []string{msg}}}
}

// NonFieldError is a 400 {"non_field_errors": ["msg"]}.
func NonFieldError(msg string) *Error {
	return FieldError("non_field_errors", msg)
}

// Detail is an error answered as {"detail": msg}.
func Detail(code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Internal wraps an unexpected error; it is logged and answered 500.
func Internal(err error) *Error {
	return &Error{Code: EINTERNAL, Message: "A server error occurred.", Err: err}
}
