package snippet

import (
	"strings"
	"testing"

	"tttexplainer/scenario"
)

// The embed view lives beside the page: at the site's root, in a static
// host's sub-folder, and at /e/{id} for a saved scenario.
func TestSrc(t *testing.T) {
	s := scenario.Default()
	s.B = 4
	q := "?" + s.Query().Encode()
	for _, tc := range []struct{ path, want string }{
		{"", "https://h/embed.html" + q},
		{"/", "https://h/embed.html" + q},
		{"/index.html", "https://h/embed.html" + q},
		{"/embed.html", "https://h/embed.html" + q},
		{"/demo/ttt/", "https://h/demo/ttt/embed.html" + q},
		{"/demo/ttt/index.html", "https://h/demo/ttt/embed.html" + q},
		{"/s/AAAAAAAAAAAAAAAAAAAAAA", "https://h/e/AAAAAAAAAAAAAAAAAAAAAA"},
		{"/e/AAAAAAAAAAAAAAAAAAAAAA", "https://h/e/AAAAAAAAAAAAAAAAAAAAAA"},
	} {
		if got := Src("https://h", tc.path, &s); got != tc.want {
			t.Errorf("Src(%q) = %q; want %q", tc.path, got, tc.want)
		}
	}
}

// A title or address cannot leave the attribute it is in.
func TestIframeEscapes(t *testing.T) {
	got := Iframe(`https://h/embed.html?a=1&b="x"`, `<b>"t"</b>`, 10, 20)
	if strings.Contains(got, `"x"`) || strings.Contains(got, "<b>") || !strings.Contains(got, "a=1&amp;b=") {
		t.Errorf("Iframe = %s; want its attributes escaped", got)
	}
}

func TestForPageNeedsAnAbsoluteURL(t *testing.T) {
	s := scenario.Default()
	if _, err := ForPage("/embed.html", &s); err == nil || !strings.Contains(err.Error(), "absolute") {
		t.Errorf("ForPage of a path: %v; want an error saying the URL must be absolute", err)
	}
}
