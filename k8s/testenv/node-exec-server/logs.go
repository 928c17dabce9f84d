package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Container logs. A real container's log is what its main process prints;
// this node runs no container, so each pod's container gets a FIFO that its
// commands may print to (its path in $SDK_TESTENV_STDOUT, as /proc/1/fd/1
// would be in a container). What arrives is kept as the container runtime
// keeps it (CRI log format: "<RFC3339Nano> stdout F|P <text>"), and served on
// the kubelet's /containerLogs route with its options.

// maxLogLine is the longest log entry; a longer line is split (tag P), as
// container runtimes split lines of 16 KiB.
const maxLogLine = 16 * 1024

type containerLogs struct {
	mu      sync.Mutex
	started map[string]bool
}

func newContainerLogs() *containerLogs { return &containerLogs{started: map[string]bool{}} }

// dir is where a pod's container keeps its FIFO and log.
func logDir(home, container string) string {
	return filepath.Join(home, ".sdk-testenv", "containers", container)
}

// ensure makes the container's FIFO and starts its logger once; it returns
// the FIFO's path.
func (l *containerLogs) ensure(home, container string) (string, error) {
	dir := logDir(home, container)
	fifo := filepath.Join(dir, "stdout")
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started[dir] {
		return fifo, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	_ = os.Remove(fifo)
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		return "", err
	}
	// Read and write: the FIFO never reports end of file when a writer
	// closes, and opening it for writing never blocks.
	r, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		return "", err
	}
	out, err := os.OpenFile(filepath.Join(dir, "log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		_ = r.Close()
		return "", err
	}
	l.started[dir] = true
	go keepLog(r, out)
	return fifo, nil
}

func keepLog(r *os.File, out *os.File) {
	defer r.Close()
	defer out.Close()
	br := bufio.NewReaderSize(r, maxLogLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) == 0 && err != nil && err != bufio.ErrBufferFull {
			return
		}
		tag := "F"
		text := line
		if n := len(text); n > 0 && text[n-1] == '\n' {
			text = text[:n-1]
		} else {
			tag = "P"
		}
		entry := fmt.Sprintf("%s stdout %s %s\n", time.Now().UTC().Format(time.RFC3339Nano), tag, text)
		if _, werr := out.WriteString(entry); werr != nil {
			return
		}
	}
}

type logEntry struct {
	at      time.Time
	stamp   string
	partial bool
	text    []byte
}

func parseEntries(data []byte) (entries []logEntry, rest []byte) {
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return entries, data
		}
		line := data[:i]
		data = data[i+1:]
		f := bytes.SplitN(line, []byte(" "), 4)
		if len(f) < 3 {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, string(f[0]))
		if err != nil {
			continue
		}
		var text []byte
		if len(f) == 4 {
			text = f[3]
		}
		entries = append(entries, logEntry{at: at, stamp: string(f[0]), partial: string(f[2]) == "P", text: text})
	}
}

type logQuery struct {
	follow     bool
	timestamps bool
	tailLines  int64 // -1: all
	since      time.Time
	limitBytes int64 // -1: no limit
}

func parseLogQuery(r *http.Request) (q logQuery, err error) {
	v := r.URL.Query()
	q.follow = v.Get("follow") == "true"
	q.timestamps = v.Get("timestamps") == "true"
	q.tailLines, q.limitBytes = -1, -1
	if s := v.Get("tailLines"); s != "" {
		if q.tailLines, err = strconv.ParseInt(s, 10, 64); err != nil || q.tailLines < 0 {
			return q, fmt.Errorf("tailLines must be a non-negative integer")
		}
	}
	if s := v.Get("limitBytes"); s != "" {
		if q.limitBytes, err = strconv.ParseInt(s, 10, 64); err != nil || q.limitBytes <= 0 {
			return q, fmt.Errorf("limitBytes must be a positive integer")
		}
	}
	if s := v.Get("sinceSeconds"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return q, fmt.Errorf("sinceSeconds must be a positive integer")
		}
		q.since = time.Now().Add(-time.Duration(n) * time.Second)
	}
	if s := v.Get("sinceTime"); s != "" {
		if q.since, err = time.Parse(time.RFC3339, s); err != nil {
			return q, fmt.Errorf("sinceTime must be RFC 3339")
		}
	}
	return q, nil
}

// The kubelet's route: /containerLogs/{namespace}/{pod}/{container}.
func (x *executor) serveContainerLogs(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/containerLogs/"), "/")
	if len(parts) != 3 {
		http.Error(w, "expected /containerLogs/{namespace}/{pod}/{container}", http.StatusNotFound)
		return
	}
	q, err := parseLogQuery(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	home := filepath.Join(x.workDir, parts[0], parts[1])
	if _, err := x.logs.ensure(home, parts[2]); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	f, err := os.Open(filepath.Join(logDir(home, parts[2]), "log"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "text/plain")
	flusher, _ := w.(http.Flusher)
	written := int64(0)
	// write sends entries; false once the byte limit is reached or the
	// client is gone.
	write := func(entries []logEntry) bool {
		var buf bytes.Buffer
		for _, e := range entries {
			if !q.since.IsZero() && e.at.Before(q.since) {
				continue
			}
			if q.timestamps {
				buf.WriteString(e.stamp)
				buf.WriteByte(' ')
			}
			buf.Write(e.text)
			if !e.partial {
				buf.WriteByte('\n')
			}
		}
		out := buf.Bytes()
		if q.limitBytes >= 0 && written+int64(len(out)) > q.limitBytes {
			out = out[:q.limitBytes-written]
		}
		if len(out) > 0 {
			if _, err := w.Write(out); err != nil {
				return false
			}
			written += int64(len(out))
			if flusher != nil {
				flusher.Flush()
			}
		}
		return q.limitBytes < 0 || written < q.limitBytes
	}
	data, err := readAll(f)
	if err != nil {
		return
	}
	entries, rest := parseEntries(data)
	if q.tailLines >= 0 && int64(len(entries)) > q.tailLines {
		entries = entries[int64(len(entries))-q.tailLines:]
	}
	if !write(entries) || !q.follow {
		return
	}
	if flusher != nil {
		flusher.Flush()
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	buf := make([]byte, 64*1024)
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
		for {
			n, err := f.Read(buf)
			rest = append(rest, buf[:n]...)
			if n == 0 || err != nil {
				break
			}
		}
		entries, rest = parseEntries(rest)
		if len(entries) > 0 && !write(entries) {
			return
		}
	}
}

func readAll(f *os.File) ([]byte, error) {
	var out bytes.Buffer
	_, err := out.ReadFrom(f)
	return out.Bytes(), err
}
