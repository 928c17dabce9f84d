// Command node-exec-server answers the kubelet's streaming endpoints for the
// test environment's kwok node: the API server's pods/exec lands here and the
// command runs on this host (and is killed when its pod is deleted:
// podwatch.go); pods/portforward reaches this host's loopback
// port (portforward.go); pods/log reads what the pod's commands printed to
// its container's stdout FIFO (logs.go).
//
// kwok's own local exec cannot be used for this SDK's tests: it wraps the
// command's exit error before handing it to the streaming library (which
// type-asserts, so every non-zero exit becomes an internal error and the exit
// code is lost), and it never closes the command's stdin after the client
// half-closes it (so `tar xf -` would wait forever). The streaming protocol
// itself (SPDY and WebSocket, v1-v5, TTY resize) is the upstream library.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
)

type executor struct {
	workDir string
	pods    *podWatch
	logs    *containerLogs
}

// killWhenPodGone kills the command's process group once its pod is deleted
// (podwatch.go).
func (x *executor) killWhenPodGone(c *exec.Cmd, key, uid string, done <-chan struct{}) {
	if x.pods == nil {
		return
	}
	s := x.pods.register(key, uid, done)
	if s == nil {
		return
	}
	defer x.pods.unregister(s)
	select {
	case <-done:
	case <-s.gone:
		if c.Process != nil {
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			_ = c.Process.Kill()
		}
	}
}

// exitError carries a command's exit status in the shape the streaming
// library reports as a NonZeroExitCode status (k8s.io/utils/exec.ExitError).
type exitError struct{ code int }

func (e exitError) Error() string   { return fmt.Sprintf("command exited with status %d", e.code) }
func (e exitError) String() string  { return e.Error() }
func (e exitError) Exited() bool    { return true }
func (e exitError) ExitStatus() int { return e.code }

func (x *executor) ExecInContainer(ctx context.Context, name, uid, container string, cmd []string,
	in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize, _ time.Duration) error {
	if len(cmd) == 0 {
		return errors.New("no command given")
	}
	ns, pod, _ := strings.Cut(name, "/")
	// Each pod gets its own working and home directory, and its own tmux
	// server (a short socket directory: Unix socket paths are limited).
	home := filepath.Join(x.workDir, ns, pod)
	h := fnv.New32a()
	_, _ = h.Write([]byte(home))
	tmux := filepath.Join(os.TempDir(), fmt.Sprintf("sdk-tmux-%08x", h.Sum32()))
	for _, d := range []string{home, tmux} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	stdout, err := x.logs.ensure(home, container)
	if err != nil {
		return err
	}
	c := exec.Command(cmd[0], cmd[1:]...)
	c.Dir = home
	c.Env = append(os.Environ(), "HOME="+home, "TMUX_TMPDIR="+tmux, "SDK_TESTENV=1", "SDK_TESTENV_POD="+pod,
		"SDK_TESTENV_NAMESPACE="+ns, "SDK_TESTENV_CONTAINER="+container, "SDK_TESTENV_STDOUT="+stdout)
	// Like a container runtime, a closed connection does not stop the process.
	// Output is copied by drain (below), which never drops what the command
	// wrote, however slowly the client reads.

	started := make(chan struct{})
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-started:
			x.killWhenPodGone(c, name, uid, done)
		case <-done:
		}
	}()
	if tty {
		err = runWithTTY(c, in, out, resize, started)
	} else {
		err = run(c, in, out, errOut, started)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return exitError{128 + int(ws.Signal())}
		}
		return exitError{ee.ExitCode()}
	}
	return err
}

// leftoverSilence: once the command has exited, a child it left behind may
// hold its output open without writing; after this much silence the output
// is taken as ended.
const leftoverSilence = time.Second

// drain copies r to w until r ends or, once exited is closed, until r has
// been silent for leftoverSilence. Time spent waiting on w (a client that
// reads slowly) is never counted as silence, so backpressure loses nothing.
func drain(r *os.File, w io.Writer, exited <-chan struct{}) {
	defer r.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-exited:
			_ = r.SetReadDeadline(time.Now().Add(leftoverSilence))
		case <-stop:
		}
	}()
	buf := make([]byte, 32*1024)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
		select {
		case <-exited:
			_ = r.SetReadDeadline(time.Now().Add(leftoverSilence))
		default:
		}
	}
}

func run(c *exec.Cmd, in io.Reader, out, errOut io.Writer, started chan<- struct{}) error {
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	exited := make(chan struct{})
	var drains sync.WaitGroup
	var childEnds []*os.File
	// Our own pipes (not exec's copying goroutines, which drop what is still
	// buffered once WaitDelay passes after the command exits).
	attach := func(w io.Writer) (*os.File, error) {
		if w == nil {
			return nil, nil
		}
		r, pw, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		childEnds = append(childEnds, pw)
		drains.Add(1)
		go func() {
			defer drains.Done()
			drain(r, w, exited)
		}()
		return pw, nil
	}
	finish := func() {
		for _, f := range childEnds {
			_ = f.Close()
		}
		close(exited)
		drains.Wait()
	}
	var err error
	if c.Stdout, err = attach(out); err != nil {
		finish()
		return err
	}
	if c.Stderr, err = attach(errOut); err != nil {
		finish()
		return err
	}
	// exec treats a nil *os.File in an io.Writer as a writer: clear them.
	if out == nil {
		c.Stdout = nil
	}
	if errOut == nil {
		c.Stderr = nil
	}
	var stdin io.WriteCloser
	if in != nil {
		if stdin, err = c.StdinPipe(); err != nil {
			finish()
			return err
		}
	}
	if err := c.Start(); err != nil {
		finish()
		return err
	}
	close(started)
	// The child has its copies; ours would keep the pipes open forever.
	for _, f := range childEnds {
		_ = f.Close()
	}
	childEnds = nil
	if stdin != nil {
		go func() {
			_, _ = io.Copy(stdin, in)
			// The client half-closed stdin: the command sees end of file.
			_ = stdin.Close()
		}()
	}
	err = c.Wait()
	finish()
	return err
}

func runWithTTY(c *exec.Cmd, in io.Reader, out io.Writer, resize <-chan remotecommand.TerminalSize, started chan<- struct{}) error {
	f, err := pty.Start(c)
	if err != nil {
		return err
	}
	close(started)
	go func() {
		for size := range resize {
			_ = pty.Setsize(f, &pty.Winsize{Rows: size.Height, Cols: size.Width})
		}
	}()
	if in != nil {
		go func() { _, _ = io.Copy(f, in) }()
	}
	if out == nil {
		out = io.Discard
	}
	exited := make(chan struct{})
	drained := make(chan struct{})
	go func() {
		drain(f, out, exited)
		close(drained)
	}()
	err = c.Wait()
	close(exited)
	<-drained
	return err
}

// The kubelet's routes: /exec/{namespace}/{pod}/{container} and
// /exec/{namespace}/{pod}/{uid}/{container}, the command in ?command=.
func (x *executor) serveExec(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/exec/"), "/")
	var ns, pod, uid, container string
	switch len(parts) {
	case 3:
		ns, pod, container = parts[0], parts[1], parts[2]
	case 4:
		ns, pod, uid, container = parts[0], parts[1], parts[2], parts[3]
	default:
		http.Error(w, "expected /exec/{namespace}/{pod}/[{uid}/]{container}", http.StatusNotFound)
		return
	}
	opts, err := remotecommand.NewOptions(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	remotecommand.ServeExec(w, r, x, ns+"/"+pod, uid, container, r.URL.Query()["command"], opts,
		4*time.Hour, 30*time.Second, remotecommand.SupportedStreamingProtocols)
}

func main() {
	addr := flag.String("listen", "127.0.0.1:10250", "host:port to serve on (must be loopback)")
	certFile := flag.String("tls-cert-file", "", "PEM serving certificate")
	keyFile := flag.String("tls-key-file", "", "PEM private key")
	workDir := flag.String("work-dir", os.TempDir(), "working directory of executed commands")
	apiServer := flag.String("apiserver", "", "API server URL; when set, commands of deleted pods are killed")
	tokenFile := flag.String("token-file", "", "bearer token for --apiserver")
	caFile := flag.String("ca-file", "", "CA of --apiserver")
	flag.Parse()

	pods, err := newPodWatch(*apiServer, *tokenFile, *caFile)
	if err != nil {
		log.Fatalf("pod watch: %v", err)
	}
	x := &executor{workDir: *workDir, pods: pods, logs: newContainerLogs()}
	mux := http.NewServeMux()
	mux.HandleFunc("/exec/", x.serveExec)
	mux.HandleFunc("/portForward/", x.servePortForward)
	mux.HandleFunc("/containerLogs/", x.serveContainerLogs)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	srv := &http.Server{
		Addr:              *addr,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
	}
	log.Printf("node exec server listening on https://%s", *addr)
	log.Fatal(srv.ListenAndServeTLS(*certFile, *keyFile))
}
