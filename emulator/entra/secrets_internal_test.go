package entra

import (
	"strconv"
	"testing"
)

func TestMakeRoomDropsExpiredFirstAndKeepsTheMapBounded(t *testing.T) {
	m := map[string]bool{} // value: expired
	for i := 0; i < maxStored; i++ {
		m[strconv.Itoa(i)] = i%2 == 0
	}
	makeRoom(m, func(expired bool) bool { return expired })
	if len(m) != maxStored/2 {
		t.Fatalf("len = %d, want %d (the expired half dropped)", len(m), maxStored/2)
	}
	for _, expired := range m {
		if expired {
			t.Fatal("an expired entry survived")
		}
	}
	for i := 0; len(m) < maxStored; i++ {
		m["live"+strconv.Itoa(i)] = false
	}
	makeRoom(m, func(expired bool) bool { return expired })
	if len(m) != maxStored-1 {
		t.Fatalf("len = %d, want %d: room for one insert", len(m), maxStored-1)
	}
}
