package provider

import "os"

// Getenv reads variables through lookup (os.LookupEnv when nil); unset
// and empty are the same.
func Getenv(lookup func(string) (string, bool)) func(string) string {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	return func(k string) string { v, _ := lookup(k); return v }
}
