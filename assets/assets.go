// Package assets embeds the web page people use on the appliance itself:
// sign in, register, and the Active sessions account view.
package assets

import (
	"embed"
	"io/fs"
)

// web holds the page's files; embed needs a package-level variable.
//
//go:embed web
var web embed.FS

// FS returns the page's files rooted at the web folder (index.html,
// app.js, app.css).
func FS() fs.FS {
	sub, err := fs.Sub(web, "web")
	if err != nil {
		panic(err) // the folder is embedded above; this cannot fail
	}
	return sub
}
