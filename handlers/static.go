package handlers

import (
	"io/fs"

	"github.com/labstack/echo/v4"
)

// serveStatic installs /static: the files of embedded, or, with
// Config.StaticDir, the files of that directory as they are at each
// request, so that a rebuilt stylesheet shows without a restart.
func (h *Handler) serveStatic(e *echo.Echo, embedded fs.FS) {
	if h.cfg.StaticDir == "" {
		e.StaticFS("/static", embedded)
		return
	}
	files := echo.MustSubFS(e.Filesystem, h.cfg.StaticDir)
	e.GET("/static*", echo.StaticDirectoryHandler(files, !e.EnablePathUnescapingStaticFiles), noStore)
}

// noStore keeps browsers from caching what it serves. Files read from
// disk carry a Last-Modified and no Cache-Control, which lets a browser
// reuse its copy for a tenth of the file's age without asking, and a
// conditional request compares whole seconds: after two builds within one
// second the server would answer 304 and the page keep the older
// stylesheet. The directory is for working on the look, on loopback,
// where fetching app.css again on every page load costs nothing.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}
