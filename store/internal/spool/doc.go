// Package spool is an append-only file of checksummed records, for data
// that must survive a crash of the process before it reaches its database.
//
// Append writes one record with one write(2) on a file opened O_APPEND:
// once it returns, the record is in the kernel's page cache and survives
// the process being killed (not a power loss, like SQLite's
// synchronous=NORMAL in WAL mode). Each file is held with an exclusive
// flock(2) by the process that writes it; Claim takes a file whose owner
// has died, so its records can be replayed, and fails with ErrBusy while
// the owner lives. Read walks the records from an offset and stops at the
// first torn or corrupt one.
//
// Frame: 4-byte big-endian payload length, 4-byte CRC-32C of the payload,
// the payload. A file starts with an 8-byte magic header.
package spool
