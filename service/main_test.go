package service

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when a goroutine outlives them.
// lumberjack (the query log's rotation) starts one mill goroutine per log
// file that its Close does not stop (natefinch/lumberjack issue 56): one per
// query log opened, not per query.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("gopkg.in/natefinch/lumberjack%2ev2.(*Logger).millRun"))
}
