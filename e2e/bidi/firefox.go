package bidi

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// Prefs are what the throw-away profile's user.js sets: no updates, no
// telemetry, no first-run pages, and no network but loopback (every
// proxied request goes to a closed port, and loopback is never proxied).
var Prefs = map[string]any{
	"remote.active-protocols": 1, // WebDriver BiDi only

	"app.update.auto":                    false,
	"app.update.disabledForTesting":      true,
	"app.update.checkInstallTime":        false,
	"extensions.update.enabled":          false,
	"extensions.getAddons.cache.enabled": false,
	"media.gmp-manager.updateEnabled":    false,
	"browser.search.update":              false,
	"services.settings.server":           "http://127.0.0.1:9/",

	"datareporting.policy.dataSubmissionEnabled":    false,
	"datareporting.healthreport.uploadEnabled":      false,
	"toolkit.telemetry.enabled":                     false,
	"toolkit.telemetry.unified":                     false,
	"toolkit.telemetry.archive.enabled":             false,
	"toolkit.telemetry.server":                      "http://127.0.0.1:9/",
	"app.normandy.enabled":                          false,
	"app.shield.optoutstudies.enabled":              false,
	"browser.crashReports.unsubmittedCheck.enabled": false,

	"browser.shell.checkDefaultBrowser":        false,
	"browser.startup.page":                     0,
	"browser.startup.homepage":                 "about:blank",
	"browser.startup.homepage_override.mstone": "ignore",
	"startup.homepage_welcome_url":             "about:blank",
	"startup.homepage_welcome_url.additional":  "",
	"browser.aboutwelcome.enabled":             false,
	"datareporting.policy.firstRunURL":         "",
	"browser.newtabpage.enabled":               false,
	"trailhead.firstrun.didSeeAboutWelcome":    true,
	"browser.tabs.warnOnClose":                 false,
	"browser.warnOnQuit":                       false,

	"network.proxy.type":                                         1, // manual
	"network.proxy.http":                                         "127.0.0.1",
	"network.proxy.http_port":                                    9, // discard: nothing listens
	"network.proxy.ssl":                                          "127.0.0.1",
	"network.proxy.ssl_port":                                     9,
	"network.proxy.share_proxy_settings":                         true,
	"network.proxy.allow_hijacking_localhost":                    false,
	"network.proxy.no_proxies_on":                                "localhost, 127.0.0.1, [::1]",
	"network.captive-portal-service.enabled":                     false,
	"network.connectivity-service.enabled":                       false,
	"network.dns.disablePrefetch":                                true,
	"network.prefetch-next":                                      false,
	"network.http.speculative-parallel-limit":                    0,
	"browser.safebrowsing.malware.enabled":                       false,
	"browser.safebrowsing.phishing.enabled":                      false,
	"browser.safebrowsing.downloads.enabled":                     false,
	"browser.safebrowsing.update.enabled":                        false,
	"browser.region.network.url":                                 "",
	"browser.region.update.enabled":                              false,
	"geo.provider.network.url":                                   "",
	"browser.topsites.contile.enabled":                           false,
	"browser.newtabpage.activity-stream.feeds.system.topstories": false,
	"messaging-system.rsexperimentloader.enabled":                false,
}

// UserJS renders prefs as a user.js file, sorted so the file is stable.
func UserJS(prefs map[string]any) ([]byte, error) {
	names := make([]string, 0, len(prefs))
	for name := range prefs {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		v, err := json.Marshal(prefs[name])
		if err != nil {
			return nil, fmt.Errorf("pref %s: %w", name, err)
		}
		fmt.Fprintf(&b, "user_pref(%q, %s);\n", name, v)
	}
	return []byte(b.String()), nil
}

// Firefox is a running Firefox with a BiDi session open.
type Firefox struct {
	*Conn
	*process
	Browser string // name and version, as the session reports them
	closed  sync.Once
}

// listening is the line Firefox prints once its BiDi server is up.
var listening = regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)

// Options say how to start Firefox.
type Options struct {
	Exe   string         // the browser's executable
	Dir   string         // an empty directory for the throw-away profile
	Prefs map[string]any // written into the profile's user.js
	// Display, when set, is an X display (":99") to draw on instead of
	// running headless: headless Firefox on Linux has no WebGL.
	Display string
	// OnEvent, if not nil, gets every event the session subscribes to.
	OnEvent func(method string, params json.RawMessage)
}

// Launch starts Firefox on a fresh profile, waits for its BiDi server,
// connects and opens a session. When Firefox cannot start, the error
// carries the tail of its output. Close ends the browser and its process
// group.
func Launch(ctx context.Context, o Options) (*Firefox, error) {
	exe, dir, prefs := o.Exe, o.Dir, o.Prefs
	js, err := UserJS(prefs)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "user.js"), js, 0o644); err != nil {
		return nil, err
	}
	// Port 0: Firefox picks a free one and prints it.
	cmd := exec.Command(exe, "--no-remote", "--remote-debugging-port=0", "--profile", dir)
	cmd.Env = append(os.Environ(), "MOZ_CRASHREPORTER_DISABLE=1", "MOZ_DISABLE_AUTO_SAFE_MODE=1")
	if o.Display != "" {
		cmd.Env = append(cmd.Env, "DISPLAY="+o.Display, "MOZ_ENABLE_WAYLAND=0")
	} else {
		cmd.Args = append(cmd.Args, "--headless")
		cmd.Env = append(cmd.Env, "MOZ_HEADLESS=1")
	}
	addr := make(chan string, 1)
	proc, err := start(cmd, &tail{watch: listening, found: addr})
	if err != nil {
		return nil, err
	}
	f := &Firefox{process: proc}
	out := proc.output

	var ws string
	select {
	case ws = <-addr:
	case <-f.exited:
		return nil, fmt.Errorf("%s exited before its BiDi server listened (%v); its output ends:\n%s", exe, cmd.ProcessState, out.String())
	case <-ctx.Done():
		f.stop()
		return nil, fmt.Errorf("%s: no BiDi server within the start-up time (%w); its output ends:\n%s", exe, ctx.Err(), out.String())
	}
	if f.Conn, err = Dial(ctx, ws+"/session", o.OnEvent); err != nil {
		f.stop()
		return nil, fmt.Errorf("connecting to %s's BiDi server at %s: %w; its output ends:\n%s", exe, ws, err, out.String())
	}
	var session struct {
		Capabilities struct {
			Name    string `json:"browserName"`
			Version string `json:"browserVersion"`
		} `json:"capabilities"`
	}
	if err := f.Call(ctx, "session.new", map[string]any{"capabilities": map[string]any{}}, &session); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w; its output ends:\n%s", err, out.String())
	}
	f.Browser = session.Capabilities.Name + " " + session.Capabilities.Version
	return f, nil
}

// Output is the tail of the browser's stdout and stderr.
func (f *Firefox) Output() string { return f.output.String() }

// Close asks the browser to quit, and then ends its whole process group
// (the content and GPU processes with it) whatever it answered.
func (f *Firefox) Close() error {
	var err error
	f.closed.Do(func() {
		if f.Conn != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			f.Call(ctx, "browser.close", nil, nil)
			cancel()
			f.Conn.Close()
		}
		select {
		case <-f.exited:
		case <-time.After(5 * time.Second):
		}
		err = f.stop()
	})
	return err
}
