package identity_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/onbehalf/onbehalf/identity"
)

// BenchmarkResourceTokenVaultHit measures GetResourceOauth2Token answered
// from the vault (SQLite, audit on), the broker's hot path, in process:
//
//	go test -run '^$' -bench VaultHit -benchtime 20000x ./identity/
func BenchmarkResourceTokenVaultHit(b *testing.B) {
	t := &testing.T{}
	idp := newFakeIdP(t, func(n int, _ url.Values) (int, string) { return 200, tokenJSON(fmt.Sprintf("T%d", n), "", 3600) })
	defer idp.srv.Close()
	w := newCPWorld(t, nil)
	ctx := context.Background()
	w.b.CreateWorkloadIdentity(ctx, identity.CreateWorkloadIdentityInput{Name: workload})
	w.b.CreateOauth2CredentialProvider(ctx, customProvider("P", idp.srv.URL+"/.well-known/openid-configuration", "s"))
	wat, err := w.b.GetWorkloadAccessTokenForJWT(ctx, identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: workload, UserToken: fakeUserToken("jane")})
	if err != nil {
		b.Fatal(err)
	}
	in := obo(wat.WorkloadAccessToken, "P", "read")
	if _, err := w.b.GetResourceOauth2Token(ctx, in); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetParallelism(32) // many concurrent clients, as over HTTP
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := w.b.GetResourceOauth2Token(ctx, in); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
