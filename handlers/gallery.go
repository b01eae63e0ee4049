package handlers

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"hxchat/views"
)

// galleryFramePolicy is the Content-Security-Policy of a gallery frame:
// the page's own, but framed by the gallery on the same origin.
var galleryFramePolicy = strings.Replace(contentSecurityPolicy, "frame-ancestors 'none'", "frame-ancestors 'self'", 1)

// gallery lists every sample of the component gallery (-dev only).
func (h *Handler) gallery(c echo.Context) error {
	return render(c, http.StatusOK, views.Gallery(views.GalleryPage{
		Layout:  h.layout(c, "Component gallery"),
		Samples: views.GallerySamples(),
	}))
}

// gallerySample draws one sample in ?scheme=light or dark, as a document
// of its own for one of the gallery's frames (-dev only).
func (h *Handler) gallerySample(c echo.Context) error {
	s, ok := views.GallerySample(c.Param("name"))
	scheme := c.QueryParam("scheme")
	if !ok || !slices.Contains(views.Schemes, scheme) {
		return echo.ErrNotFound
	}
	header := c.Response().Header()
	header.Set(echo.HeaderXFrameOptions, "SAMEORIGIN")
	header.Set(echo.HeaderContentSecurityPolicy, galleryFramePolicy)
	return render(c, http.StatusOK, s.Render(views.Layout{}, scheme))
}
