package engine

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"testing"
)

// FuzzJournal feeds arbitrary bytes to the journal decoder, and whatever
// decodes to Replay, the report and the JUnit writer: none may panic, and
// what decodes must survive an encode/decode round trip.
func FuzzJournal(f *testing.F) {
	// A small cut of the fixture: the fuzzer minimises every new input it
	// finds, and minimising a whole journal takes longer than a CI pass.
	if b, err := os.ReadFile(fixturePath); err == nil {
		lines := bytes.SplitAfter(b, []byte("\n"))
		var seed []byte
		for i, l := range lines {
			if i < 4 || (!bytes.Contains(l, []byte(`"type":"sample"`)) && i%3 == 0) {
				seed = append(seed, l...)
			}
		}
		f.Add(seed)
	}
	f.Add([]byte(`{"seq":1,"type":"plan","plan":{"title":"x","phases":{"baseline":1,"fault":1,"recovery":1}}}` + "\n" +
		`{"seq":2,"type":"sample","sample":{"at":"2025-01-01T00:00:00Z","p95_ms":1e308,"running":-1}}` + "\n"))
	f.Add([]byte("{\"seq\":1}\n{\"seq\":"))
	// Samples whose values the charts must still scale: huge, tiny, flat.
	f.Add([]byte(`{"seq":1,"type":"plan","plan":{"title":"x","steady_state":{"p95_ms":{"max":1e-300},"running":{"min":1e300}},"phases":{"baseline":1,"fault":1,"recovery":1}}}` + "\n" +
		`{"seq":2,"type":"sample","sample":{"at":"2025-01-01T00:00:01Z","p95_ms":1e308,"requests":1,"running":3}}` + "\n" +
		`{"seq":3,"type":"sample","sample":{"at":"2025-01-01T00:00:01Z","p95_ms":-5,"requests":1,"running":3}}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, _ := ReadJournal(bytes.NewReader(data))
		_ = Replay(recs)
		_ = Unfinished(recs)
		_ = WriteReport(io.Discard, recs)
		_ = WriteReport(io.Discard, recs, WithLang(Japanese), WithLive(true), WithJournalPath("/j"))
		_ = WriteJUnit(io.Discard, recs)
		_, _ = WriteCharts(recs)
		var buf bytes.Buffer
		enc := NewEncoder(&buf)
		for _, r := range recs {
			if err := enc.Encode(r); err != nil {
				return // e.g. a time beyond year 9999 decodes but does not encode
			}
		}
		again, err := ReadJournal(&buf)
		if err != nil {
			t.Fatalf("re-encoded journal does not decode: %v", err)
		}
		if len(again) != len(recs) {
			t.Fatalf("round trip: %d records, then %d", len(recs), len(again))
		}
	})
}

// FuzzRedact checks that redaction is stable, leaves nothing a terminal
// would act on, and keeps JSON valid.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{"token=abc&x=1", "postgres://u:p@h/db", "Bearer abc.def", "AKIAIOSFODNN7EXAMPLE", `a "quoted" \ string`, "Authorization: Basic x",
		"\x1b[31mred\x1b[0m", "\x1b]8;;http://x\x1b\\a\x1b]8;;\x1b\\", "\u009b2J\u009d0;t\u009c", "pass\x1b[0mword=x", "a\r\nb\rc\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := Redact(s)
		if Redact(r) != r {
			t.Fatalf("Redact not stable: %q → %q → %q", s, r, Redact(r))
		}
		if !terminalSafe(r) {
			t.Fatalf("Redact(%q) = %q holds a control character", s, r)
		}
		line, err := marshalRecord(Record{Type: RecNote, Note: &Note{Text: s}})
		if err != nil {
			t.Fatal(err)
		}
		var back Record
		if err := json.Unmarshal(line, &back); err != nil {
			t.Fatalf("redacted JSON does not parse: %v\n%s", err, line)
		}
	})
}
