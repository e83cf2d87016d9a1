package awsfake

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// Policy is an IAM identity policy, evaluated the way IAM evaluates one on
// actions: a call is allowed when some Allow statement matches its action
// and no Deny statement does. Action patterns may hold * and ? and match
// without regard to case, as in IAM. Resource and Condition are not
// evaluated (every statement is taken to apply to every resource), so the
// fake proves a policy has the actions a client needs, not that its
// resource scoping is right.
type Policy struct {
	Statements []Statement
}

// Statement is one statement of a Policy.
type Statement struct {
	Effect    string
	Actions   []string
	NotAction []string
}

// ParsePolicy decodes an IAM policy document.
func ParsePolicy(doc []byte) (*Policy, error) {
	var raw struct {
		Version   string
		Statement json.RawMessage
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		return nil, fmt.Errorf("IAM policy: %w", err)
	}
	var stmts []map[string]json.RawMessage
	if err := json.Unmarshal(raw.Statement, &stmts); err != nil {
		var one map[string]json.RawMessage
		if err2 := json.Unmarshal(raw.Statement, &one); err2 != nil {
			return nil, fmt.Errorf("IAM policy: Statement: %w", err)
		}
		stmts = []map[string]json.RawMessage{one}
	}
	p := &Policy{}
	for i, st := range stmts {
		var s Statement
		if err := json.Unmarshal(st["Effect"], &s.Effect); err != nil || s.Effect != "Allow" && s.Effect != "Deny" {
			return nil, fmt.Errorf("IAM policy: statement %d: Effect must be Allow or Deny", i)
		}
		var err error
		if s.Actions, err = stringOrList(st["Action"]); err != nil {
			return nil, fmt.Errorf("IAM policy: statement %d: Action: %w", i, err)
		}
		if s.NotAction, err = stringOrList(st["NotAction"]); err != nil {
			return nil, fmt.Errorf("IAM policy: statement %d: NotAction: %w", i, err)
		}
		if len(s.Actions) == 0 && len(s.NotAction) == 0 {
			return nil, fmt.Errorf("IAM policy: statement %d has no Action", i)
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

func stringOrList(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var list []string
	err := json.Unmarshal(raw, &list)
	return list, err
}

// Allows reports whether the policy allows action ("ecs:StopTask").
func (p *Policy) Allows(action string) bool {
	allowed := false
	for _, s := range p.Statements {
		if !s.matches(action) {
			continue
		}
		if s.Effect == "Deny" {
			return false
		}
		allowed = true
	}
	return allowed
}

func (s Statement) matches(action string) bool {
	if len(s.NotAction) > 0 {
		return !anyMatch(s.NotAction, action)
	}
	return anyMatch(s.Actions, action)
}

func anyMatch(patterns []string, action string) bool {
	a := strings.ToLower(action)
	for _, p := range patterns {
		// path.Match's * stops at '/', which IAM actions never hold.
		if ok, _ := path.Match(strings.ToLower(p), a); ok {
			return true
		}
	}
	return false
}
