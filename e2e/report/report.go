// Package report is the JSON that the browser harness (e2e/gpuharness)
// leaves in window.tttResult and that e2e's test reads back.
package report

// Report is everything one page load found.
type Report struct {
	Error string // set when the harness could not run at all

	// The adapter, from navigator.gpu's adapter.info, and as the gpu backend names it.
	Vendor, Architecture, Description string
	Fallback                          bool
	Adapter                           string

	Cases    []Case // every reference case × form × backend
	SelfTest string // gpu.Backend.SelfTest's summary, or "FAIL: …"
	Lost     string // the error Run returned after the device was destroyed
	LostOK   bool   // whether that error wraps gpu.ErrDeviceLost
	Bench    []Bench
}

// Case is one reference case run with one form on one backend.
type Case struct {
	Name, Form, Backend string
	OK                  bool
	Arrays              int     // arrays compared
	MaxAbs              float64 // largest |got − want| over them
	Err                 string  // the first array outside the tolerance, or the run's error
	MS                  float64
}

// Bench is one timed configuration of the speed race.
type Bench struct {
	Backend, Form   string
	T, D, Heads, B  int
	Runs            int
	MedianMS        float64
	TokensPerS      float64
	SubmitsPerRun   float64
	ReadbacksPerRun float64
	Err             string
}
