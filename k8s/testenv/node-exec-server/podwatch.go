package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// Commands are killed when their pod is deleted, as the kubelet kills a
// deleted pod's containers (and with them every exec session in them).
//
// One watch of all pods, shared by every exec session, tells which pods
// exist: the exec server adds no API server requests per session or per idle
// stream (one session polling per stream made a thousand idle streams two
// thousand GETs a second, which distorted the benchmarks sharing the API
// server). The watch is cluster-wide: this server does not know its node's
// name, and a watch costs the API server per pod event, not per watcher.
//
// Requests for pods/exec carry no pod UID (the API server forwards
// /exec/{namespace}/{pod}/{container}), so a session learns its pod's UID
// from the watch, or from one GET when the watch has not seen the pod yet.
// The UID is what tells a deleted pod's sessions from those of a successor
// with the same name.
//
// While the watch is down (the API server restarting, or watching refused),
// deletions are still noticed by a single shared poll: one GET per pod that
// has sessions, every retry (at most maxBackoff apart), never one per session.

const (
	minBackoff = 250 * time.Millisecond
	maxBackoff = 2 * time.Second
	// watchTimeout: the API server ends each watch after this long (and the
	// client gives up a little later on a connection gone silent); the next
	// one resumes from the last resourceVersion seen.
	watchTimeout = 5 * time.Minute
	// tombstoneTTL: how long a deleted pod's UID is remembered, for sessions
	// that learnt their UID from a GET answered just before the deletion
	// reached the watch (milliseconds, in practice).
	tombstoneTTL = time.Minute
)

// Only the pods' metadata is needed: the API server sends that alone when
// asked for the PartialObjectMetadata form (plain JSON as the fallback reads
// the same fields).
const (
	acceptList  = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
	acceptWatch = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"
)

type objectMeta struct {
	Namespace       string `json:"namespace"`
	Name            string `json:"name"`
	UID             string `json:"uid"`
	ResourceVersion string `json:"resourceVersion"`
}

func (m objectMeta) key() string { return m.Namespace + "/" + m.Name }

type apiClient struct {
	server string
	token  string
	client *http.Client // short requests
	watch  *http.Client // watches: same transport, no overall timeout
}

func newAPIClient(server, tokenFile, caFile string) (*apiClient, error) {
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
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	return &apiClient{
		server: strings.TrimSuffix(server, "/"),
		token:  strings.TrimSpace(string(token)),
		client: &http.Client{Timeout: 5 * time.Second, Transport: tr},
		watch:  &http.Client{Transport: tr},
	}, nil
}

func (a *apiClient) get(ctx context.Context, c *http.Client, path, accept string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.server+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Accept", accept)
	return c.Do(req)
}

// podUID returns the pod's UID, "" when the pod does not exist, and an error
// when the API server gave no clear answer.
func (a *apiClient) podUID(key string) (string, error) {
	ns, name, _ := strings.Cut(key, "/")
	resp, err := a.get(context.Background(), a.client,
		"/api/v1/namespaces/"+url.PathEscape(ns)+"/pods/"+url.PathEscape(name), acceptWatch)
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
	var obj struct{ Metadata objectMeta }
	if err := json.NewDecoder(resp.Body).Decode(&obj); err != nil {
		return "", err
	}
	return obj.Metadata.UID, nil
}

// podSession is one exec session's interest in its pod.
type podSession struct {
	key, uid string
	seq      uint64        // order of registration (see relist)
	gone     chan struct{} // closed when the pod is deleted
}

type podWatch struct {
	api *apiClient

	mu       sync.Mutex
	synced   bool                                // the watch is running: alive is current
	alive    map[string]string                   // "namespace/name" -> UID, of the pods that exist
	deleted  map[string]time.Time                // UID -> when its deletion was seen (see tombstoneTTL)
	sessions map[string]map[*podSession]struct{} // UID -> sessions in that pod
	seq      uint64                              // sessions registered so far
}

// newPodWatch starts the watch; nil when no API server is configured (then
// commands outlive their pods).
func newPodWatch(server, tokenFile, caFile string) (*podWatch, error) {
	if server == "" {
		return nil, nil
	}
	api, err := newAPIClient(server, tokenFile, caFile)
	if err != nil {
		return nil, err
	}
	p := &podWatch{api: api, alive: map[string]string{}, deleted: map[string]time.Time{},
		sessions: map[string]map[*podSession]struct{}{}}
	go p.run()
	return p, nil
}

// register returns the session of the pod key (UID uid, or "" when the
// request did not say), whose gone channel is closed once the pod is
// deleted; nil when done closed first. A pod already deleted gets a session
// already gone: a kubelet would not keep its commands either.
func (p *podWatch) register(key, uid string, done <-chan struct{}) *podSession {
	p.mu.Lock()
	if uid == "" && p.synced {
		uid = p.alive[key]
	}
	p.mu.Unlock()
	// The watch has not seen this pod (just created, just deleted, or the
	// watch is down): ask once, and again on an unclear answer.
	for uid == "" {
		u, err := p.api.podUID(key)
		if err == nil && u == "" {
			s := &podSession{key: key, gone: make(chan struct{})}
			close(s.gone)
			return s
		}
		if err == nil {
			uid = u
			break
		}
		select {
		case <-done:
			return nil
		case <-time.After(time.Second):
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	s := &podSession{key: key, uid: uid, seq: p.seq, gone: make(chan struct{})}
	if _, ok := p.deleted[uid]; ok {
		close(s.gone)
		return s
	}
	if p.sessions[uid] == nil {
		p.sessions[uid] = map[*podSession]struct{}{}
	}
	p.sessions[uid][s] = struct{}{}
	return s
}

// unregister forgets a session that ended.
func (p *podWatch) unregister(s *podSession) {
	if s == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if m := p.sessions[s.uid]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(p.sessions, s.uid)
		}
	}
}

// podDeleted ends the sessions of pod uid and remembers its deletion.
// Called with mu held.
func (p *podWatch) podDeleted(uid string) {
	now := time.Now()
	for u, t := range p.deleted {
		if now.Sub(t) > tombstoneTTL {
			delete(p.deleted, u)
		}
	}
	p.deleted[uid] = now
	for s := range p.sessions[uid] {
		close(s.gone)
	}
	delete(p.sessions, uid)
}

var errExpired = errors.New("resourceVersion expired")

// run keeps the watch going for the life of the process.
func (p *podWatch) run() {
	backoff := minBackoff
	rv := ""
	// Logged once per change of state, not once per retry.
	up, down := false, false
	// Called when a watch request is accepted.
	onWatch := func() {
		backoff = minBackoff
		if !up {
			log.Printf("pod watch: watching pods")
			up, down = true, false
		}
	}
	for {
		var err error
		if rv == "" {
			rv, err = p.relist()
		}
		if err == nil {
			// Resumes from rv after a dropped connection: the events missed
			// meanwhile are replayed, or 410 Gone asks for a relist.
			rv, err = p.watchFrom(rv, onWatch)
			if errors.Is(err, errExpired) {
				rv = ""
			}
		}
		p.mu.Lock()
		p.synced = false
		p.mu.Unlock()
		if !down {
			log.Printf("pod watch: %v; retrying, and polling the pods with exec sessions meanwhile", err)
			up, down = false, true
		}
		p.poll()
		time.Sleep(backoff)
		backoff = min(2*backoff, maxBackoff)
	}
}

// relist replaces what is known of the pods with a fresh list, ends the
// sessions of pods deleted while the watch was down, and returns the list's
// resourceVersion to watch from.
func (p *podWatch) relist() (string, error) {
	p.mu.Lock()
	before := p.seq
	p.mu.Unlock()
	resp, err := p.api.get(context.Background(), p.api.client, "/api/v1/pods", acceptList)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("list: HTTP %d", resp.StatusCode)
	}
	var list struct {
		Metadata struct {
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
		Items []struct{ Metadata objectMeta }
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return "", fmt.Errorf("list: %w", err)
	}
	alive := make(map[string]string, len(list.Items))
	uids := make(map[string]bool, len(list.Items))
	for _, it := range list.Items {
		alive[it.Metadata.key()] = it.Metadata.UID
		uids[it.Metadata.UID] = true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, uid := range p.alive {
		if !uids[uid] {
			p.podDeleted(uid)
		}
	}
	// A session registered before the list was asked for proves that its
	// pod existed then; missing from the list, it was deleted. A later one
	// may belong to a pod created after the list: the watch will tell.
	for uid, m := range p.sessions {
		if uids[uid] {
			continue
		}
		for s := range m {
			if s.seq <= before {
				p.podDeleted(uid)
				break
			}
		}
	}
	p.alive = alive
	p.synced = true
	return list.Metadata.ResourceVersion, nil
}

// watchFrom follows the pods' events from resourceVersion rv, one watch
// request after another, until one fails; it returns the last
// resourceVersion seen. watching is called when a watch request is accepted.
func (p *podWatch) watchFrom(rv string, watching func()) (string, error) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), watchTimeout+30*time.Second)
		path := fmt.Sprintf("/api/v1/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=%d&resourceVersion=%s",
			int(watchTimeout/time.Second), url.QueryEscape(rv))
		resp, err := p.api.get(ctx, p.api.watch, path, acceptWatch)
		if err != nil {
			cancel()
			return rv, err
		}
		if resp.StatusCode == http.StatusGone {
			resp.Body.Close()
			cancel()
			return rv, errExpired
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			cancel()
			return rv, fmt.Errorf("watch: HTTP %d", resp.StatusCode)
		}
		watching()
		p.mu.Lock()
		p.synced = true
		p.mu.Unlock()
		rv, err = p.follow(resp.Body, rv)
		resp.Body.Close()
		cancel()
		if err != nil {
			return rv, err
		}
	}
}

// follow applies the events of one watch response until it ends (nil: the
// server's timeout, to be resumed) and returns the last resourceVersion.
func (p *podWatch) follow(body io.Reader, rv string) (string, error) {
	dec := json.NewDecoder(body)
	for {
		var ev struct {
			Type   string `json:"type"`
			Object struct {
				Metadata objectMeta `json:"metadata"`
				// An ERROR event carries a Status.
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"object"`
		}
		if err := dec.Decode(&ev); err != nil {
			if errors.Is(err, io.EOF) {
				return rv, nil
			}
			return rv, err
		}
		m := ev.Object.Metadata
		switch ev.Type {
		case "ADDED", "MODIFIED":
			p.mu.Lock()
			p.alive[m.key()] = m.UID
			p.mu.Unlock()
		case "DELETED":
			p.mu.Lock()
			if p.alive[m.key()] == m.UID {
				delete(p.alive, m.key())
			}
			p.podDeleted(m.UID)
			p.mu.Unlock()
		case "BOOKMARK":
		case "ERROR":
			if ev.Object.Code == http.StatusGone {
				return rv, errExpired
			}
			return rv, fmt.Errorf("watch error %d: %s", ev.Object.Code, ev.Object.Message)
		default:
			continue
		}
		if m.ResourceVersion != "" {
			rv = m.ResourceVersion
		}
	}
}

// poll stands in for the watch while it is down: one GET per pod that has
// sessions.
func (p *podWatch) poll() {
	p.mu.Lock()
	pods := make(map[string]string, len(p.sessions)) // UID -> key
	for uid, m := range p.sessions {
		for s := range m {
			pods[uid] = s.key
			break
		}
	}
	p.mu.Unlock()
	for uid, key := range pods {
		now, err := p.api.podUID(key)
		if err != nil || now == uid {
			continue
		}
		p.mu.Lock()
		p.podDeleted(uid)
		p.mu.Unlock()
	}
}
