package awsapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/identity/awsapi"
	"github.com/onbehalf/onbehalf/keyring"
	"github.com/onbehalf/onbehalf/store"
)

func newKeyStore(t *testing.T) (*awsapi.KeyStore, store.Store, *keyring.Keyring, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(dir, "onbehalf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	kr, err := keyring.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return awsapi.NewKeyStore(st, kr, nil), st, kr, dir
}

func TestAccessKeySecretIsNotInTheDatabaseFile(t *testing.T) {
	ks, st, _, dir := newKeyStore(t)
	ctx := context.Background()
	k, err := ks.Create(ctx, awsapi.Grant{Workload: "servicenow-agent-workload"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ks.Lookup(ctx, k.AccessKeyID); err != nil || got.SecretAccessKey != k.SecretAccessKey || got.Grant != k.Grant {
		t.Fatalf("Lookup: %v %v", err, got)
	}
	st.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "onbehalf.db*"))
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(k.SecretAccessKey)) {
			t.Errorf("%s holds the secret access key in plaintext", filepath.Base(f))
		}
	}
}

func TestAccessKeyLifecycle(t *testing.T) {
	ks, _, _, _ := newKeyStore(t)
	ctx := context.Background()
	if _, err := ks.Create(ctx, awsapi.Grant{}); err == nil {
		t.Error("a key with no grant was created")
	}
	if _, err := ks.Create(ctx, awsapi.Grant{Admin: true, Workload: "w-1"}); err == nil {
		t.Error("a key both admin and a workload's was created")
	}
	if _, err := ks.Create(ctx, awsapi.Grant{Workload: "no spaces"}); err == nil {
		t.Error("a key for an invalid workload name was created")
	}
	k, err := ks.Create(ctx, awsapi.Grant{Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(k.AccessKeyID) != 20 || !strings.HasPrefix(k.AccessKeyID, "AKOB") || len(k.SecretAccessKey) != 40 {
		t.Errorf("key %s is not AWS-shaped (secret %d chars)", k.AccessKeyID, len(k.SecretAccessKey))
	}
	if s := k.String(); strings.Contains(s, k.SecretAccessKey) {
		t.Errorf("String() prints the secret: %s", s)
	}
	if err := ks.Revoke(ctx, k.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	_, err = ks.Lookup(ctx, k.AccessKeyID)
	if !errors.Is(err, awsapi.ErrUnknownAccessKey) {
		t.Errorf("after revoke: %v, want ErrUnknownAccessKey", err)
	}
	if err := ks.Revoke(ctx, k.AccessKeyID); !errors.Is(err, awsapi.ErrUnknownAccessKey) {
		t.Errorf("revoking twice: %v, want ErrUnknownAccessKey", err)
	}
}

// Creating and revoking keys are audit events naming the key id and its
// grant, never the secret.
func TestKeyLifecycleIsAudited(t *testing.T) {
	ks, st, _, _ := newKeyStore(t)
	ctx := context.Background()
	k, err := ks.Create(ctx, awsapi.Grant{Workload: "w-1", AllowUserID: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Revoke(ctx, k.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	evs, err := st.ListAudit(ctx, store.AuditFilter{Workload: "w-1"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, ev.Action+" "+ev.Outcome+" "+ev.Detail)
		if strings.Contains(ev.Detail, k.SecretAccessKey) {
			t.Errorf("audit event holds the secret: %+v", ev)
		}
	}
	want := []string{
		"RevokeAccessKey ok workload key (GetWorkloadAccessTokenForUserId allowed) " + k.AccessKeyID,
		"CreateAccessKey ok workload key (GetWorkloadAccessTokenForUserId allowed) " + k.AccessKeyID,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit = %q, want %q", got, want)
	}
}

func TestAnotherReplicaSeesARevocationWithinTheCacheTTL(t *testing.T) {
	ks, st, kr, _ := newKeyStore(t)
	ctx := context.Background()
	k, err := ks.Create(ctx, awsapi.Grant{Workload: "w-1"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	// A second KeyStore on the same store and clock stands in for a replica.
	clock := func() time.Time { return now }
	replica := awsapi.NewKeyStore(st, kr, &awsapi.KeyStoreOptions{CacheTTL: 10 * time.Second, Now: clock})
	if _, err := replica.Lookup(ctx, k.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	if err := ks.Revoke(ctx, k.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	if _, err := replica.Lookup(ctx, k.AccessKeyID); err != nil {
		t.Errorf("within the TTL the replica still serves its cached key: %v", err)
	}
	now = now.Add(11 * time.Second)
	if _, err := replica.Lookup(ctx, k.AccessKeyID); !errors.Is(err, awsapi.ErrUnknownAccessKey) {
		t.Errorf("after the TTL: %v, want ErrUnknownAccessKey", err)
	}
}

// List shows every key with its grant and never a secret; token rows in
// the same vault table (they expire) are not keys and are not opened.
func TestListShowsKeysWithoutSecrets(t *testing.T) {
	ks, st, kr, _ := newKeyStore(t)
	ctx := context.Background()
	admin, err := ks.Create(ctx, awsapi.Grant{Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	wl, err := ks.Create(ctx, awsapi.Grant{Workload: "w-1", AllowUserID: true})
	if err != nil {
		t.Fatal(err)
	}
	// A row that expires is a token row, never a key, even if it would
	// open as one: here a well-formed key sealed under its own row key,
	// only with an expiry. List must not open it, so it must not list it.
	ghost, err := awsapi.GenerateAccessKey(awsapi.Grant{Workload: "ghost"})
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := json.Marshal(ghost)
	row := keyRowForTest(ghost.AccessKeyID)
	sealed, err := kr.Seal(plain, []byte(row))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutVault(ctx, store.VaultEntry{Key: row, Ciphertext: sealed, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, err := ks.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]awsapi.Grant{}
	for _, k := range got {
		ids[k.AccessKeyID] = k.Grant
		if k.CreatedAt.IsZero() {
			t.Errorf("%s has no creation time", k.AccessKeyID)
		}
	}
	want := map[string]awsapi.Grant{admin.AccessKeyID: {Admin: true}, wl.AccessKeyID: {Workload: "w-1", AllowUserID: true}}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("List = %v, want %v", ids, want)
	}
	js, _ := json.Marshal(got)
	if strings.Contains(string(js), admin.SecretAccessKey) || strings.Contains(string(js), wl.SecretAccessKey) {
		t.Errorf("List output holds a secret: %s", js)
	}
	if err := ks.Revoke(ctx, wl.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	if got, _ := ks.List(ctx); len(got) != 1 || got[0].AccessKeyID != admin.AccessKeyID {
		t.Errorf("after revoking the workload key: %v, want only the admin key", got)
	}
}

// keyRowForTest is KeyStore's row key for an access key id (keyRow).
func keyRowForTest(id string) string {
	sum := sha256.Sum256([]byte("onbehalf/awsapi/accesskey/v1\x00" + id))
	return hex.EncodeToString(sum[:])
}
