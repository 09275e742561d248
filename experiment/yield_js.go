//go:build js

package experiment

import "time"

// yield gives the browser's event loop a turn between two steps of an
// experiment: Go's goroutines share the page's one thread, and a run on the
// CPU backend would otherwise hold it until it ends, with no progress drawn
// and no Cancel click heard.
func yield() { time.Sleep(time.Millisecond) }
