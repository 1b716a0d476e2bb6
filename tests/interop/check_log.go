// check_log checks a running liuhen log with Go's own implementations of signed notes and
// transparency logs (golang.org/x/mod/sumdb/note and sumdb/tlog), which nobody on this project
// wrote: the signed checkpoint must open with the published key, the C2SP hash tiles must hash
// to the signed root, and every entry of the entry bundles must be provably in that tree.
//
// Usage: LIUHEN_URL=http://... LIUHEN_TOKEN=... LIUHEN_KEY=name+id+base64 go run check_log.go
package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var base, token string

func get(path string) ([]byte, error) {
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return body, nil
}

// c2spPath is the c2sp.org/tlog-tiles path of a tile (not the sumdb layout Go's tlog uses).
func c2spPath(t tlog.Tile) string {
	n := t.N
	s := fmt.Sprintf("%03d", n%1000)
	for n >= 1000 {
		n /= 1000
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	level := strconv.Itoa(t.L)
	if t.L == -1 {
		level = "entries"
	}
	p := "/log/tile/" + level + "/" + s
	if t.W != 1<<t.H {
		p += fmt.Sprintf(".p/%d", t.W)
	}
	return p
}

type tiles struct{}

func (tiles) Height() int { return 8 }
func (tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, t := range ts {
		data, err := get(c2spPath(t))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}
func (tiles) SaveTiles([]tlog.Tile, [][]byte) {}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	base, token = os.Getenv("LIUHEN_URL"), os.Getenv("LIUHEN_TOKEN")
	verifier, err := note.NewVerifier(os.Getenv("LIUHEN_KEY"))
	if err != nil {
		fail("verifier key: %v", err)
	}
	msg, err := get("/log/checkpoint")
	if err != nil {
		fail("%v", err)
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != verifier.Name() {
		fail("checkpoint text %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("size: %v", err)
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		fail("root hash %q", lines[2])
	}
	var tree tlog.Tree
	tree.N = size
	copy(tree.Hash[:], root)

	// TileHashReader checks every tile it reads against the signed tree hash.
	hr := tlog.TileHashReader(tree, tiles{})
	th, err := tlog.TreeHash(size, hr)
	if err != nil {
		fail("tree hash from tiles: %v", err)
	}
	if th != tree.Hash {
		fail("tiles hash to %v, checkpoint signs %v", th, tree.Hash)
	}

	// Every entry: its leaf hash has a valid inclusion proof in the signed tree.
	checked := int64(0)
	for start := int64(0); start < size; start += 256 {
		w := size - start
		if w > 256 {
			w = 256
		}
		bundle, err := get(c2spPath(tlog.Tile{H: 8, L: -1, N: start / 256, W: int(w)}))
		if err != nil {
			fail("%v", err)
		}
		for i := int64(0); i < w; i++ {
			if len(bundle) < 2 {
				fail("entry bundle too short at %d", start+i)
			}
			l := int(bundle[0])<<8 | int(bundle[1])
			entry := bundle[2 : 2+l]
			bundle = bundle[2+l:]
			if !bytes.Contains(entry, []byte(`"salt":`)) {
				fail("entry %d has no salt", start+i)
			}
			proof, err := tlog.ProveRecord(size, start+i, hr)
			if err != nil {
				fail("prove %d: %v", start+i, err)
			}
			if err := tlog.CheckRecord(proof, size, tree.Hash, start+i, tlog.RecordHash(entry)); err != nil {
				fail("entry %d not in the tree: %v", start+i, err)
			}
			checked++
		}
	}
	fmt.Printf("ok: checkpoint of %d entries verified by golang.org/x/mod; %d entries proven\n", size, checked)
}
