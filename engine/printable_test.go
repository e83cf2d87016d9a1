package engine

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gameday-tui/gameday/providers"
)

func TestPrintable(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ in, want string }{
		"plain":                     {"p95 312 ms — 日本語", "p95 312 ms — 日本語"},
		"line breaks and tabs kept": {"a\n\tb", "a\n\tb"},
		"colour":                    {"\x1b[1;31mred\x1b[0m text", "red text"},
		"clear screen and home":     {"\x1b[2J\x1b[Hhi", "hi"},
		"private mode":              {"\x1b[?1049hhi\x1b[?25l", "hi"},
		"C1 CSI":                    {"\u009b31mred\u009b0m", "red"},
		"OSC title with BEL":        {"\x1b]0;pwned\x07after", "after"},
		"OSC 8 link with ST":        {"\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"},
		"C1 OSC with C1 ST":         {"\u009d0;t\u009cafter", "after"},
		"DCS":                       {"\x1bPq#0;2;0;0;0\x1b\\after", "after"},
		"reset":                     {"\x1bcafter", "after"},
		"charset":                   {"\x1b(Bafter", "after"},
		"cut short at the end":      {"text\x1b[", "text"},
		"ESC and a final byte":      {"a\x1bb", "a"},
		"ESC at the end":            {"a\x1b", "a"},
		"unterminated OSC":          {"\x1b]0;keep this", "0;keep this"},
		"bell and backspace":        {"a\x07b\bc", "a\ufffdb\ufffdc"},
		"NUL and DEL":               {"a\x00b\x7fc", "a\ufffdb\ufffdc"},
		"other C1":                  {"a\u0085b", "a\ufffdb"},
		"carriage returns":          {"one\r\ntwo\rthree", "one\ntwo\nthree"},
		"invalid UTF-8":             {"a\xffb\x9bc", "a\ufffdb\ufffdc"},
		"secret split by a code":    {"pass\x1b[0mword=hunter2", "password=[REDACTED]"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := Redact(tc.in)
			if got != tc.want {
				t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if again := Redact(got); again != got {
				t.Errorf("Redact is not stable: %q → %q", got, again)
			}
			if !terminalSafe(got) {
				t.Errorf("Redact(%q) = %q still holds a control character", tc.in, got)
			}
		})
	}
}

// terminalSafe reports whether s is UTF-8 without ESC, C1 or any other
// control character but \n and \t.
func terminalSafe(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
		return r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r < 0xa0
	})
}

// Escape sequences planted in a note, a target name, a fault's provider
// errors and the plan never reach the journal, the report, the JUnit file
// or the events (what the headless lines and the console's timeline show)
// raw: no ESC byte, no C1 character, no byte that is not UTF-8 (a lone
// 0x9b is CSI to an 8-bit terminal).
func TestEscapeCodesNeverWritten(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	prov.injectErr["f1"] = errors.New("POST /hooks: \x1b]0;owned\x07\x1b[2Jbad gateway\u009b31m\xff")
	prov.rollbackErr["f1"] = errors.New("denied \x1b[1;31mRED\x1b[0m\r overwritten")
	plan := testPlan(fault("f1", providers.InstanceStop))
	plan.Title = "Title \x1b[5mblink\x1b[0m"
	plan.Hypothesis = "holds \x1bc(reset)"
	plan.Target.Name = "demo\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\"
	h := start(t, plan, prov, prov, metricsFor(nil), func(o *Options) {
		o.Env.Targets = []providers.Target{{ID: "r1", Name: "replica-1\x1b[8m hidden\u009b0m"}}
		o.RollbackDeadline = 500 * time.Millisecond
		o.RollbackRetries = -1
	})
	if err := h.run.Note("- typed \x1b[A\x1b[2K over the last line\x08\x08\x07"); err != nil {
		t.Fatal(err)
	}
	var live []Record
	for rec := range h.run.Events() {
		live = append(live, rec)
	}
	h.wait(t)
	journal := h.journal.Synced()
	var report, junit bytes.Buffer
	if err := WriteReport(&report, live); err != nil {
		t.Fatal(err)
	}
	if err := WriteJUnit(&junit, live); err != nil {
		t.Fatal(err)
	}
	var events strings.Builder
	for _, rec := range live {
		events.WriteString(mustJSON(t, rec))
		if rec.Note != nil {
			events.WriteString(rec.Note.Text)
		}
		if rec.Fault != nil {
			events.WriteString(rec.Fault.Err)
		}
	}
	for what, text := range map[string]string{"journal": string(journal), "report": report.String(), "junit": junit.String(), "events": events.String(), "snapshot": mustJSON(t, h.run.Snapshot())} {
		if !terminalSafe(text) {
			i := strings.IndexFunc(text, func(r rune) bool {
				return r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r < 0xa0 || r == utf8.RuneError
			})
			t.Errorf("the %s holds a control character or a bad byte near %q", what, text[max(i-20, 0):min(i+20, len(text))])
		}
		if bytes.ContainsAny([]byte(text), "\x1b") || strings.Contains(text, "\u009b") {
			t.Errorf("the %s holds ESC or CSI", what)
		}
	}
	// What the codes wrapped is still there to read.
	for _, want := range []string{"bad gateway", "Title blink", "over the last line", "replica-1 hidden"} {
		if !strings.Contains(report.String()+string(journal), want) {
			t.Errorf("the report and journal lack %q", want)
		}
	}
	// The journal does not escape them as \u001b either: they are gone.
	if bytes.Contains(journal, []byte(`\u001b`)) || bytes.Contains(journal, []byte(`\u009b`)) {
		t.Error("the journal holds an escaped ESC or CSI")
	}
}

// A string full of control-string introducers without a terminator is
// read once, not once per introducer: a megabyte of them takes
// milliseconds (quadratic, it took minutes).
func TestPrintableUnterminatedStrings(t *testing.T) {
	t.Parallel()
	s := strings.Repeat("\x1b]\x1bP\u009d", 1<<20/7)
	start := time.Now()
	got := Redact(s)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Redact of %d bytes took %s", len(s), d)
	}
	if got != "" {
		t.Errorf("Redact left %d bytes", len(got))
	}
}
