package salesforce_test

import (
	"testing"

	"github.com/cxgate/cxgate/connectors/connectortest"
	"github.com/cxgate/cxgate/connectors/salesforce/salesforcetest"
)

func TestConformance(t *testing.T) { connectortest.Run(t, salesforcetest.Harness()) }
