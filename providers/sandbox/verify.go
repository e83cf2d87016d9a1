package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// Verification runs in the sandbox's parent, where the processes are: the
// client sends POST /verify with what it injected (hook IDs and owner
// label) and the parent judges.
//
// Invariants:
//   - A fault is judged on what it changed, nothing else: its own hooks
//     (by ID, or by owner label) must have ended, and each one's mechanism
//     (fault_*.go) must find nothing of it left on the targets it changed,
//     probing the processes themselves.
//   - Whatever else is not normal — another run's hook, a replica out of
//     rotation that this fault never touched, the database or the
//     dependency broken by someone else — is reported in Others and never
//     makes this fault unclean: one fault's verification never fails
//     because of another fault.

// VerifyRequest is the body of POST /verify: what a fault applied.
type VerifyRequest struct {
	// Handles are the fault's hook IDs (providers.Injection.Handles).
	Handles []string `json:"handles,omitempty"`
	// Owner is its owner label; every hook labelled with it is the
	// fault's, including one whose ID the caller never learnt.
	Owner string `json:"owner,omitempty"`
	// Kind and Targets are the fault's, as journaled; they are probed
	// when the sandbox knows none of its hooks (nothing was applied, or
	// the hook was forgotten long ago).
	Kind    providers.Kind `json:"kind,omitempty"`
	Targets []string       `json:"targets,omitempty"`
}

// VerifyResult is the answer of POST /verify.
type VerifyResult struct {
	// Clean is true when nothing of the fault is left.
	Clean bool `json:"clean"`
	// Left says what of the fault is still in force, or which of its
	// targets is not back to normal.
	Left []string `json:"left,omitempty"`
	// Checked says what was checked and found normal.
	Checked []string `json:"checked,omitempty"`
	// Others are what is not normal in the sandbox but is not this
	// fault's doing: other hooks in force, other replicas out of rotation.
	Others []string `json:"others,omitempty"`
}

// verify judges the fault req describes.
func (r *hookRegistry) verify(ctx context.Context, req VerifyRequest) VerifyResult {
	var res VerifyResult
	r.mu.Lock()
	var mine []*hookEntry
	for _, id := range r.order {
		e := r.entries[id]
		if slices.Contains(req.Handles, e.id) || req.Owner != "" && e.spec.Label == req.Owner {
			mine = append(mine, e)
		}
	}
	var unknown []string
	for _, id := range req.Handles {
		if r.entries[id] == nil {
			unknown = append(unknown, id)
		}
	}
	states := make([]Hook, len(mine))
	for i, e := range mine {
		states[i] = e.hook
	}
	r.mu.Unlock()

	touched := map[string]bool{} // the targets this fault changed
	for i, e := range mine {
		h := states[i]
		for n := range e.gens {
			touched[n] = true
		}
		if h.State == HookActive {
			res.Left = append(res.Left, fmt.Sprintf("hook %s (%s on %s) is still active until %s", e.id, e.kind, strings.Join(e.targets, ", "), h.ExpiresAt.Format(time.TimeOnly)))
			continue
		}
		v := e.mech.verify(ctx, r.sb, e)
		res.Left = append(res.Left, v.left...)
		if len(v.left) == 0 {
			res.Checked = append(res.Checked, fmt.Sprintf("hook %s %s", e.id, h.State))
		}
		res.Checked = append(res.Checked, v.checked...)
		res.Others = append(res.Others, v.others...)
	}
	if len(mine) == 0 {
		// Nothing of this fault is known to the sandbox: either nothing was
		// applied, or its hooks ended long ago and were forgotten. Its
		// targets' processes can still be probed.
		for _, id := range unknown {
			res.Checked = append(res.Checked, "hook "+id+" is not known to this sandbox (nothing of it is in force)")
		}
		if len(unknown) == 0 {
			res.Checked = append(res.Checked, "no hook of this fault was applied")
		}
		v := r.probeTargets(ctx, req)
		res.Left, res.Checked, res.Others = append(res.Left, v.left...), append(res.Checked, v.checked...), append(res.Others, v.others...)
		for _, n := range req.Targets {
			touched[n] = true
		}
	}
	res.Others = append(res.Others, r.others(ctx, mine, touched)...)
	res.Clean = len(res.Left) == 0
	return res
}

// probeTargets probes the journaled targets of a fault none of whose hooks
// the sandbox knows, for the kinds that stop a process.
func (r *hookRegistry) probeTargets(ctx context.Context, req VerifyRequest) verdict {
	switch req.Kind {
	case providers.InstanceStop:
		var names []string
		for _, n := range req.Targets {
			if r.sb.replica(n) != nil {
				names = append(names, n)
			}
		}
		return eachTarget(names, func(n string) verdict {
			left, checked := r.sb.probeReplica(ctx, n, 0)
			return probed(left, checked, r.heldBy(n, nil))
		})
	case providers.DBFailure:
		left, checked := r.sb.probeDatabase(ctx, 0)
		return probed(left, checked, r.heldBy(r.sb.db.name, nil))
	}
	return verdict{}
}

// heldBy describes the active hook of another fault than except's (not
// except, nor one with its owner label) that stops or pauses target now
// ("" when none does): what is wrong with target is then that hook's
// doing.
func (r *hookRegistry) heldBy(target string, except *hookEntry) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range r.order {
		e := r.entries[id]
		if e.hook.State != HookActive || !slices.Contains(e.targets, target) {
			continue
		}
		if except != nil && (e == except || except.spec.Label != "" && e.spec.Label == except.spec.Label) {
			continue
		}
		switch e.kind {
		case HookKill, HookPause, HookDBStop, HookDBPause:
			s := fmt.Sprintf("hook %s (%s", e.id, e.kind)
			if e.spec.Label != "" {
				s += ", label " + e.spec.Label
			}
			return s + ")"
		}
	}
	return ""
}

// others lists what is not normal in the sandbox and is not the doing of
// the fault whose hooks are mine and whose changed targets are touched.
func (r *hookRegistry) others(ctx context.Context, mine []*hookEntry, touched map[string]bool) []string {
	sb := r.sb
	var out []string
	listed := map[string]bool{} // hooks already named
	r.mu.Lock()
	for _, id := range r.order {
		e := r.entries[id]
		if e.hook.State != HookActive || slices.Contains(mine, e) {
			continue
		}
		listed[e.id] = true
		s := fmt.Sprintf("hook %s (%s on %s", e.id, e.kind, strings.Join(e.targets, ", "))
		if e.spec.Label != "" {
			s += ", label " + e.spec.Label
		}
		out = append(out, s+") is active until "+e.hook.ExpiresAt.Format(time.TimeOnly))
	}
	r.mu.Unlock()
	for _, p := range sb.replicas {
		if touched[p.name] {
			continue
		}
		if in := p.info(); in.state != ProcessRunning || !sb.lb.isHealthy(p.name) {
			out = append(out, fmt.Sprintf("%s is %s and %s", p.name, in.state, rotation(sb.lb.isHealthy(p.name))))
		}
	}
	if !touched[sb.db.name] {
		if in := sb.db.info(); in.state != ProcessRunning {
			out = append(out, "the database is "+in.state)
		}
	}
	if !touched[sb.dep.name] {
		var st dependencyStatus
		ctx, cancel := context.WithTimeout(ctx, probeTimeout)
		defer cancel()
		if in := sb.dep.info(); in.pid != 0 {
			if err := sb.admin(ctx, http.MethodGet, in.addr, "/_admin/status", nil, &st); err == nil && st.Mode != DependencyNormal && !listed[st.HookID] {
				out = append(out, fmt.Sprintf("the dependency is in mode %s (hook %s)", st.Mode, st.HookID))
			}
		}
	}
	return out
}

func rotation(in bool) string {
	if in {
		return "in the load balancer's rotation"
	}
	return "out of the load balancer's rotation"
}

// Verify reports inj clean when none of its hooks (by Handles or by Owner
// label) is active any more and the sandbox, probing the processes
// themselves, finds nothing of what they changed left: a killed or paused
// replica runs again, answers its health check on its own port and is
// back in rotation; the proxy holds none of its delays; no replica runs
// its burners or holds its memory; the database answers again; the
// dependency holds none of its modes.
//
// What is not normal but is not inj's doing (another run's hook, a replica
// this fault never touched that is down) never makes inj unclean; it is
// reported in Details after "not this fault's:".
func (c *Client) Verify(ctx context.Context, inj providers.Injection) (providers.Verification, error) {
	req := VerifyRequest{Handles: inj.Handles, Owner: inj.Owner, Kind: inj.Kind}
	for _, t := range inj.Targets {
		req.Targets = append(req.Targets, t.ID)
	}
	var res VerifyResult
	if err := c.do(ctx, http.MethodPost, "/verify", req, &res); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound {
			return providers.Verification{}, fmt.Errorf("verify %s: the sandbox at %s cannot verify by probing its processes (started by an older gameday?); restart it: %w", inj.FaultID, c.addr(), err)
		}
		return providers.Verification{}, fmt.Errorf("verify %s: %w", inj.FaultID, err)
	}
	v := providers.Verification{Clean: res.Clean}
	if res.Clean {
		v.Details = append(v.Details, res.Checked...)
	} else {
		v.Details = append(v.Details, res.Left...)
	}
	for _, o := range res.Others {
		v.Details = append(v.Details, "not this fault's: "+o)
	}
	return v, nil
}
