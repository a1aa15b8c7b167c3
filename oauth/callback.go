package oauth

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
)

// EditorPath is where the callback page sends the browser, with the code and
// state, for the SPA to POST them to auth/google/ or auth/github/.
const EditorPath = "/Notechondria/editor/"

// The pages are filled in by hand, every value escaped for where it lands:
// HTML text and attribute values with html.EscapeString, the script
// argument as a JSON string literal (encoding/json escapes <, >, & and
// U+2028/9, so "</script>" cannot close the element). (html/template did
// this before; linking it cost 2.5 MB of binary, because its reflective
// method calls keep every exported method of the program alive.)
const callbackHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
`

// NoCodeMessage is shown when the provider redirected back without a code.
const NoCodeMessage = "No authorisation code received from the provider."

// The two pages.
const (
	callbackFailed = iota
	callbackRedirect
)

type callbackData struct {
	Provider string
	Message  string
	Target   string
}

// CallbackPage renders the HTML answered on GET /auth/google/callback and
// /auth/github/callback (CONTRACT "OAuth callback"). providerName is shown
// to the user ("Google", "GitHub"); q is the request's query.
//
//   - error present: 200 "Authentication failed" with the provider's error
//     (and error_description, if any).
//   - no code: 200 "Authentication failed" with NoCodeMessage.
//   - otherwise: 200 page redirecting (meta refresh and location.replace) to
//     frontendOrigin + EditorPath + "?code=…&state=…". A frontendOrigin that
//     is empty or not an absolute http(s) URL gives the relative path.
//
// Every value is escaped for where it lands. The caller should send it as
// "text/html; charset=utf-8" with "Cache-Control: no-store", since the page
// carries an authorization code. Status is 500 only if rendering fails.
func CallbackPage(providerName string, q url.Values, frontendOrigin string) (status int, body []byte) {
	data := callbackData{Provider: sanitize(providerName)}
	page := callbackFailed
	switch errCode := q.Get("error"); {
	case errCode != "":
		data.Message = sanitize(errCode)
		if desc := sanitize(q.Get("error_description")); desc != "" {
			data.Message += ": " + desc
		}
	case q.Get("code") == "":
		data.Message = NoCodeMessage
	default:
		page = callbackRedirect
		data.Target = editorURL(frontendOrigin, q.Get("code"), q.Get("state"))
	}
	var b strings.Builder
	b.WriteString(callbackHead)
	if page == callbackRedirect {
		target := html.EscapeString(data.Target)
		js, err := json.Marshal(data.Target)
		if err != nil {
			return http.StatusInternalServerError, []byte("internal error\n")
		}
		b.WriteString(`<meta http-equiv="refresh" content="0;url=` + target + `">` + "\n<title>Signing in…</title>\n</head>\n<body>\n<p>Completing ")
		if data.Provider != "" {
			b.WriteString(html.EscapeString(data.Provider) + " ")
		}
		b.WriteString(`sign-in… <a href="` + target + `">Continue</a></p>` + "\n<script>window.location.replace(" + string(js) + ");</script>\n</body>\n</html>\n")
		return http.StatusOK, []byte(b.String())
	}
	b.WriteString("<title>Authentication failed</title>\n</head>\n<body>\n<h1>Authentication failed</h1>\n")
	if data.Provider != "" {
		b.WriteString("<p>" + html.EscapeString(data.Provider) + " sign-in did not complete.</p>\n")
	}
	b.WriteString("<p>" + html.EscapeString(data.Message) + "</p>\n</body>\n</html>\n")
	return http.StatusOK, []byte(b.String())
}

// editorURL builds the redirect target; code and state are query-escaped, so
// they cannot add parameters or leave the query.
func editorURL(origin, code, state string) string {
	base := ""
	if u, err := url.Parse(origin); err == nil && (u.Scheme == "http" || u.Scheme == "https") &&
		u.Host != "" && u.User == nil && u.RawQuery == "" && u.Fragment == "" && !u.ForceQuery {
		base = strings.TrimRight(origin, "/")
	}
	return base + EditorPath + "?code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(state)
}
