//go:build !linux

package loadgen

import "time"

// preciseSleep sleeps for d. Elsewhere than Linux it is time.Sleep, whose
// resolution is the platform's timer resolution.
func preciseSleep(d time.Duration) { time.Sleep(d) }
