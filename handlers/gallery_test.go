package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/html/atom"

	"hxchat/views"
)

func TestGalleryOnlyInDev(t *testing.T) {
	b := MustStart(t, options{}).newBrowser(t)
	for _, path := range []string{"/dev/gallery", "/dev/gallery/room?scheme=dark"} {
		if r := b.MustGet(t, path); r.status != http.StatusNotFound {
			t.Errorf("GET %s without -dev: got %d, want 404", path, r.status)
		}
	}
}

func TestGalleryShowsEverySampleInBothSchemes(t *testing.T) {
	b := MustStart(t, options{dev: true}).newBrowser(t)
	r := b.MustGet(t, "/dev/gallery")
	if r.status != http.StatusOK {
		t.Fatalf("GET /dev/gallery: got %d, want 200", r.status)
	}
	frames := all(r.doc(t), tag(atom.Iframe))
	samples := views.GallerySamples()
	if got, want := len(frames), 2*len(samples); got != want {
		t.Errorf("got %d frames, want %d (%d samples, light and dark)", got, want, len(samples))
	}
	names := map[string]bool{}
	for _, s := range samples {
		if names[s.Name] {
			t.Errorf("two samples are called %q", s.Name)
		}
		names[s.Name] = true
	}
	for _, f := range frames {
		src := attr(f, "src")
		if attr(f, "title") == "" {
			t.Errorf("frame %s has no title", src)
		}
		fr := b.MustGet(t, src)
		if fr.status != http.StatusOK {
			t.Errorf("GET %s: got %d, want 200", src, fr.status)
			continue
		}
		if got := fr.header.Get("X-Frame-Options"); got != "SAMEORIGIN" {
			t.Errorf("GET %s: X-Frame-Options %q, want SAMEORIGIN so that the gallery may frame it", src, got)
		}
		if csp := fr.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self'") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s: CSP %q, want the page's policy framed by its own origin only", src, csp)
		}
		doc := fr.doc(t)
		scheme := src[strings.LastIndex(src, "=")+1:]
		if html := first(doc, tag(atom.Html)); attr(html, "data-scheme") != scheme {
			t.Errorf("GET %s: data-scheme %q, want %q", src, attr(html, "data-scheme"), scheme)
		}
		if s := all(doc, tag(atom.Script)); len(s) != 0 {
			t.Errorf("GET %s: %d scripts, want none: a sample is inert", src, len(s))
		}
	}
	for _, path := range []string{"/dev/gallery/nothing?scheme=light", "/dev/gallery/room?scheme=sepia", "/dev/gallery/room"} {
		if r := b.MustGet(t, path); r.status != http.StatusNotFound {
			t.Errorf("GET %s: got %d, want 404", path, r.status)
		}
	}
}

func TestGalleryShowsWhatIsSent(t *testing.T) {
	b := MustStart(t, options{dev: true}).newBrowser(t)
	doc := b.MustGet(t, "/dev/gallery").doc(t)
	for _, s := range views.GallerySamples() {
		sec := byID(doc, s.Name)
		if sec == nil {
			t.Errorf("no section for sample %q", s.Name)
			continue
		}
		pre := first(sec, tag(atom.Pre))
		if s.Sent == nil {
			continue
		}
		if pre == nil || !strings.HasPrefix(rawText(pre), "<") {
			t.Errorf("sample %q: want its HTML as sent, in a <pre>", s.Name)
		}
	}
}
