package providers

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// Kubernetes label values (k8s.io/apimachinery validation.IsValidLabelValue):
// empty, or at most 63 characters, alphanumerics with -, _ and . inside.
var k8sLabelValue = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)

// AWS tag values: up to 256 Unicode characters of letters, digits, spaces
// and _ . : / = + - @ (the pattern in the Resource Groups Tagging API).
var awsTagValue = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

func TestOwnerLabelValidForKubernetesAndAWS(t *testing.T) {
	cases := map[string]struct{ run, id string }{
		"usual":            {"20261129t095413-1a2b3c4d", "f1"},
		"long fault id":    {"20261129t095413-1a2b3c4d", strings.Repeat("abcdefgh", 4)},
		"odd characters":   {"20261129t095413-1a2b3c4d", "f/1 ü:x"},
		"trailing dash":    {"20261129t095413-1a2b3c4d", "db-"},
		"leading dot id":   {"", ".x"},
		"long run id":      {strings.Repeat("r", 80), "f2"},
		"empty everything": {"", ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got := OwnerLabel(c.run, c.id)
			if len(got) > 63 || len(got) == 0 {
				t.Errorf("OwnerLabel(%q, %q) = %q: %d characters, want 1..63", c.run, c.id, got, len(got))
			}
			if !k8sLabelValue.MatchString(got) {
				t.Errorf("OwnerLabel(%q, %q) = %q is not a valid Kubernetes label value", c.run, c.id, got)
			}
			if !awsTagValue.MatchString(got) || utf8.RuneCountInString(got) > 256 {
				t.Errorf("OwnerLabel(%q, %q) = %q is not a valid AWS tag value", c.run, c.id, got)
			}
			if strings.Contains(got, "/") {
				t.Errorf("OwnerLabel(%q, %q) = %q holds a slash", c.run, c.id, got)
			}
		})
	}
}

func TestOwnerLabelDistinguishesFaultsOfARun(t *testing.T) {
	run := "20261129t095413-1a2b3c4d"
	seen := map[string]string{}
	for _, id := range []string{"f1", "f2", "f10", "db", "latency-1", "latency-2", strings.Repeat("x", 31) + "1", strings.Repeat("x", 31) + "2"} {
		got := OwnerLabel(run, id)
		if other, dup := seen[got]; dup {
			t.Errorf("faults %q and %q share the owner label %q", other, id, got)
		}
		seen[got] = id
		if !strings.HasPrefix(got, run+".") {
			t.Errorf("OwnerLabel(%q, %q) = %q does not start with the run id", run, id, got)
		}
	}
}
