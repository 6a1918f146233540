package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkAppendAudits measures one audit batch commit on a SQLite file,
// per event (ns/op is per event; batches of the given size).
func BenchmarkAppendAudits(b *testing.B) {
	for _, n := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			s := openSQLiteFile(b)
			ctx := context.Background()
			evs := make([]AuditEvent, n)
			for i := range evs {
				evs[i] = AuditEvent{Time: time.Now(), Action: "GetResourceOauth2Token", Workload: "agent-a",
					User: "https://login.microsoftonline.com/tid/v2.0|sub-jane", Provider: "EntraIdServiceNow",
					Flow: "ON_BEHALF_OF_TOKEN_EXCHANGE", Outcome: "ok", Detail: "vault hit"}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i += n {
				if err := s.AppendAudits(ctx, evs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
