package keyring_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/onbehalf/onbehalf/keyring"
)

func Example() {
	dir, _ := os.MkdirTemp("", "keyring-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "keys.json")

	kr, err := keyring.LoadOrCreate(path) // created with one key, mode 0600
	if err != nil {
		log.Fatal(err)
	}
	vaultKey := []byte("sha256-of-the-vault-key")
	sealed, _ := kr.Seal([]byte("token B"), vaultKey)

	// Rotate: new values use the new key, old ones still open.
	kr.Rotate()
	if err := kr.Save(path); err != nil {
		log.Fatal(err)
	}
	plain, err := kr.Open(sealed, vaultKey)
	fmt.Println(string(plain), err)

	_, err = kr.Open(sealed, []byte("another vault key"))
	fmt.Println(err != nil)
	// Output:
	// token B <nil>
	// true
}
