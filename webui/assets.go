package webui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"path"
	"sort"
)

// static holds the page's scripts, styles and icon, served under
// /assets/<version>/; pages holds the HTML templates.
var (
	//go:embed static
	staticFS embed.FS
	//go:embed pages
	pageFS embed.FS
)

// file is one answer body with what its headers need.
type file struct {
	body        []byte
	etag        string // strong, quoted: a hash of body
	contentType string
}

func newFile(name string, body []byte) *file {
	sum := sha256.Sum256(body)
	return &file{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, contentType: contentType(name)}
}

// contentType is set explicitly rather than from the system's MIME table,
// which varies between machines: module scripts must be JavaScript.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".json":
		return "application/json"
	}
	return "application/octet-stream"
}

// assetSet is the embedded static files and their version: a hash of
// every name and body, so any change to any file makes new URLs.
type assetSet struct {
	version string
	files   map[string]*file
}

var assets = loadAssets()

func loadAssets() assetSet {
	set := assetSet{files: map[string]*file{}}
	var names []string
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		panic("webui: embedded assets: " + err.Error())
	}
	sort.Strings(names)
	h := sha256.New()
	for _, p := range names {
		body, err := staticFS.ReadFile(p)
		if err != nil {
			panic("webui: embedded assets: " + err.Error())
		}
		name := p[len("static/"):]
		set.files[name] = newFile(name, body)
		h.Write([]byte(name))
		h.Write([]byte{0})
		h.Write(body)
		h.Write([]byte{0})
	}
	set.version = hex.EncodeToString(h.Sum(nil))[:16]
	return set
}
