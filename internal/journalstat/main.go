// Command journalstat reads gameday journals and prints the figures the
// benchmark scripts report: for each journal with an abort, how long after
// the abort every fault was confirmed rolled back, and verified; then the
// p50, p99 and max over all the journals given.
//
// Usage: go run ./internal/journalstat JOURNAL...
//
//	go run ./internal/journalstat --clean JOURNAL
//
// --clean checks one journal instead: every fault that was injected ended
// rolled back and verified clean (exit 0), or says which did not (exit 1).
package main

import (
	"fmt"
	"math"
	"os"
	"slices"
	"time"

	"github.com/gameday-tui/gameday/engine"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: journalstat JOURNAL... | journalstat --clean JOURNAL")
		os.Exit(2)
	}
	if os.Args[1] == "--clean" && len(os.Args) == 3 {
		if err := checkClean(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("clean")
		return
	}
	var rolled, verified []time.Duration
	for _, path := range os.Args[1:] {
		r, v, n, err := abortTimes(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			os.Exit(1)
		}
		fmt.Printf("%s: %d faults, all rolled back %s after the abort, all verified %s\n", path, n, ms(r), ms(v))
		rolled = append(rolled, r)
		verified = append(verified, v)
	}
	fmt.Printf("abort → every fault rolled back (confirmed): p50 %s  p99 %s  max %s  (n=%d)\n", ms(pct(rolled, 50)), ms(pct(rolled, 99)), ms(slices.Max(rolled)), len(rolled))
	fmt.Printf("abort → every fault verified clean:          p50 %s  p99 %s  max %s  (n=%d)\n", ms(pct(verified, 50)), ms(pct(verified, 99)), ms(slices.Max(verified)), len(verified))
}

// abortTimes returns, for one journal, the time from its abort record to
// the last "rolled back" record and to the last verification, and how
// many faults were active at the abort.
func abortTimes(path string) (time.Duration, time.Duration, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, 0, err
	}
	defer f.Close()
	recs, err := engine.ReadJournal(f)
	if err != nil {
		return 0, 0, 0, err
	}
	var abort time.Time
	active := map[string]bool{}
	var lastRolled, lastVerified time.Time
	n := 0
	for _, r := range recs {
		switch r.Type {
		case engine.RecAbort:
			abort = r.At
			n = len(active)
		case engine.RecFault:
			if r.Fault == nil {
				continue
			}
			id := r.Fault.Fault.ID
			if abort.IsZero() {
				active[id] = r.Fault.State == engine.FaultActive
				if !active[id] {
					delete(active, id)
				}
				continue
			}
			if r.Fault.State == engine.FaultRolledBack {
				if r.Fault.Verification == nil {
					lastRolled = r.At
				} else {
					lastVerified = r.At
				}
			}
		}
	}
	if abort.IsZero() {
		return 0, 0, 0, fmt.Errorf("no abort in the journal")
	}
	if lastRolled.IsZero() || lastVerified.IsZero() {
		return 0, 0, n, fmt.Errorf("not every fault was rolled back and verified")
	}
	return lastRolled.Sub(abort), lastVerified.Sub(abort), n, nil
}

func pct(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(i, 0)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// checkClean says whether every injected fault of a journal ended rolled
// back and verified clean.
func checkClean(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	recs, err := engine.ReadJournal(f)
	if err != nil {
		return err
	}
	for _, fs := range engine.Replay(recs).Faults {
		switch {
		case fs.State == engine.FaultSkipped || fs.State == engine.FaultPending:
		case fs.State != engine.FaultRolledBack:
			return fmt.Errorf("%s: %s ends %s", path, fs.Fault.ID, fs.State)
		case fs.Verification == nil || !fs.Verification.Clean:
			return fmt.Errorf("%s: %s rolled back but not verified clean", path, fs.Fault.ID)
		}
	}
	return nil
}
