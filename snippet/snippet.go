// Package snippet is the embed code of TTT Explainer: the iframe that the
// site's oEmbed answers with (site/oembed.go) and that the page's "Copy embed
// code" copies (wasm/embedcode.go, on a static host too, where there is no
// oEmbed). Both call Iframe with Src and Title, so the two cannot differ.
// It imports only the standard library and the scenario.
package snippet

import (
	"fmt"
	"html"
	"net/url"
	"path"
	"strings"

	"tttexplainer/scenario"
)

// The embed's default size, 3:2.
const (
	Width  = 720
	Height = 480
)

// Iframe is the embed snippet: an iframe of the embed view with a title
// (for screen readers) and a size.
func Iframe(src, title string, width, height int) string {
	return fmt.Sprintf(`<iframe src="%s" title="%s" width="%d" height="%d" style="border:0;max-width:100%%" loading="lazy" allow="cross-origin-isolated; fullscreen"></iframe>`,
		html.EscapeString(src), html.EscapeString(title), width, height)
}

// Size fits the default size into maxW × maxH (0: no bound), keeping its
// aspect ratio.
func Size(maxW, maxH int) (int, int) {
	w, h := Width, Height
	if maxW > 0 && w > maxW {
		w, h = maxW, maxW*Height/Width
	}
	if maxH > 0 && h > maxH {
		w, h = maxH*Width/Height, maxH
	}
	return max(w, 1), max(h, 1)
}

// Saved returns the scenario id of a saved scenario's page or embed path
// (/s/{id}, /e/{id}), and false for any other path.
func Saved(p string) (string, bool) {
	if strings.HasPrefix(p, "/s/") || strings.HasPrefix(p, "/e/") {
		return p[3:], true
	}
	return "", false
}

// Src is the address of the embed view of the page at origin + pagePath
// showing s: /e/{id} for a saved scenario's /s/{id} or /e/{id}, otherwise
// embed.html in the page's folder with s in its query, so that a page
// served from a sub-folder of a static host embeds from there too.
func Src(origin, pagePath string, s *scenario.Scenario) string {
	if id, ok := Saved(pagePath); ok {
		return origin + (&url.URL{Path: "/e/" + id}).EscapedPath()
	}
	dir := "/"
	if pagePath != "" {
		dir = path.Dir(pagePath + "x") // the folder of /a/b/index.html and of /a/b/ alike
		if !strings.HasSuffix(dir, "/") {
			dir += "/"
		}
	}
	src := origin + (&url.URL{Path: dir + "embed.html"}).EscapedPath()
	if enc := s.Query().Encode(); enc != "" {
		src += "?" + enc
	}
	return src
}

// Title names a scenario for people: the model, form and step size, never
// its text.
func Title(s *scenario.Scenario) string {
	if s.Experiment != nil {
		return fmt.Sprintf("TTT Explainer: the %s experiment", s.Experiment.Name)
	}
	if s.LM != nil {
		return "TTT Explainer: a TTT language model reading a text"
	}
	model := map[string]string{"linear": "TTT-Linear", "mlp": "TTT-MLP"}[s.Model]
	if model == "" {
		model = "TTT"
	}
	return fmt.Sprintf("TTT Explainer: %s, %s form, b = %d, η = %g, %s input", model, s.Form, s.B, s.LR, s.Input)
}

// ForPage is the snippet, at the default size, for the page at pageURL
// (absolute) showing s: what oEmbed answers for that URL.
func ForPage(pageURL string, s *scenario.Scenario) (string, error) {
	u, err := url.Parse(pageURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("snippet: %q is not an absolute URL", pageURL)
	}
	return Iframe(Src(u.Scheme+"://"+u.Host, u.Path, s), Title(s), Width, Height), nil
}
