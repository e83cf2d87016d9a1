//go:build !linux

package main

import "time"

// sleep sleeps for d (with the platform's timer resolution).
func sleep(d time.Duration) { time.Sleep(d) }
