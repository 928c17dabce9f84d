package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"k8s.io/cri-streaming/pkg/streaming/portforward"
)

// The kubelet's routes: /portForward/{namespace}/{pod} and
// /portForward/{namespace}/{pod}/{uid}, the ports in ?port= (WebSocket) or
// in each stream's headers (SPDY). The protocol is the upstream library.
func (x *executor) servePortForward(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/portForward/"), "/")
	var ns, pod, uid string
	switch len(parts) {
	case 2:
		ns, pod = parts[0], parts[1]
	case 3:
		ns, pod, uid = parts[0], parts[1], parts[2]
	default:
		http.Error(w, "expected /portForward/{namespace}/{pod}[/{uid}]", http.StatusNotFound)
		return
	}
	opts, err := portforward.NewV4Options(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	portforward.ServePortForward(w, r, x, ns+"/"+pod, uid, opts, 4*time.Hour, 30*time.Second,
		portforward.SupportedProtocols)
}

// PortForward connects one forwarded stream to the pod's port. Commands of
// this node's pods run on this host, so the pod's port is the host's port on
// loopback (a server in such a pod must listen on 127.0.0.1).
func (x *executor) PortForward(ctx context.Context, name, _ string, port int32, stream io.ReadWriteCloser) error {
	defer stream.Close()
	var d net.Dialer
	dialCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := d.DialContext(dialCtx, "tcp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return fmt.Errorf("nothing accepts connections on port %d of %s: %w", port, name, err)
	}
	defer conn.Close()
	toPod := make(chan struct{})
	go func() {
		defer close(toPod)
		_, _ = io.Copy(conn, stream)
		// The client is done sending: the pod's server sees end of input.
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}()
	_, _ = io.Copy(stream, conn)
	// The pod's server closed its side: that ends this forwarded connection
	// (the deferred closes unblock the copy above).
	return nil
}
