// Package static holds the files hxchat serves to browsers as they are: the
// vendored htmx and its websocket extension, the built Tailwind stylesheet and
// the favicon. They are embedded so the binary needs nothing beside it.
//
// Nothing here is edited by hand except favicon.svg: js/*.js come from
// node_modules through `make vendor`, css/app.css from css/input.css through
// `make css`, and CI fails when the committed copies are stale.
package static

import "embed"

// FS holds the embedded assets at paths relative to this directory:
// "css/app.css", "js/htmx.min.js", "js/ws.min.js" and "favicon.svg".
// css/input.css is the Tailwind source and is deliberately not embedded.
//
//go:embed css/app.css js/*.js favicon.svg
var FS embed.FS
