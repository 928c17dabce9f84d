// Command node-exec-server answers the kubelet's exec endpoint for the test
// environment's kwok node: the API server's pods/exec lands here and the
// command runs on this host.
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
	"crypto/x509"
	"encoding/json"
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
	"syscall"
	"time"

	"github.com/creack/pty"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
)

type executor struct {
	workDir string
	pods    *podChecker
}

// podChecker asks the API server whether a pod still exists, so that a
// command is killed when its pod goes away, as the kubelet kills a deleted
// pod's containers (and with them every exec session in them).
type podChecker struct {
	server string
	token  string
	client *http.Client
}

func newPodChecker(server, tokenFile, caFile string) (*podChecker, error) {
	if server == "" {
		return nil, nil
	}
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("no certificate in %s", caFile)
	}
	return &podChecker{
		server: strings.TrimSuffix(server, "/"),
		token:  strings.TrimSpace(string(token)),
		client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}},
	}, nil
}

// uid returns the pod's UID, "" when the pod does not exist, and an error
// when the API server gave no clear answer.
func (p *podChecker) uid(ns, pod string) (string, error) {
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v1/namespaces/%s/pods/%s", p.server, ns, pod), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+p.token)
	resp, err := p.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return "", nil
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var obj struct {
		Metadata struct {
			UID string `json:"uid"`
		} `json:"metadata"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&obj); err != nil {
		return "", err
	}
	return obj.Metadata.UID, nil
}

// killWhenPodGone kills the command's process group once its pod is deleted.
func (x *executor) killWhenPodGone(c *exec.Cmd, ns, pod string, done <-chan struct{}) {
	if x.pods == nil {
		return
	}
	kill := func() {
		if c.Process != nil {
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			_ = c.Process.Kill()
		}
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	// The pod this command belongs to (a same-named successor is another
	// pod). An unclear answer is asked again; a pod already gone by now was
	// deleted while the command started, and a kubelet would not keep it.
	original, err := x.pods.uid(ns, pod)
	for err != nil {
		select {
		case <-done:
			return
		case <-tick.C:
			original, err = x.pods.uid(ns, pod)
		}
	}
	if original == "" {
		kill()
		return
	}
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			now, err := x.pods.uid(ns, pod)
			if err == nil && now != original {
				kill()
				return
			}
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
	c := exec.Command(cmd[0], cmd[1:]...)
	c.Dir = home
	c.Env = append(os.Environ(), "HOME="+home, "TMUX_TMPDIR="+tmux, "SDK_TESTENV=1", "SDK_TESTENV_POD="+pod,
		"SDK_TESTENV_NAMESPACE="+ns, "SDK_TESTENV_CONTAINER="+container)
	// Like a container runtime, a closed connection does not stop the process;
	// leftover children may hold the output open, so stop waiting on them soon
	// after the command itself has exited.
	c.WaitDelay = time.Second

	started := make(chan struct{})
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-started:
			x.killWhenPodGone(c, ns, pod, done)
		case <-done:
		}
	}()
	var err error
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

func run(c *exec.Cmd, in io.Reader, out, errOut io.Writer, started chan<- struct{}) error {
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if out != nil {
		c.Stdout = out
	}
	if errOut != nil {
		c.Stderr = errOut
	}
	var stdin io.WriteCloser
	if in != nil {
		var err error
		if stdin, err = c.StdinPipe(); err != nil {
			return err
		}
	}
	if err := c.Start(); err != nil {
		return err
	}
	close(started)
	if stdin != nil {
		go func() {
			_, _ = io.Copy(stdin, in)
			// The client half-closed stdin: the command sees end of file.
			_ = stdin.Close()
		}()
	}
	return c.Wait()
}

func runWithTTY(c *exec.Cmd, in io.Reader, out io.Writer, resize <-chan remotecommand.TerminalSize, started chan<- struct{}) error {
	f, err := pty.Start(c)
	if err != nil {
		return err
	}
	close(started)
	defer f.Close()
	go func() {
		for size := range resize {
			_ = pty.Setsize(f, &pty.Winsize{Rows: size.Height, Cols: size.Width})
		}
	}()
	if in != nil {
		go func() { _, _ = io.Copy(f, in) }()
	}
	done := make(chan struct{})
	go func() {
		if out != nil {
			_, _ = io.Copy(out, f)
		}
		close(done)
	}()
	err = c.Wait()
	select {
	case <-done:
	case <-time.After(time.Second):
	}
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

	pods, err := newPodChecker(*apiServer, *tokenFile, *caFile)
	if err != nil {
		log.Fatalf("pod checker: %v", err)
	}
	x := &executor{workDir: *workDir, pods: pods}
	mux := http.NewServeMux()
	mux.HandleFunc("/exec/", x.serveExec)
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
