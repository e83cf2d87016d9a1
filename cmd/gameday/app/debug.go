package app

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
)

// startDebugServer serves Go's profiles (net/http/pprof) on addr when it
// is set (GAMEDAY_DEBUG_ADDR=127.0.0.1:6061), for the soak benchmark's
// goroutine counts and for debugging; only on a loopback address.
func startDebugServer(addr string) {
	if addr == "" {
		return
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !(host == "127.0.0.1" || host == "localhost" || strings.HasPrefix(host, "::1")) {
		fmt.Fprintf(os.Stderr, "gameday: GAMEDAY_DEBUG_ADDR %q: only a loopback address is allowed\n", addr)
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gameday: GAMEDAY_DEBUG_ADDR: %v\n", err)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/heap", pprof.Index)
	go func() { _ = http.Serve(ln, mux) }()
}
