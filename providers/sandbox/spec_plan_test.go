package sandbox

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// fakeMachine makes checkPlan see a machine of memMB and cores until the
// test ends.
func fakeMachine(t *testing.T, memMB float64, cores int, ok bool) {
	t.Helper()
	old := machine
	machine = func() (float64, int, bool) { return memMB, cores, ok }
	t.Cleanup(func() { machine = old })
}

// The sandbox's own limits on one fault, and the faults together held to
// the machine, each finding on the fault that goes past it.
func TestCheckPlan(t *testing.T) {
	mem := func(mb int, sel providers.Selection, names ...string) providers.Fault {
		f := providers.Fault{Kind: providers.MemoryStress, Selection: sel, Params: providers.Params{MemoryMB: mb}}
		if len(names) > 0 {
			f.Target = providers.Fields{"names": names}
		}
		return f
	}
	cpu := func(workers, load int, sel providers.Selection) providers.Fault {
		return providers.Fault{Kind: providers.CPUStress, Selection: sel, Params: providers.Params{Workers: workers, Load: load}}
	}
	lat := providers.Fault{Kind: providers.Latency, Params: providers.Params{Delay: time.Second}}
	tests := map[string]struct {
		faults []providers.Fault
		want   []string // "path: message fragment"
	}{
		"within the machine": {
			faults: []providers.Fault{mem(256, providers.Selection{Count: 1}), cpu(1, 80, providers.Selection{}), lat},
		},
		"memory of the faults together": {
			faults: []providers.Fault{mem(400, providers.Selection{Count: 1}), lat, mem(100, providers.Selection{Percent: 50}, "replica-1", "replica-2")},
			want:   []string{"faults[2].params.memory_mb: the memory-stress faults up to this one hold 600 MB together (memory_mb × the replicas each hits), beyond half of this machine's 1024 MB"},
		},
		"memory times a selection count": {
			faults: []providers.Fault{mem(200, providers.Selection{Count: 3})},
			want:   []string{"faults[0].params.memory_mb: the memory-stress faults up to this one hold 600 MB"},
		},
		"cores of the faults together": {
			faults: []providers.Fault{cpu(2, 100, providers.Selection{}), cpu(1, 50, providers.Selection{Count: 1})},
			want:   []string{"faults[1].params.workers: the cpu-stress faults up to this one burn 2.5 cores together (workers × load% × the replicas each hits), beyond this machine's 2"},
		},
		"a worker at its default load": {
			faults: []providers.Fault{cpu(0, 0, providers.Selection{Count: 3})},
			want:   []string{"faults[0].params.workers: the cpu-stress faults up to this one burn 3 cores"},
		},
		"what one replica takes": {
			faults: []providers.Fault{
				{Kind: providers.Latency, Params: providers.Params{Delay: 2 * time.Minute, Jitter: 90 * time.Second}},
				mem(9000, providers.Selection{}),
				cpu(65, 10, providers.Selection{}),
			},
			want: []string{
				"faults[0].params.delay: the sandbox delays a request by at most 1m0s; got 2m0s",
				"faults[0].params.jitter: the sandbox's jitter is at most 1m0s; got 1m30s",
				"faults[1].params.memory_mb: a sandbox replica holds at most 8192 MB; got 9000",
				"faults[2].params.workers: a sandbox replica runs at most 64 workers; got 65",
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fakeMachine(t, 1024, 2, true)
			errs := Spec().CheckPlan(nil, tc.faults)
			var got []string
			for _, e := range errs {
				got = append(got, e.Path+": "+e.Msg)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("CheckPlan = %q; want %d findings like %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("finding %d = %q; want it to start with %q", i, got[i], w)
				}
			}
		})
	}
}

// Where the machine cannot be told, the totals are not checked; on Linux
// it is read from /proc/meminfo.
func TestCheckPlanMachine(t *testing.T) {
	real := machine
	fakeMachine(t, 0, 0, false)
	huge := providers.Fault{Kind: providers.MemoryStress, Selection: providers.Selection{Count: 50}, Params: providers.Params{MemoryMB: 8192}}
	if errs := Spec().CheckPlan(nil, []providers.Fault{huge}); len(errs) != 0 {
		t.Errorf("CheckPlan on an unknown machine = %v", errs)
	}
	if runtime.GOOS != "linux" {
		return
	}
	memMB, cores, ok := real()
	if !ok || memMB < 64 || cores != runtime.NumCPU() {
		t.Errorf("machine() = %g MB, %d cores, %v", memMB, cores, ok)
	}
}
