package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func readAll(t *testing.T, f *File, from int64) ([]string, []int64, error) {
	t.Helper()
	var recs []string
	var ends []int64
	err := f.Read(from, func(rec []byte, end int64) error {
		recs = append(recs, string(rec))
		ends = append(ends, end)
		return nil
	})
	return recs, ends, err
}

func TestAppendThenReadFromAnyRecordBoundary(t *testing.T) {
	f, err := Create(filepath.Join(t.TempDir(), "x-"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ends []int64
	for i := range 3 {
		end, err := f.Append([]byte(fmt.Sprintf("record %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		ends = append(ends, end)
	}
	if f.Size() != ends[2] {
		t.Errorf("Size %d, want %d", f.Size(), ends[2])
	}
	recs, gotEnds, err := readAll(t, f, HeaderSize)
	if err != nil || fmt.Sprint(recs) != "[record 0 record 1 record 2]" || fmt.Sprint(gotEnds) != fmt.Sprint(ends) {
		t.Fatalf("Read = %q %v %v, want three records ending at %v", recs, gotEnds, err, ends)
	}
	recs, _, err = readAll(t, f, ends[0])
	if err != nil || fmt.Sprint(recs) != "[record 1 record 2]" {
		t.Fatalf("Read from the first end = %q %v", recs, err)
	}
	recs, _, err = readAll(t, f, ends[2])
	if err != nil || len(recs) != 0 {
		t.Fatalf("Read from the end = %q %v, want nothing", recs, err)
	}
}

func TestReadStopsAtTornOrCorruptRecord(t *testing.T) {
	for name, damage := range map[string]func(path string, good int64) error{
		"torn header": func(path string, _ int64) error { return appendRaw(path, []byte{0, 0, 0}) },
		"torn record": func(path string, _ int64) error { return appendRaw(path, []byte{0, 0, 0, 9, 1, 2, 3, 4, 'a', 'b'}) },
		"bad length":  func(path string, _ int64) error { return appendRaw(path, []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}) },
		"bad checksum": func(path string, good int64) error {
			fh, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				return err
			}
			defer fh.Close()
			_, err = fh.WriteAt([]byte{'X'}, good-1) // last byte of record 1
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			f, err := Create(filepath.Join(t.TempDir(), "x-"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.Append([]byte("zero")); err != nil {
				t.Fatal(err)
			}
			good, err := f.Append([]byte("one"))
			if err != nil {
				t.Fatal(err)
			}
			if err := damage(f.Path(), good); err != nil {
				t.Fatal(err)
			}
			recs, _, err := readAll(t, f, HeaderSize)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Read error = %v, want ErrCorrupt", err)
			}
			want := "[zero one]"
			if name == "bad checksum" {
				want = "[zero]"
			}
			if fmt.Sprint(recs) != want {
				t.Errorf("records before the damage = %q, want %s", recs, want)
			}
		})
	}
}

func appendRaw(path string, b []byte) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	defer fh.Close()
	_, err = fh.Write(b)
	return err
}

func TestClaimIsRefusedWhileHeldAndAfterRemove(t *testing.T) {
	f, err := Create(filepath.Join(t.TempDir(), "x-"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Append([]byte("r")); err != nil {
		t.Fatal(err)
	}
	if _, err := Claim(f.Path()); !errors.Is(err, ErrBusy) {
		t.Fatalf("Claim of a held file = %v, want ErrBusy", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	g, err := Claim(f.Path())
	if err != nil {
		t.Fatalf("Claim after the owner let go: %v", err)
	}
	if g.Size() != f.Size() {
		t.Errorf("claimed size %d, want %d", g.Size(), f.Size())
	}
	recs, _, err := readAll(t, g, HeaderSize)
	if err != nil || fmt.Sprint(recs) != "[r]" {
		t.Errorf("claimed file reads %q %v", recs, err)
	}
	if err := g.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(g.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("file still there after Remove: %v", err)
	}
	if _, err := Claim(g.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Claim after Remove = %v, want ErrNotExist", err)
	}
}

func TestAppendRefusesOversizedRecordAndReportsWriteErrors(t *testing.T) {
	f, err := Create(filepath.Join(t.TempDir(), "x-"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Append(make([]byte, MaxRecord+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized Append = %v, want ErrTooLarge", err)
	}
	f.Close()
	if _, err := f.Append([]byte("late")); err == nil || !errors.Is(err, os.ErrClosed) {
		t.Errorf("Append on a closed file = %v, want os.ErrClosed", err)
	}
}

func TestCreateLeavesNoTempAndStaleTempsAreRemovedOnlyWhenOldAndFree(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(filepath.Join(dir, "x-"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(tmps) != 0 {
		t.Errorf("Create left %v", tmps)
	}
	young := filepath.Join(dir, "young.spool.tmp")
	os.WriteFile(young, nil, 0o600)
	if RemoveStaleTemp(young) {
		t.Error("a temp file just made (its creator may be renaming it) was removed")
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(young, old, old)
	held, err := os.Open(young)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(held.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	if RemoveStaleTemp(young) {
		t.Error("a temp file still locked by its creator was removed")
	}
	held.Close()
	if !RemoveStaleTemp(young) {
		t.Error("an old, unlocked temp file was not removed")
	}
	if _, err := os.Stat(young); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat after removal: %v", err)
	}
}
