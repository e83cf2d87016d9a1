// Package e2e holds the end-to-end tests of the real gameday binary. They
// build it once (TestMain), then drive it as a user would: headless runs of
// every shipped scenario against a `gameday sandbox` started by the test,
// the fragile sandbox, stop conditions, signals, bad scenario files,
// `gameday report` and JUnit output, and the console in tmux.
//
// Every process a test starts is killed when the test ends, and every
// sandbox runs with GAMEDAY_STATE_DIR set to a directory of the test, so
// the tests never attach to a developer's sandbox nor touch their state.
// The tests need Linux (/proc, Pdeathsig); the console test needs tmux and
// is skipped without it, except in CI (CI=true), where it fails.
//
//	go test -race -count=1 ./e2e/
package e2e
