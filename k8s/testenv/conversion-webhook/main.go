// Command conversion-webhook serves the agent-sandbox CRD conversion webhook
// on a loopback address.
//
// The upstream controller (v0.5.x) registers the same handler on its own
// webhook server, but that server always binds every interface. The test
// environment must bind 127.0.0.1 only, so it runs the controller with
// --enable-webhook=false and this process instead. The conversion itself is
// the upstream code: the Hub/Convertible implementations of the
// sigs.k8s.io/agent-sandbox API packages, driven by controller-runtime's
// conversion handler, exactly as the controller wires them.
package main

import (
	"crypto/tls"
	"flag"
	"log"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/conversion"

	sandboxv1alpha1 "sigs.k8s.io/agent-sandbox/api/v1alpha1"
	sandboxv1beta1 "sigs.k8s.io/agent-sandbox/api/v1beta1"
	extv1alpha1 "sigs.k8s.io/agent-sandbox/extensions/api/v1alpha1"
	extv1beta1 "sigs.k8s.io/agent-sandbox/extensions/api/v1beta1"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:9443", "host:port to serve on (must be loopback)")
	certFile := flag.String("tls-cert-file", "", "PEM serving certificate")
	keyFile := flag.String("tls-key-file", "", "PEM private key")
	flag.Parse()

	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		sandboxv1alpha1.AddToScheme, sandboxv1beta1.AddToScheme,
		extv1alpha1.AddToScheme, extv1beta1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			log.Fatalf("registering API types: %v", err)
		}
	}

	mux := http.NewServeMux()
	mux.Handle("/convert", conversion.NewWebhookHandler(scheme, conversion.NewRegistry()))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })

	srv := &http.Server{
		Addr:              *addr,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
	}
	log.Printf("conversion webhook listening on https://%s/convert", *addr)
	log.Fatal(srv.ListenAndServeTLS(*certFile, *keyFile))
}
