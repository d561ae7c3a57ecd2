package web

import (
	"crypto/rand"
	"encoding/hex"
)

func randomString() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
