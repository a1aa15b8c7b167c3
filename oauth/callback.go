package oauth

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// EditorPath is where the callback page sends the browser, with the code and
// state, for the SPA to POST them to auth/google/ or auth/github/.
const EditorPath = "/Notechondria/editor/"

// The pages are rendered with html/template, which escapes every value for
// its context: HTML text, the meta refresh attribute, the href (URL
// filtered) and the script (a quoted JS string with "<" escaped, so
// "</script>" cannot close the element).
const callbackFailedHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Authentication failed</title>
</head>
<body>
<h1>Authentication failed</h1>
{{if .Provider}}<p>{{.Provider}} sign-in did not complete.</p>
{{end}}<p>{{.Message}}</p>
</body>
</html>
`

const callbackRedirectHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url={{.Target}}">
<title>Signing in…</title>
</head>
<body>
<p>Completing {{if .Provider}}{{.Provider}} {{end}}sign-in… <a href="{{.Target}}">Continue</a></p>
<script>window.location.replace({{.Target}});</script>
</body>
</html>
`

// NoCodeMessage is shown when the provider redirected back without a code.
const NoCodeMessage = "No authorisation code received from the provider."

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
func CallbackPage(providerName string, q url.Values, frontendOrigin string) (status int, html []byte) {
	data := callbackData{Provider: sanitize(providerName)}
	page := callbackFailedHTML
	switch errCode := q.Get("error"); {
	case errCode != "":
		data.Message = sanitize(errCode)
		if desc := sanitize(q.Get("error_description")); desc != "" {
			data.Message += ": " + desc
		}
	case q.Get("code") == "":
		data.Message = NoCodeMessage
	default:
		page = callbackRedirectHTML
		data.Target = editorURL(frontendOrigin, q.Get("code"), q.Get("state"))
	}
	t, err := template.New("callback").Parse(page)
	if err != nil {
		return http.StatusInternalServerError, []byte("internal error\n")
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return http.StatusInternalServerError, []byte("internal error\n")
	}
	return http.StatusOK, b.Bytes()
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
