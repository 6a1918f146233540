package spool

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"syscall"
	"time"
)

// magic starts every spool file; it names the frame format's version.
const magic = "OBSPOOL1"

// HeaderSize is the offset of a file's first record.
const HeaderSize = int64(len(magic))

// MaxRecord bounds one record's payload; Read treats a longer length as a
// corrupt frame.
const MaxRecord = 16 << 20

const frameHeader = 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Errors.
var (
	// ErrBusy: Claim found the file held by a live process.
	ErrBusy = errors.New("spool: file is held by another process")
	// ErrCorrupt: Read stopped at a torn or corrupt record.
	ErrCorrupt = errors.New("spool: torn or corrupt record")
	// ErrTooLarge: Append was given a record over MaxRecord.
	ErrTooLarge = errors.New("spool: record too large")
)

// File is one spool file held by this process.
type File struct {
	f    *os.File
	path string
	size int64 // bytes written, header included
}

// Create makes a new spool file named prefix + 16 random hex digits +
// ".spool", locked and with its header written. It is made under a
// ".tmp" name and renamed once locked, so that no other process can
// claim it in between: a ".spool" file always has its header and, while
// its owner lives, its lock. A ".tmp" file left by a crash holds nothing
// (Append never ran on it); RemoveStaleTemp deletes it.
func Create(prefix string) (*File, error) {
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return nil, err
	}
	path := prefix + hex.EncodeToString(r[:]) + ".spool"
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	fail := func(err error) (*File, error) {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fail(err)
	}
	if _, err := f.Write([]byte(magic)); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	return &File{f: f, path: path, size: HeaderSize}, nil
}

// RemoveStaleTemp deletes a ".tmp" file of Create's that is older than
// staleTemp and that no live process holds (its creator died before
// renaming it; a live creator renames it within microseconds, and the age
// keeps this from taking the lock out from under one). It reports whether
// it did.
func RemoveStaleTemp(path string) bool {
	if st, err := os.Stat(path); err != nil || time.Since(st.ModTime()) < staleTemp {
		return false
	}
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return false
	}
	return os.Remove(path) == nil
}

// staleTemp is how old a ".tmp" file must be before RemoveStaleTemp
// deletes it.
const staleTemp = time.Minute

// Claim opens an existing spool file and locks it. It fails with ErrBusy
// while another process (or another File in this one) holds it, and with
// an error wrapping os.ErrNotExist when the file is gone.
func Claim(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrBusy
		}
		return nil, fmt.Errorf("spool: lock %s: %w", path, err)
	}
	// The owner removes the file before it lets go of the lock: a file
	// locked after its name is gone was finished with.
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	if now, err := os.Stat(path); err != nil || !os.SameFile(st, now) {
		f.Close()
		return nil, fmt.Errorf("spool: %s: %w", path, os.ErrNotExist)
	}
	return &File{f: f, path: path, size: st.Size()}, nil
}

// Path is the file's path.
func (s *File) Path() string { return s.path }

// Size is the offset just past the last record appended (or, for a
// claimed file, the file's size when claimed).
func (s *File) Size() int64 { return s.size }

// Append writes rec as one record with one write and returns the offset
// just past it. A short or failed write leaves at most a torn tail, which
// Read reports as ErrCorrupt; the File must not be appended to again.
func (s *File) Append(rec []byte) (int64, error) {
	if len(rec) > MaxRecord {
		return 0, ErrTooLarge
	}
	buf := make([]byte, frameHeader+len(rec))
	binary.BigEndian.PutUint32(buf[0:4], uint32(len(rec)))
	binary.BigEndian.PutUint32(buf[4:8], crc32.Checksum(rec, castagnoli))
	copy(buf[frameHeader:], rec)
	n, err := s.f.Write(buf)
	s.size += int64(n)
	if err != nil {
		return 0, fmt.Errorf("spool: append: %w", err)
	}
	return s.size, nil
}

// Read calls fn with each record from offset from (HeaderSize or a value
// Append or Read returned) and the offset just past it, in order. It
// stops at the end of the file (nil error), at fn's error, or at a torn or
// corrupt record (an error wrapping ErrCorrupt; the records before it
// were all delivered).
func (s *File) Read(from int64, fn func(rec []byte, end int64) error) error {
	var hdr [len(magic)]byte
	if _, err := s.f.ReadAt(hdr[:], 0); err != nil || string(hdr[:]) != magic {
		return fmt.Errorf("%w: %s has no spool header", ErrCorrupt, s.path)
	}
	if from < HeaderSize {
		from = HeaderSize
	}
	r := bufio.NewReaderSize(io.NewSectionReader(s.f, from, 1<<62), 64<<10)
	off := from
	var fh [frameHeader]byte
	for {
		if _, err := io.ReadFull(r, fh[:]); err != nil {
			if err == io.EOF {
				return nil
			}
			if err == io.ErrUnexpectedEOF {
				return fmt.Errorf("%w: %s: torn frame header at %d", ErrCorrupt, s.path, off)
			}
			return fmt.Errorf("spool: read: %w", err)
		}
		n := binary.BigEndian.Uint32(fh[0:4])
		if n > MaxRecord {
			return fmt.Errorf("%w: %s: length %d at %d", ErrCorrupt, s.path, n, off)
		}
		rec := make([]byte, n)
		if _, err := io.ReadFull(r, rec); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return fmt.Errorf("%w: %s: torn record at %d", ErrCorrupt, s.path, off)
			}
			return fmt.Errorf("spool: read: %w", err)
		}
		if crc32.Checksum(rec, castagnoli) != binary.BigEndian.Uint32(fh[4:8]) {
			return fmt.Errorf("%w: %s: checksum mismatch at %d", ErrCorrupt, s.path, off)
		}
		off += frameHeader + int64(n)
		if err := fn(rec, off); err != nil {
			return err
		}
	}
}

// Close releases the lock and closes the file; the file stays on disk.
func (s *File) Close() error {
	return s.f.Close()
}

// Remove deletes the file, then closes it (the lock is held until the
// name is gone, so no other process can claim it half-removed).
func (s *File) Remove() error {
	err := os.Remove(s.path)
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}
