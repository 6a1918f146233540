package keyring

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// String describes the ring by key ids only, never key material.
func (k *Keyring) String() string {
	if k == nil {
		return "keyring(nil)"
	}
	return fmt.Sprintf("keyring(active=%s keys=[%s])", k.ActiveKeyID(), strings.Join(k.KeyIDs(), " "))
}

// Format makes every fmt verb (%v, %+v, %#v, %s, ...) print String, so a
// Keyring passed to a logger or a debug print cannot spill its keys.
func (k *Keyring) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// LogValue implements slog.LogValuer with the same redaction as String.
func (k *Keyring) LogValue() slog.Value {
	if k == nil {
		return slog.StringValue("keyring(nil)")
	}
	return slog.GroupValue(
		slog.String("active", k.ActiveKeyID()),
		slog.Any("keys", k.KeyIDs()),
	)
}
