package zendesk_test

import (
	"testing"

	"github.com/cxgate/cxgate/connectors/connectortest"
	"github.com/cxgate/cxgate/connectors/sandbox/zendesk/spectest"
	"github.com/cxgate/cxgate/connectors/zendesk/zendesktest"
)

// TestConformance runs the kit against the sandbox. With CXGATE_SPECS_DIR
// set, every sandbox response the kit provokes is also validated against
// Zendesk's OpenAPI file.
func TestConformance(t *testing.T) {
	h := zendesktest.Harness()
	if v := spectest.LoadIfSet(t); v != nil {
		h = zendesktest.HarnessWith(v.Wrap)
	} else {
		t.Logf("%s not set: sandbox responses are not validated against Zendesk's OpenAPI file in this run", spectest.EnvVar)
	}
	connectortest.Run(t, h)
}
