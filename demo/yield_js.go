//go:build js

package demo

import "time"

// Yield gives the browser's event loop a turn between two steps of an
// experiment or two chunks computed ahead: Go's goroutines share the page's
// one thread, and a run on the CPU backend would otherwise hold it until it
// ends, with no frame drawn and no click heard.
func Yield() { time.Sleep(time.Millisecond) }
