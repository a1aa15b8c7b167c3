package api

import (
	"strconv"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/throttle"
)

// throttled is the 429 DRF's throttling answers with ("1 second.", else
// "N seconds.").
func (s *Server) throttled(retry time.Duration) error {
	s.metrics.throttled.Add(1)
	n := throttle.Seconds(retry)
	unit := " seconds."
	if n == 1 {
		unit = " second." // DRF's ngettext: extra_detail_singular
	}
	return &app.Error{Code: app.ERATELIMIT, Message: "Request was throttled. Expected available in " + strconv.Itoa(n) + unit, RetryAfter: n}
}
