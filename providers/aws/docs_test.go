package aws_test

import (
	"bytes"
	"os"
	"testing"

	gdaws "github.com/gameday-tui/gameday/providers/aws"
)

// TestDocsShowThePolicy: docs/aws.md shows iam-policy.json as it is.
func TestDocsShowThePolicy(t *testing.T) {
	doc, err := os.ReadFile("../../docs/aws.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc, bytes.TrimSpace(gdaws.IAMPolicy())) {
		t.Error("docs/aws.md does not hold providers/aws/iam-policy.json verbatim; copy it into the IAM section")
	}
}
