package bidi

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"sync"
	"time"
)

// process is a child (Firefox, Xvfb) in a process group of its own, with
// the tail of its output kept for error messages.
type process struct {
	cmd    *exec.Cmd
	output *tail
	exited chan struct{} // closed once it has exited
}

// start starts cmd with its stdout and stderr going to out.
func start(cmd *exec.Cmd, out *tail) (*process, error) {
	cmd.Stdout, cmd.Stderr = out, out
	// Children (Firefox's content processes) inherit the output: do not
	// wait on them once the process itself has gone.
	cmd.WaitDelay = 2 * time.Second
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	p := &process{cmd: cmd, output: out, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(p.exited) }()
	return p, nil
}

// stop ends the process group: politely, then not.
func (p *process) stop() error {
	signalGroup(p.cmd, false)
	select {
	case <-p.exited:
		return nil
	case <-time.After(3 * time.Second):
	}
	signalGroup(p.cmd, true)
	select {
	case <-p.exited:
		return nil
	case <-time.After(5 * time.Second):
		return errors.New(p.cmd.Path + " did not exit after SIGKILL")
	}
}

// tail keeps the last 8 KiB of a process's output, and sends the first
// submatch of watch to found when a line matches it.
type tail struct {
	watch *regexp.Regexp
	found chan<- string
	mu    sync.Mutex
	buf   []byte
	line  []byte
}

const tailSize = 8 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailSize:]...)
	}
	if t.watch == nil {
		return len(p), nil
	}
	t.line = append(t.line, p...)
	for {
		i := bytes.IndexByte(t.line, '\n')
		if i < 0 {
			break
		}
		if m := t.watch.FindSubmatch(t.line[:i]); m != nil {
			select {
			case t.found <- string(m[1]):
			default:
			}
		}
		t.line = t.line[i+1:]
	}
	if len(t.line) > tailSize { // no newline in sight: not a line to look for
		t.line = t.line[:0]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
