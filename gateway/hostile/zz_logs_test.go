package hostile

import (
	"strings"
	"testing"
)

// TestLogsHoldNoCustomerData runs last (file order): after every attack
// in this package, the gateway's debug log holds no seeded personal data
// and none of the text the attacks wrote through inputs.
func TestLogsHoldNoCustomerData(t *testing.T) {
	g := gateway(t)
	// Under -shuffle this may run first: make sure something was logged.
	g.send(t, op("acme-retail", "order_status", "get_order", `{"params":{"order_number":"#1001"}}`).as(g.expert(t, "tier1-basic")))
	logs := strings.ToLower(g.logs.String())
	if !strings.Contains(logs, `"msg":"request"`) {
		t.Fatal("the log holds no access lines: the check would be vacuous")
	}
	for _, s := range append(g.secret, "INJECTED", "1 Example Street") {
		if strings.Contains(logs, strings.ToLower(s)) {
			t.Errorf("the log holds %q", s)
		}
	}
}
