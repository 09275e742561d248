package bidi

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Xvfb is a virtual X display for a browser to draw on: headless Firefox
// on Linux offers no WebGL (Mozilla bug 1375585), which the page needs.
type Xvfb struct {
	Display string // ":N"
	*process
}

// StartXvfb starts Xvfb (the executable exe) on a display number it picks
// itself, and returns once the display accepts clients.
func StartXvfb(ctx context.Context, exe string) (*Xvfb, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// -displayfd: Xvfb takes the first free display and writes its number
	// to fd 3 once it is ready, so two tests never race for one.
	cmd := exec.Command(exe, "-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{w}
	proc, err := start(cmd, &tail{})
	w.Close()
	if err != nil {
		return nil, err
	}
	x := &Xvfb{process: proc}
	out := proc.output
	number := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		number <- strings.TrimSpace(line)
	}()
	select {
	case n := <-number:
		if n == "" {
			x.Close()
			return nil, fmt.Errorf("%s gave no display number; its output ends:\n%s", exe, out.String())
		}
		x.Display = ":" + n
		return x, nil
	case <-ctx.Done():
		x.Close()
		return nil, fmt.Errorf("%s: no display within the start-up time (%w); its output ends:\n%s", exe, ctx.Err(), out.String())
	}
}

// Close ends the display server.
func (x *Xvfb) Close() error { return x.stop() }
