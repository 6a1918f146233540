package servicenow

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
)

// Passwords are stored as "pbkdf2-sha256$<iterations>$<salt>$<key>" (base64
// raw std). The only password is admin's, generated per data dir by the
// caller with high entropy, so a moderate iteration count costs nothing in
// safety and keeps Basic-auth tests fast.
const (
	pbkdf2Iterations = 20_000
	pbkdf2KeyLen     = 32
	passwordScheme   = "pbkdf2-sha256"
)

func hashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(sha256.New, password, salt, pbkdf2Iterations, pbkdf2KeyLen)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return passwordScheme + "$" + strconv.Itoa(pbkdf2Iterations) + "$" + enc.EncodeToString(salt) + "$" + enc.EncodeToString(key), nil
}

// checkPassword reports whether password matches encoded, in constant time
// with respect to the key. An empty or malformed encoding never matches.
func checkPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 4 || parts[0] != passwordScheme {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > 10_000_000 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyPasswordHash is checked against when the user does not exist, so an
// unknown user name costs the same as a wrong password.
var dummyPasswordHash = sync.OnceValue(func() string {
	h, err := hashPassword("onbehalf-servicenow-dummy")
	if err != nil {
		panic("servicenow: " + err.Error())
	}
	return h
})
