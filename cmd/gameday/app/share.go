package app

import (
	"errors"
	"fmt"
	"net"

	"github.com/spf13/pflag"

	"github.com/gameday-tui/gameday/share"
)

// The facilitator's side of team mode: --share serves the run's record
// stream (the journal's lines) to `gameday watch` (watch.go) on loopback,
// or on the address given.

// addShareFlag adds --share[=ADDR]. Without a value it serves on
// 127.0.0.1 on a free port.
func addShareFlag(fl *pflag.FlagSet, addr *string) {
	fl.StringVar(addr, "share", "", "serve the run to teammates (gameday watch) on 127.0.0.1, or on `ADDR` with --share=ADDR; prints the line they run")
	fl.Lookup("share").NoOptDefVal = share.DefaultAddr
}

// checkShareArgs catches `--share ADDR` written with a space: pflag
// takes ADDR for an argument of the command, not the flag's value.
func checkShareArgs(addr string, args []string) error {
	if addr != share.DefaultAddr {
		return nil
	}
	for _, a := range args {
		if _, _, err := net.SplitHostPort(a); err == nil {
			return invalid(fmt.Errorf("%q after --share: write --share=%s (with =) to serve on that address", a, a))
		}
	}
	return nil
}

// listenShare starts serving runs to watchers on addr; logf receives the
// watchers' comings and goings.
func listenShare(addr string, logf func(string, ...any)) (*share.Server, error) {
	srv, err := share.Listen(share.Options{Addr: addr, Version: buildVersion(), Logf: logf})
	if err != nil {
		return nil, invalid(fmt.Errorf("--share: %w", err))
	}
	return srv, nil
}

// joinLines are the lines the facilitator hands out: the watch line, then
// the scribe's.
func joinLines(srv *share.Server) []string {
	return []string{srv.WatchLine(), srv.ScribeLine()}
}

// errJoin says a join line is wrong: exit 3, like any configuration.
func errJoin(err error) error {
	if errors.Is(err, share.ErrBadJoin) || errors.Is(err, share.ErrUnauthorized) || errors.Is(err, share.ErrNotScribe) {
		return invalid(err)
	}
	return invalid(fmt.Errorf("watch: %w", err))
}
