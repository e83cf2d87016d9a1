package engine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// syncer is implemented by journal writers that can flush to stable
// storage (*os.File).
type syncer interface{ Sync() error }

// Encoder writes journal records as JSON lines. Every string is redacted
// before it is written (see Redact). If the writer has a Sync() error
// method, it is called after each record, so a record that Encode returned
// for is on disk. An Encoder is not safe for concurrent use.
type Encoder struct {
	w io.Writer
}

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: w} }

// Encode writes rec as one redacted JSON line and syncs it.
func (e *Encoder) Encode(rec Record) error {
	line, err := marshalRecord(rec)
	if err != nil {
		return err
	}
	return e.write(rec.Seq, line)
}

// marshalRecord returns rec as one redacted JSON line, newline included.
func marshalRecord(rec Record) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rec); err != nil {
		return nil, fmt.Errorf("encode journal record %d (%s): %w", rec.Seq, rec.Type, err)
	}
	return redactJSON(buf.Bytes()), nil
}

// write writes one line in a single Write call (so a crash tears at most
// the last line) and syncs it.
func (e *Encoder) write(seq int, line []byte) error {
	if _, err := e.w.Write(line); err != nil {
		return fmt.Errorf("write journal record %d: %w", seq, err)
	}
	if s, ok := e.w.(syncer); ok {
		if err := s.Sync(); err != nil {
			return fmt.Errorf("sync journal after record %d: %w", seq, err)
		}
	}
	return nil
}

// TornRecordError reports that the journal's last line is incomplete: the
// process writing it died in the middle of a write. Every record before it
// is intact, so readers (report, recover) may use them and warn.
type TornRecordError struct {
	Line int   // 1-based line number of the torn line
	Err  error // why it did not parse
}

// Error says which line is torn.
func (e *TornRecordError) Error() string {
	return fmt.Sprintf("journal line %d is incomplete (the run probably stopped in the middle of writing it): %v", e.Line, e.Err)
}

// Unwrap returns the parse error.
func (e *TornRecordError) Unwrap() error { return e.Err }

// Decoder reads journal records written by an Encoder.
type Decoder struct {
	r *bufio.Reader
	n int // lines read
}

// NewDecoder returns a Decoder reading from r.
func NewDecoder(r io.Reader) *Decoder { return &Decoder{r: bufio.NewReader(r)} }

// rawLine is one non-blank line of JSON lines; complete says it ended
// with a newline (a last line without one may be torn).
type rawLine struct {
	data     []byte
	complete bool
}

// line returns the next non-blank line, or io.EOF at the end.
func (d *Decoder) line() (rawLine, error) {
	for {
		b, err := d.r.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return rawLine{}, fmt.Errorf("read journal line %d: %w", d.n+1, err)
		}
		if len(b) == 0 && err != nil {
			return rawLine{}, io.EOF
		}
		d.n++
		complete := err == nil
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			if !complete {
				return rawLine{}, io.EOF
			}
			continue
		}
		return rawLine{data: b, complete: complete}, nil
	}
}

// Decode returns the next record, or io.EOF at the end. A last line that
// has no newline and does not parse is reported as a *TornRecordError; a
// bad line anywhere else is an error naming its line number. Blank lines
// are skipped.
func (d *Decoder) Decode() (Record, error) {
	l, err := d.line()
	if err != nil {
		return Record{}, err
	}
	var rec Record
	if uerr := json.Unmarshal(l.data, &rec); uerr != nil {
		if !l.complete {
			return Record{}, &TornRecordError{Line: d.n, Err: uerr}
		}
		return Record{}, fmt.Errorf("journal line %d: %w", d.n, uerr)
	}
	return rec, nil
}

// ReadJournal reads every record of a journal. On a torn last line it
// returns the records before it together with the *TornRecordError, so a
// caller can tolerate a crashed run's journal:
//
//	recs, err := engine.ReadJournal(f)
//	var torn *engine.TornRecordError
//	if errors.As(err, &torn) { warn(err); err = nil }
func ReadJournal(r io.Reader) ([]Record, error) {
	d := NewDecoder(r)
	var recs []Record
	for {
		rec, err := d.Decode()
		if errors.Is(err, io.EOF) {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, rec)
	}
}
