package aws

import _ "embed"

//go:embed iam-policy.json
var iamPolicy []byte

// IAMPolicy returns the least-privilege IAM policy gameday's AWS provider
// needs, as JSON (docs/aws.md shows the same document): every action it
// calls, and no other. Starting existing templates needs no more; the
// role FIS assumes is another matter (docs/aws.md).
func IAMPolicy() []byte { return append([]byte(nil), iamPolicy...) }
