package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/gameday-tui/gameday/scenarios"
)

// A whole game day is recorded in a day index: JSON lines like a run's
// journal (redacted, synced line by line, a torn last line tolerated),
// that say what the day was (the day file and the plan of each experiment
// as it runs), when each checklist item was ticked, which journal each
// experiment wrote (or why it did not start), the notes taken between
// experiments, and how the day ended. Each experiment keeps its own
// journal, written by its own run as any run's; the day report is derived
// from the index and those journals alone (WriteDayReport).
//
// DayJournal writes an index and holds the day to its order — the whole
// checklist ticked before the first experiment starts, one experiment at a
// time, in the day's order — for the headless day and the console alike;
// ReplayDay reads where a day stands.

// DayRecordType names a kind of day index record.
type DayRecordType string

// The day index's record types.
const (
	DayRecDay        DayRecordType = "day"        // first record: the day file and each experiment's plan
	DayRecCheck      DayRecordType = "check"      // a checklist item ticked
	DayRecExperiment DayRecordType = "experiment" // an experiment started, ended or was refused
	DayRecNote       DayRecordType = "note"       // a note taken between experiments
	DayRecEnd        DayRecordType = "end"        // last record: the day is over
)

// DayRecord is one line of a day index.
type DayRecord struct {
	Seq  int           `json:"seq"`
	At   time.Time     `json:"at"`
	Type DayRecordType `json:"type"`
	// Day and Plans are in the DayRecDay record: the day as its file
	// says, and one plan per experiment as it runs (the day's phases
	// applied), so a report names an experiment that never ran.
	Day     *scenarios.Day    `json:"day,omitempty"`
	Plans   []*scenarios.Plan `json:"plans,omitempty"`
	Version string            `json:"version,omitempty"`
	// Check is a DayRecCheck's item.
	Check *DayCheck `json:"check,omitempty"`
	// Experiment is a DayRecExperiment's change.
	Experiment *DayExperiment `json:"experiment,omitempty"`
	// Note is a DayRecNote's note.
	Note *Note `json:"note,omitempty"`
	// End is the DayRecEnd's why.
	End *DayEnd `json:"end,omitempty"`
}

// DayCheck is a checklist item ticked: its index in the day's checklist,
// and who or what ticked it (a name, or "--checklist-done").
type DayCheck struct {
	Item int    `json:"item"`
	By   string `json:"by,omitempty"`
}

// ExperimentState is where one experiment of a day is.
type ExperimentState string

// The states of an experiment. One not started has none ("").
const (
	// ExperimentStarted: its run is starting or going on; Journal names
	// the journal it writes. A day that dies here leaves that journal to
	// report (UNFINISHED) and to recover.
	ExperimentStarted ExperimentState = "started"
	// ExperimentEnded: its run is over; its journal holds the verdict.
	ExperimentEnded ExperimentState = "ended"
	// ExperimentRefused: it did not start (its blast radius was beyond
	// the plan's cap, its target could not be reached …); Reason says
	// why. Nothing was injected and no journal was written.
	ExperimentRefused ExperimentState = "refused"
	// ExperimentSkipped: the facilitator chose not to run it (the
	// console's skip); Reason names who. Nothing was injected and no
	// journal was written. It gives the day no result of its own.
	ExperimentSkipped ExperimentState = "skipped"
)

// DayExperiment is a change of one experiment: Index is its place in the
// day (0-based), Journal its journal's file name, in the index's
// directory.
type DayExperiment struct {
	Index   int             `json:"index"`
	State   ExperimentState `json:"state"`
	Journal string          `json:"journal,omitempty"`
	Reason  string          `json:"reason,omitempty"`
}

// DayStop says why a day ended before its last experiment.
type DayStop string

// The reasons a day stops early; "" is a day that ran every experiment.
const (
	// DayStopRollback: an experiment's rollback was not confirmed. No
	// other experiment starts on a system that may still carry a fault.
	DayStopRollback DayStop = "rollback"
	// DayStopViolation: an experiment did not hold, and the day was asked
	// to stop at the first that does not (--stop-on-violation).
	DayStopViolation DayStop = "violation"
	// DayStopInterrupted: someone stopped the day (a signal, the console).
	DayStopInterrupted DayStop = "interrupted"
)

// DayEnd is how a day ended: Stopped says why it ended early, After is the
// experiment (0-based) it stopped after, -1 before the first.
type DayEnd struct {
	Stopped DayStop `json:"stopped,omitempty"`
	After   int     `json:"after"`
}

// ErrChecklist is wrapped by DayJournal.Start when an item of the
// preparation checklist is not ticked: no experiment starts before the
// whole checklist is.
var ErrChecklist = errors.New("the preparation checklist is not done")

// DayState is where a day stands, replayed from its index (ReplayDay).
type DayState struct {
	Day   *scenarios.Day
	Plans []*scenarios.Plan
	// Started is when the day began (its first record).
	Started time.Time
	// Checks are the checklist's items, in order, ticked or not.
	Checks []CheckStatus
	// Experiments are the day's experiments, in order.
	Experiments []ExperimentStatus
	// Next is the experiment that may start next; len(Experiments) when
	// every one has had its turn.
	Next int
	// Running is the experiment started and not yet over, -1 if none.
	Running int
	// Notes are the notes taken between experiments, in order.
	Notes []DayNote
	// End is how the day ended; nil while it goes on (or if it died).
	End   *DayEnd
	Ended time.Time
}

// CheckStatus is one checklist item: ticked, when, by whom.
type CheckStatus struct {
	Done bool
	At   time.Time
	By   string
}

// ExperimentStatus is one experiment of a day as of the index's last
// record.
type ExperimentStatus struct {
	State   ExperimentState
	Journal string
	Reason  string
	// Started and Ended are when the day recorded it starting and ending
	// (zero until then).
	Started, Ended time.Time
}

// DayNote is a note taken between experiments: After is the experiment
// it followed (0-based), -1 before the first.
type DayNote struct {
	At    time.Time
	Note  Note
	After int
}

// Unticked returns the checklist items not ticked, by index.
func (s DayState) Unticked() []int {
	var out []int
	for i, c := range s.Checks {
		if !c.Done {
			out = append(out, i)
		}
	}
	return out
}

// Ready reports whether the next experiment may start: the checklist is
// done, no experiment is running, one is left, and the day has not ended.
func (s DayState) Ready() bool {
	return len(s.Unticked()) == 0 && s.Running < 0 && s.Next < len(s.Experiments) && s.End == nil
}

// last is the experiment the day is at or has just done, -1 before the
// first.
func (s DayState) last() int {
	if s.Running >= 0 {
		return s.Running
	}
	return s.Next - 1
}

// ReplayDay returns where the day of records stands. The records must
// start with the DayRecDay record (ReadDay checks it).
func ReplayDay(records []DayRecord) DayState {
	s := DayState{Running: -1}
	for _, rec := range records {
		s.apply(rec)
	}
	return s
}

// apply moves the state by one record. A record the state does not allow
// (one DayJournal would have refused) is applied as written: the index is
// what happened.
func (s *DayState) apply(rec DayRecord) {
	switch rec.Type {
	case DayRecDay:
		if rec.Day == nil {
			return
		}
		s.Day, s.Plans, s.Started = rec.Day, rec.Plans, rec.At
		s.Checks = make([]CheckStatus, len(rec.Day.Checklist))
		s.Experiments = make([]ExperimentStatus, len(rec.Day.Experiments))
	case DayRecCheck:
		if c := rec.Check; c != nil && c.Item >= 0 && c.Item < len(s.Checks) && !s.Checks[c.Item].Done {
			s.Checks[c.Item] = CheckStatus{Done: true, At: rec.At, By: c.By}
		}
	case DayRecExperiment:
		x := rec.Experiment
		if x == nil || x.Index < 0 || x.Index >= len(s.Experiments) {
			return
		}
		e := &s.Experiments[x.Index]
		e.State, e.Reason = x.State, x.Reason
		// A journal is a file in the index's directory: a name that would
		// lead out of it is not followed.
		if x.Journal != "" && !strings.ContainsAny(x.Journal, `/\`) && x.Journal != ".." && x.Journal != "." {
			e.Journal = x.Journal
		}
		switch x.State {
		case ExperimentStarted:
			e.Started, s.Running = rec.At, x.Index
		case ExperimentEnded, ExperimentRefused, ExperimentSkipped:
			if x.State != ExperimentEnded {
				e.Journal = "" // a refused or skipped experiment wrote none
			}
			e.Ended = rec.At
			if e.Started.IsZero() {
				e.Started = rec.At
			}
			if s.Running == x.Index {
				s.Running = -1
			}
		}
		s.Next = max(s.Next, x.Index+1)
	case DayRecNote:
		if rec.Note != nil {
			s.Notes = append(s.Notes, DayNote{At: rec.At, Note: *rec.Note, After: s.last()})
		}
	case DayRecEnd:
		if rec.End != nil {
			e := *rec.End
			s.End, s.Ended = &e, rec.At
		}
	}
}

// DayJournal writes a day index, one synced line per record, and keeps
// the day to its order. It is safe for concurrent use.
type DayJournal struct {
	mu    sync.Mutex
	enc   *Encoder
	now   func() time.Time
	seq   int
	state DayState
	err   error
}

// NewDayJournal starts a day index on w with its first record: the day
// and the plan of each of its experiments, as they will run (one per
// experiment, in order). now is the clock (time.Now when nil).
func NewDayJournal(w io.Writer, day *scenarios.Day, plans []*scenarios.Plan, version string, now func() time.Time) (*DayJournal, error) {
	if day == nil || len(plans) != len(day.Experiments) {
		return nil, fmt.Errorf("day journal: want one plan per experiment")
	}
	if now == nil {
		now = time.Now
	}
	j := &DayJournal{enc: NewEncoder(w), now: now, state: DayState{Running: -1}}
	if err := j.record(DayRecord{Type: DayRecDay, Day: day, Plans: plans, Version: version}); err != nil {
		return nil, err
	}
	return j, nil
}

// State returns where the day stands.
func (j *DayJournal) State() DayState {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state
}

// record journals rec (numbered and stamped here) and applies it. The
// first write error sticks: every later record fails with it.
func (j *DayJournal) record(rec DayRecord) error {
	if j.err != nil {
		return j.err
	}
	j.seq++
	rec.Seq, rec.At = j.seq, j.now().UTC()
	line, err := marshalDayRecord(rec)
	if err == nil {
		err = j.enc.write(rec.Seq, line)
	}
	if err != nil {
		j.err = fmt.Errorf("day journal: %w", err)
		return j.err
	}
	j.state.apply(rec)
	return nil
}

func marshalDayRecord(rec DayRecord) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rec); err != nil {
		return nil, fmt.Errorf("encode day record %d (%s): %w", rec.Seq, rec.Type, err)
	}
	return redactJSON(buf.Bytes()), nil
}

// Tick ticks checklist item (0-based); by says who or what ticked it.
// Ticking an item twice is harmless.
func (j *DayJournal) Tick(item int, by string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.state.End != nil:
		return errors.New("tick: the day is over")
	case item < 0 || item >= len(j.state.Checks):
		return fmt.Errorf("tick: no checklist item %d (the checklist has %d)", item+1, len(j.state.Checks))
	case j.state.Checks[item].Done:
		return nil
	}
	return j.record(DayRecord{Type: DayRecCheck, Check: &DayCheck{Item: item, By: by}})
}

// Start records that experiment i (0-based) starts, writing the journal
// named journal (a file name in the index's directory). It refuses, with
// ErrChecklist, while an item of the checklist is not ticked, and refuses
// an experiment out of the day's order or while another runs.
func (j *DayJournal) Start(i int, journal string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := j.state
	switch {
	case s.End != nil:
		return errors.New("start: the day is over")
	case len(s.Unticked()) > 0:
		return fmt.Errorf("start experiment %d: %w", i+1, ErrChecklist)
	case s.Running >= 0:
		return fmt.Errorf("start experiment %d: experiment %d is still running", i+1, s.Running+1)
	case i != s.Next:
		return fmt.Errorf("start experiment %d: the next experiment is %d", i+1, s.Next+1)
	case journal == "" || strings.ContainsAny(journal, `/\`):
		return fmt.Errorf("start experiment %d: the journal must be a file name in the index's directory, got %q", i+1, journal)
	}
	return j.record(DayRecord{Type: DayRecExperiment, Experiment: &DayExperiment{Index: i, State: ExperimentStarted, Journal: journal}})
}

// Refuse records that experiment i did not start, and why: it was
// started (Start) and its run refused before writing its journal, or it
// is the next and cannot start at all.
func (j *DayJournal) Refuse(i int, reason string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := j.state
	if s.End != nil || (s.Running != i && (s.Running >= 0 || i != s.Next)) {
		return fmt.Errorf("refuse experiment %d: it is not the one starting", i+1)
	}
	return j.record(DayRecord{Type: DayRecExperiment, Experiment: &DayExperiment{Index: i, State: ExperimentRefused, Reason: reason}})
}

// Skip records that the facilitator chose not to run experiment i, the
// next, which has not started; by is who.
func (j *DayJournal) Skip(i int, by string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := j.state
	if s.End != nil || s.Running >= 0 || i != s.Next {
		return fmt.Errorf("skip experiment %d: it is not the next to start", i+1)
	}
	return j.record(DayRecord{Type: DayRecExperiment, Experiment: &DayExperiment{Index: i, State: ExperimentSkipped, Reason: by}})
}

// Finish records that experiment i's run is over: its journal holds the
// verdict.
func (j *DayJournal) Finish(i int) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.state.Running != i || j.state.End != nil {
		return fmt.Errorf("finish experiment %d: it is not running", i+1)
	}
	return j.record(DayRecord{Type: DayRecExperiment, Experiment: &DayExperiment{Index: i, State: ExperimentEnded}})
}

// Note records a note taken between experiments, marked as a run's notes
// are (ParseNote): "-@sato raise the threshold" is an improvement, and an
// action item of the day. During an experiment, notes belong to its run.
func (j *DayJournal) Note(text string) error {
	n, err := ParseNote(text)
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.state.End != nil:
		return errors.New("note: the day is over")
	case j.state.Running >= 0:
		return fmt.Errorf("note: experiment %d is running; its notes go to its run", j.state.Running+1)
	}
	return j.record(DayRecord{Type: DayRecNote, Note: &n})
}

// End records that the day is over: stopped says why it ended early
// ("" when every experiment had its turn). An experiment still running is
// the caller's to finish first.
func (j *DayJournal) End(stopped DayStop) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.state.End != nil {
		return nil
	}
	return j.record(DayRecord{Type: DayRecEnd, End: &DayEnd{Stopped: stopped, After: j.state.last()}})
}

// ParseNote reads a note as it is typed: a leading "+" marks a success, a
// leading "-" an improvement (an action item), anything else is an
// observation. An empty note is an error.
func ParseNote(text string) (Note, error) {
	kind := Observation
	t := strings.TrimSpace(text)
	switch {
	case strings.HasPrefix(t, "+"):
		kind, t = Success, strings.TrimSpace(t[1:])
	case strings.HasPrefix(t, "-"):
		kind, t = Improvement, strings.TrimSpace(t[1:])
	}
	if t == "" {
		return Note{}, errors.New("note: empty note")
	}
	return Note{Kind: kind, Text: t}, nil
}

// ReadDay reads every record of a day index. Like ReadJournal, a torn last
// line gives the records before it with a *TornRecordError. An index that
// does not start with the day is an error wrapping ErrNotDay.
func ReadDay(r io.Reader) ([]DayRecord, error) {
	d := NewDecoder(r)
	var recs []DayRecord
	for {
		b, err := d.line()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return recs, err
		}
		var rec DayRecord
		if uerr := json.Unmarshal(b.data, &rec); uerr != nil {
			if !b.complete {
				if len(recs) == 0 {
					return nil, fmt.Errorf("%w: its first line is torn", ErrNotDay)
				}
				return recs, &TornRecordError{Line: d.n, Err: uerr}
			}
			return recs, fmt.Errorf("day index line %d: %w", d.n, uerr)
		}
		if len(recs) == 0 && (rec.Type != DayRecDay || rec.Day == nil) {
			return nil, fmt.Errorf("%w: its first record is %q", ErrNotDay, rec.Type)
		}
		recs = append(recs, rec)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: it holds no record", ErrNotDay)
	}
	return recs, nil
}

// ErrNotDay says a file is not a day index.
var ErrNotDay = errors.New("not a gameday day index")

// IsDayIndex reports whether r starts with a day index's first record:
// how `gameday report` tells a day from a run. It reads only as far as
// the record's type, which the encoder writes third.
func IsDayIndex(r io.Reader) bool {
	dec := json.NewDecoder(io.LimitReader(r, 1<<16))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return false
		}
		if k == "type" {
			var v DayRecordType
			return dec.Decode(&v) == nil && v == DayRecDay
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return false
		}
	}
	return false
}
