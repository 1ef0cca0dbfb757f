package faults

import (
	"fmt"
	"os"
	"testing"

	"github.com/cxgate/cxgate/vaultclient/vaulttest"
)

func TestMain(m *testing.M) {
	var err error
	if protected, err = buildProtected(); err != nil {
		fmt.Fprintf(os.Stderr, "faults: building the protected set: %v\n", err)
		os.Exit(1)
	}
	vaulttest.Main(m)
}
